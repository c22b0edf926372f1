"""Instructions per call of the hot paths, by callgrind: repeatable where timings drift.

Each operation runs in a fresh interpreter under ``valgrind --tool=callgrind`` twice: once
with its setup only, once with the setup and K calls, each ending with ``os._exit``; the
difference divided by K is the cost of one call, setup, start-up and teardown cancelled
out. ``--python`` measures another installation (e.g. a build of an older commit). The
calls are written as
users write them: ``for`` loops, float timeouts, random-order clears and cancels.

    python bench/callgrind_ops.py            # all operations, K = 100000
    python bench/callgrind_ops.py --ops fire,cancel --calls 50000 --json out.json
    python bench/callgrind_ops.py --ops call_soon --python /path/to/other/venv/bin/python
    python bench/callgrind_ops.py --ops fire --keep cg/   # then: callgrind_annotate cg/*
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

PYTHON = sys.executable

# A random-order handle.cancel() loop, on the loop `factory` makes.
CANCEL_SETUP = """
import random, {module}
loop = {factory}()
rng = random.Random(1); f = lambda: None
handles = [loop.call_later(rng.random() * 60, f) for _ in range(K)]
rng.shuffle(handles)
"""
CANCEL_OP = """
for h in handles:
    h.cancel()
"""

# Each program: SETUP always runs; OP runs only in the measured half. K is the call count.
PROGRAMS = {
    "setTimeout": ("""
import random, timercore
w = timercore.Window(clock=timercore.VirtualClock())
rng = random.Random(1); f = lambda: None
delays = [rng.random() * 60000 for _ in range(K)]
""", """
st = w.setTimeout
for d in delays:
    st(f, d)
"""),
    "clearTimeout": ("""
import random, timercore
w = timercore.Window(clock=timercore.VirtualClock())
rng = random.Random(1); f = lambda: None
ids = [w.setTimeout(f, rng.random() * 60000) for _ in range(K)]
rng.shuffle(ids)
""", """
ct = w.clearTimeout
for i in ids:
    ct(i)
"""),
    "fire": ("""
import random, timercore
w = timercore.Window(clock=timercore.VirtualClock())
rng = random.Random(1); f = lambda: None
for _ in range(K):
    w.setTimeout(f, rng.random() * 1000)
""", """
w.run()
"""),
    "call_later": ("""
import random, timercore.aio
loop = timercore.aio.new_event_loop()
rng = random.Random(1); f = lambda: None
delays = [rng.random() * 60 for _ in range(K)]
""", """
cl = loop.call_later
for d in delays:
    cl(d, f)
"""),
    "requestIdleCallback": ("""
import timercore
w = timercore.Window(clock=timercore.VirtualClock())
f = lambda deadline: None
""", """
post = w.requestIdleCallback
for _ in range(K):
    post(f)
w.run()
"""),
    # The wheel alone: random-order cancels, a bulk insert, firing a minute of timers.
    "TimerWheel.cancel": ("""
import random, timercore
tw = timercore.TimerWheel()
rng = random.Random(1)
handles = [tw.insert(rng.random() * 60000) for _ in range(K)]
rng.shuffle(handles)
""", """
cancel = tw.cancel
for h in handles:
    cancel(h)
"""),
    "TimerWheel.insert_many": ("""
import numpy as np, timercore
tw = timercore.TimerWheel()
deadlines = np.random.default_rng(1).random(K) * 60000
""", """
tw.insert_many(deadlines)
"""),
    "TimerWheel.advance": ("""
import numpy as np, timercore
tw = timercore.TimerWheel()
tw.insert_many(np.random.default_rng(1).random(K) * 60000)
""", """
for t in range(0, 60001, 1000):
    tw.advance(float(t))
"""),
    # call_soon and running it, on timercore's own loop (asyncio's I/O).
    "call_soon": ("""
import timercore.aio
loop = timercore.aio.new_event_loop()
f = lambda: None
""", """
soon = loop.call_soon
for _ in range(K):
    soon(f)
soon(loop.stop)
loop.run_forever()
"""),
    "cancel": (CANCEL_SETUP.format(module="timercore.aio",
                                   factory="timercore.aio.new_event_loop"), CANCEL_OP),
    # The peer's figure for the same loop (rloop's handles: cancel only marks them).
    "cancel (rloop)": (CANCEL_SETUP.format(module="rloop", factory="rloop.new_event_loop"),
                       CANCEL_OP),
}


KEEP: str | None = None   # --keep: a directory for the raw callgrind outputs


def collected(program: str, run_calls: bool, name: str) -> int:
    """Instructions executed by ``python -c program`` under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        # A fixed environment and directory: their size moves the stack, and the counts
        # of some paths with it (by 3 % between two shells otherwise).
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        # No address randomization: object addresses feed hashes, and so dict probes.
        norandom = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
        proc = subprocess.run(
            norandom + ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
             PYTHON, "-c", program, "calls" if run_calls else "setup"],
            capture_output=True, text=True, env=env, cwd=tmp, check=True)
        if KEEP:   # (for callgrind_annotate: where the instructions went)
            shutil.copy(f"{tmp}/out", os.path.join(KEEP, f"callgrind.{name}"))
    match = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if match is None:
        raise RuntimeError(f"no callgrind summary in:\n{proc.stderr[-2000:]}")
    return int(match.group(1))


def program(op: str, calls: int) -> str:
    """The program both runs execute: the setup, then the calls in a function (their
    names local, as in users' code) when its argument is "calls". One text for both: a
    longer second program compiled to more objects first, and the heap then differed
    (where Python's lists grew in place, and so how often their growth copied): up to
    4 % on a row with no change to the code. A collection ends the setup, so both reach
    the calls in the same collector state."""
    setup, body = PROGRAMS[op]
    calls_fn = "def _calls():\n" + textwrap.indent(body.strip("\n"), "    ") + "\n"
    # os._exit: the interpreter's teardown (freeing what the calls left) is not counted.
    return (f"import sys\nK = {calls}\n{setup}\nimport gc; gc.collect()\n{calls_fn}"
            "if sys.argv[1] == 'calls':\n    _calls()\nimport os; os._exit(0)\n")


def per_call(op: str, calls: int) -> float:
    text, name = program(op, calls), op.replace(" ", "_")
    base = collected(text, False, f"{name}.setup")
    return (collected(text, True, f"{name}.calls") - base) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", default=",".join(PROGRAMS),
                        help=f"comma-separated, from: {', '.join(PROGRAMS)}")
    parser.add_argument("--calls", type=int, default=100_000, help="K, calls per operation")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure")
    parser.add_argument("--keep", help="keep the callgrind outputs in this directory "
                        "(callgrind.OP.setup and callgrind.OP.calls)")
    args = parser.parse_args()
    global PYTHON, KEEP
    PYTHON, KEEP = args.python, args.keep
    if KEEP:
        os.makedirs(KEEP, exist_ok=True)
    ops = args.ops.split(",")
    unknown = [op for op in ops if op not in PROGRAMS]
    if unknown:
        parser.error(f"unknown --ops {', '.join(unknown)}; valid: {', '.join(PROGRAMS)}")
    results = {}
    for op in ops:
        results[op] = round(per_call(op, args.calls), 1)
        print(f"{op:>14}  {results[op]:>8.1f} instructions per call", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"calls": args.calls, "instructions_per_call": results}, f, indent=1)


if __name__ == "__main__":
    main()
