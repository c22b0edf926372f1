"""uvloop's and anyio's own tests on timercore's loops, as their CI runs them on uvloop.

    python .ci/peer_suites.py            (the venv's python; ~7 min)

Gets each project's sdist at the version installed (its tests ship in it), then runs a
selection (timers, timeouts, sleeps, cancellation, debug mode, the handle leaks) with the
loop factory swapped by tests/peer_suites/timercore_loops.py, PYTHONASYNCIODEBUG off and
on. A test may fail on a timercore loop only where it fails on the base loop in the same
run (asyncio's and uvloop's own loops; rloop's for io="rloop"); a failure that is not in
the base is run once more before it counts (the suites have timing-sensitive tests).
"""
from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "peer-suites"
PLUGIN_DIR = ROOT / "tests" / "peer_suites"
TEST_DEPS = ["pyOpenSSL>=25", "psutil", "pytest-mock", "pytest-timeout", "trustme",
             "truststore", "blockbuster"]

SUITES = {   # per project: pytest invocations (argument lists)
    "uvloop": [["tests/test_base.py", "tests/test_context.py", "tests/test_runner.py"],
               ["tests/test_tcp.py", "-k", "leak or timeout"]],
    "anyio": [["tests/test_taskgroups.py", "tests/test_eventloop.py",
               "tests/test_debugging.py", "tests/test_synchronization.py",
               "tests/test_lowlevel.py", "-k", "not trio",
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]],
}
# Per project: each timercore loop, and the loop it must do as well as. uvloop's suite is
# for asyncio's and uvloop's loops (on rloop's own, many of its tests hang until timeout).
VARIANTS = {
    "uvloop": {"wheel": "base", "wheel-uvloop": "base"},
    "anyio": {"wheel": "base", "wheel-uvloop": "base", "wheel-rloop": "rloop"},
}


def fetch(project: str) -> Path:
    version = importlib.metadata.version(project)
    where = OUT / f"{project}-{version}"
    if not (where / "tests").is_dir():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
                        "--no-deps", "-d", str(OUT), f"{project}=={version}"], check=True)
        with tarfile.open(OUT / f"{project}-{version}.tar.gz") as tar:
            tar.extractall(OUT, filter="data")
    # Run the tests against the installed package, not the sdist's source tree.
    run_dir = OUT / f"run-{project}"
    if not run_dir.exists():
        run_dir.mkdir()
        (run_dir / "tests").symlink_to(where / "tests")
        if (where / "pyproject.toml").exists():
            (run_dir / "pyproject.toml").symlink_to(where / "pyproject.toml")
    return run_dir


def failures(project: str, run_dir: Path, variant: str, debug: bool,
             only: list[str] | None = None) -> set[str]:
    """The tests that fail (node ids) in the selection, or in `only`."""
    env = dict(os.environ, TIMERCORE_PEER_LOOP=variant, TIMERCORE_PEER_SUITE=project,
               PYTHONPATH=str(PLUGIN_DIR))
    env.pop("PYTHONASYNCIODEBUG", None)
    if debug:
        env["PYTHONASYNCIODEBUG"] = "1"
    failed: set[str] = set()
    for args in [only] if only is not None else SUITES[project]:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "timercore_loops",
                               "-p", "no:cacheprovider", "-q", "-rf", "--tb=line",
                               "--timeout=60", *args],
                              cwd=run_dir, env=env, capture_output=True, text=True)
        found = {line.split()[1] for line in proc.stdout.splitlines()
                 if line.startswith(("FAILED ", "ERROR "))}
        summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"  {project:6} {variant:12} debug={'on ' if debug else 'off'} {summary}",
              flush=True)
        if proc.returncode not in (0, 1) or (proc.returncode == 1 and not found):
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
            raise SystemExit(f"{project} suite did not run ({variant})")
        failed |= found
    return failed


def main() -> int:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *TEST_DEPS], check=True)
    bad = []
    for project in SUITES:
        run_dir = fetch(project)
        for debug in (False, True):
            variants = VARIANTS[project]
            base = {b: failures(project, run_dir, b, debug) for b in sorted(set(variants.values()))}
            for variant, against in variants.items():
                new = failures(project, run_dir, variant, debug) - base[against]
                if new:       # once more, those alone: a timing-sensitive test may flake
                    new = failures(project, run_dir, variant, debug, sorted(new)) - base[against]
                bad += [f"{project} {variant} debug={debug}: {t}" for t in sorted(new)]
    if bad:
        print("Fails on a timercore loop, passes on its base loop:", *bad, sep="\n  ")
        return 1
    print("peer suites: no test fails on a timercore loop that passes on its base loop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
