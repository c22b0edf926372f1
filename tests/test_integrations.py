"""docs/integrations.md's recipes, run as written: uvicorn (one process and two workers,
on asyncio's and uvloop's I/O), aiohttp's run_app, anyio's pytest plugin and pytest-asyncio's
loop factories, each in a fresh process next to the real package."""
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ENV = {**os.environ, "SKBUILD_EDITABLE_VERBOSE": "0"}
BIN = os.path.dirname(sys.executable)


@pytest.fixture
def recipe_files(doc_blocks, tmp_path):
    """Writes the doc's "# name.py" blocks into tmp_path; returns the bash blocks' lines."""
    for block in doc_blocks("docs/integrations.md"):
        first = block.split("\n", 1)[0]
        if first.startswith("# ") and first.endswith(".py"):
            (tmp_path / first[2:]).write_text(block)
    doc = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "integrations.md")
    with open(doc) as f:
        bash = re.findall(r"^```bash\n(.*?)^```", f.read(), flags=re.S | re.M)
    return [line for b in bash for line in b.splitlines() if line.strip()]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_and_get(cmd, cwd, port, requests=4):
    """Start a server, GET / a few times, stop it; returns the bodies."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        bodies = []
        while len(bodies) < requests:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {proc.stdout.read()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    bodies.append(r.read().decode())
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return bodies
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def uvicorn_commands(lines):
    return [line for line in lines if line.startswith("uvicorn ")]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_uvicorn_recipes(recipe_files, tmp_path, index):
    pytest.importorskip("uvicorn")
    line = uvicorn_commands(recipe_files)[index]
    if "uvloop" in line:
        pytest.importorskip("uvloop")
        pytest.importorskip("httptools")
    port = free_port()
    args = shlex.split(line)
    cmd = [os.path.join(BIN, "uvicorn"), *args[1:], "--port", str(port)]
    bodies = serve_and_get(cmd, tmp_path, port)
    expected = "WheelLoop" if "uvloop" in line else "WheelEventLoop"
    assert set(bodies) == {expected}, bodies


def test_the_recipes_cover_one_process_and_workers(recipe_files):
    lines = uvicorn_commands(recipe_files)
    assert any("--workers 2" in line for line in lines)
    assert any("--workers" not in line for line in lines)


def test_aiohttp_run_app_recipe(recipe_files, tmp_path):
    pytest.importorskip("aiohttp")
    port = free_port()
    bodies = serve_and_get([sys.executable, "aiohttp_app.py", str(port)], tmp_path, port)
    assert set(bodies) == {"WheelEventLoop"}


@pytest.mark.parametrize("test_file", ["test_with_anyio.py", "test_with_pytest_asyncio.py"])
def test_pytest_recipes(recipe_files, tmp_path, test_file):
    keep = {test_file} | ({"conftest.py"} if "pytest_asyncio" in test_file else set())
    for f in tmp_path.glob("*.py"):
        if f.name not in keep:
            f.unlink()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-o", "asyncio_default_fixture_loop_scope=function", test_file],
                       cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout
