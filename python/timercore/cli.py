"""timercore: the web platform's timers (setTimeout, setInterval, queueMicrotask,
requestIdleCallback) for Python, on a C hierarchical timing wheel, and an asyncio event loop
whose timers run on that wheel.

    timercore bench [...]               compare timercore with asyncio, uvloop, rloop, heapq
                                        (the default run takes about a minute)
    timercore run SCRIPT.py [args...]   run a script with the Window API as globals, then
                                        run the event loop until nothing is pending
"""
from __future__ import annotations

import argparse
import builtins
import os
import sys
from typing import Any

from timercore.scope import LoopLimitError

VIRTUAL_LOOP_LIMIT = 1_000_000   # timer tasks `timercore run --virtual-time` runs at most


class Console:
    """``console.log`` and friends, for scripts ported from JavaScript."""

    def log(self, *args: object) -> None:
        builtins.print(*args)

    info = debug = log

    def error(self, *args: object) -> None:
        builtins.print(*args, file=sys.stderr)

    warn = error


PRINT_NOTE = ("print(...) with arguments prints them, as console.log does; print() with "
              "none is the web's window.print()")


def run_script(path: str, argv: list[str], virtual_time: bool = False,
               loop_limit: int | None = None) -> int:
    """Run ``path`` as __main__ in a Window's global namespace, then the loop (with
    ``loop_limit``: run_all(loop_limit), which raises LoopLimitError past it).

    Returns 0, or 1 if an error event went unhandled (its traceback went to stderr).
    ``sys.exit`` in the script or a callback exits with its code (SystemExit propagates).
    """
    import timercore

    clock = timercore.VirtualClock() if virtual_time else None
    if loop_limit is None and virtual_time:
        loop_limit = VIRTUAL_LOOP_LIMIT      # virtual time never pauses: never spin silently
    elif loop_limit == 0:
        loop_limit = None
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec")
    window = timercore.Window(clock=clock)
    # The script's globals are the Window's namespace, so string handlers see its names.
    globals_ = window._namespace()
    web_print = window.print

    def print(*args: object, **kwargs: Any) -> None:
        # What a JavaScript developer types first: print("x") logs; print() prints.
        if args or kwargs:
            builtins.print(*args, **kwargs)
        else:
            web_print()

    globals_.update(__name__="__main__", __file__=path, __builtins__=builtins,
                    console=Console(), print=print)
    sys.argv = [path, *argv]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        # The script's top level is the first task: its exceptions are reported, not fatal.
        exec(code, globals_)
    except Exception as exc:
        window.report_exception(exc)
    if loop_limit is None:
        window.run()
    else:
        window.run_all(loop_limit=loop_limit)
    return 1 if window.unhandled_errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="timercore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from timercore import __version__
    parser.add_argument("--version", action="version", version=f"timercore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a script with setTimeout & co. as globals")
    run.description = f"Run a script like a JavaScript runtime: setTimeout & co. are globals. {PRINT_NOTE}."
    run.add_argument("--virtual-time", action="store_true",
                     help="run on a VirtualClock: time jumps from timer to timer")
    run.add_argument("--loop-limit", type=int, default=None, metavar="N",
                     help="stop with an error after N timer tasks: an interval that is never "
                          "cleared would otherwise run forever (default: no limit on a real "
                          f"clock; {VIRTUAL_LOOP_LIMIT:,} with --virtual-time, where time "
                          "jumps and such a script would spin without a pause; 0: no limit)")
    run.add_argument("script")
    run.add_argument("args", nargs=argparse.REMAINDER)
    bench = sub.add_parser("bench", help="compare timercore with asyncio, heapq and others")
    from timercore import bench as bench_mod

    bench_mod.add_arguments(bench)
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run_command(args)
        return bench_mod.run(args)
    except KeyboardInterrupt:
        print("timercore: interrupted", file=sys.stderr)
        return 130


def _run_command(args: argparse.Namespace) -> int:
    """`timercore run`: a script that cannot start is one clear line, status 2."""
    try:
        return run_script(args.script, args.args, args.virtual_time, args.loop_limit)
    except LoopLimitError as e:
        print(f"timercore run: {e}\n(an interval that is never cleared? --loop-limit N "
              "raises the limit, --loop-limit 0 removes it)", file=sys.stderr)
        return 1
    except FileNotFoundError as e:
        if e.filename != args.script:
            raise
        print(f"timercore run: no such file: {args.script}", file=sys.stderr)
    except IsADirectoryError:
        print(f"timercore run: {args.script} is a directory, not a script", file=sys.stderr)
    except SyntaxError as e:
        print(f"timercore run: syntax error in {e.filename}, line {e.lineno}: {e.msg}",
              file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
