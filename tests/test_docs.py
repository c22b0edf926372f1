"""The README's example and the guides' examples run as written, and type-check under
mypy --strict (against the package's own stubs: py.typed and the .pyi files)."""
import os
import subprocess
import sys

import pytest

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GUIDES = ["docs/testing.md", "docs/porting-js.md", "docs/server.md", "docs/asyncio.md",
          "docs/integrations.md"]
DOCS = ["README.md"] + GUIDES


def is_file_block(block):
    """A block that starts "# name.py" is a file of a recipe (test_integrations.py runs
    it in its setting: a server, a pytest run), not a script to run on its own."""
    first = block.split("\n", 1)[0]
    return first.startswith("# ") and first.endswith(".py")


def examples(doc_blocks):
    return [(doc, i, block) for doc in DOCS for i, block in enumerate(doc_blocks(doc))]


@pytest.mark.parametrize("doc", DOCS)
def test_every_example_runs(doc, doc_blocks, tmp_path):
    blocks = doc_blocks(doc)
    assert blocks, f"{doc} has no python example"
    for i, block in enumerate(blocks):
        if is_file_block(block):
            continue
        path = tmp_path / f"example_{i}.py"
        path.write_text(block)
        # A fresh interpreter each: examples print, set policies and run event loops.
        proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path,
                              env={**os.environ, "SKBUILD_EDITABLE_VERBOSE": "0"})
        assert proc.returncode == 0, f"{doc} example {i} failed:\n{proc.stderr}"


def test_examples_pass_mypy_strict(doc_blocks, tmp_path):
    mypy_api = pytest.importorskip("mypy.api")
    files = []
    for doc in DOCS:
        for i, block in enumerate(doc_blocks(doc)):
            name = doc.replace("/", "_").replace(".md", "").replace("-", "_")
            if is_file_block(block):        # its own name: mypy sees one module per file
                name = f"{name}_{block.split(chr(10), 1)[0][2:-3]}"
            path = tmp_path / f"{name}_{i}.py"
            path.write_text(block)
            files.append(str(path))
    os.environ["MYPYPATH"] = str(ROOT / "python")
    try:
        out, err, status = mypy_api.run([
            "--strict", "--follow-imports=silent", "--no-incremental",
            "--cache-dir", os.devnull, *files])
    finally:
        del os.environ["MYPYPATH"]
    assert status == 0, out + err


def test_the_dev_groups_test_part_is_the_test_extra():
    # README's "Developing" installs the group; CI installs the extra: the same packages,
    # so no integration test skips in one and runs in the other.
    import tomllib
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["dependency-groups"]["test"] == meta["project"]["optional-dependencies"]["test"]
