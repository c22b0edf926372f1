"""The reliability scripts in bench/ keep working (tiny sizes; the real runs are
bench/memcheck.sh and bench/soak.py, quoted in docs/reliability.md)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "SKBUILD_EDITABLE_VERBOSE": "0"}


def run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=ENV)


def test_memcheck_stress_script_accounts_for_every_timer():
    proc = run("bench/memcheck_stress.py", "3000")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("all accounted for") == 3


def test_soak_script_runs_and_reports(tmp_path):
    out = tmp_path / "soak.json"
    proc = run("bench/soak.py", "--cycles", "2", "--timers", "3000", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    import json
    data = json.loads(out.read_text())
    totals = data["summary"]["totals"]
    for layer in ("TimerWheel", "Window", "WheelEventLoop"):
        done = totals[f"{layer} fired"] + totals[f"{layer} cancelled"]
        assert done == totals[f"{layer} inserted"] == 6000
