"""timercore: the web platform's timers (setTimeout, setInterval, queueMicrotask,
requestIdleCallback) for Python, on a C hierarchical timing wheel, and an asyncio event loop
whose timers run on that wheel.

    timercore bench [...]               compare timercore with asyncio, uvloop, rloop, heapq
                                        (the default run takes about 2-3 minutes)
    timercore run SCRIPT.py [args...]   run a script with the Window API as globals, then
                                        the event loop (asyncio; async handlers and
                                        top-level await work) until nothing is pending
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import builtins
import importlib.util
import inspect
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
               loop_limit: int | None = None, io: str = "asyncio") -> int:
    """Run ``path`` as __main__ in a Window's global namespace, the Window hosted on a
    timercore asyncio loop (``io``: "asyncio", "uvloop" or "rloop"), then run the loop
    until nothing is pending: the scope's timers, tasks and microtasks, the tasks of its
    ``async def`` handlers, and any other asyncio task the script started. As in Node.js,
    the top level runs first, then the loop; a script with a top-level ``await`` runs as
    the loop's first task instead. ``loop_limit``: raise LoopLimitError after that many
    timer tasks (0: none; --virtual-time defaults to VIRTUAL_LOOP_LIMIT).

    Returns 0, or 1 if an error went unhandled (its traceback went to stderr).
    ``sys.exit`` in the script or a callback exits with its code (SystemExit propagates).
    """
    import timercore
    from timercore import aio

    clock = timercore.VirtualClock() if virtual_time else None
    if loop_limit is None and virtual_time:
        loop_limit = VIRTUAL_LOOP_LIMIT      # virtual time never pauses: never spin silently
    elif loop_limit == 0:
        loop_limit = None
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                       dont_inherit=True)
    with asyncio.Runner(loop_factory=lambda: aio.new_event_loop(clock=clock, io=io)) as runner:
        loop = runner.get_loop()
        window = timercore.Window(clock=clock, loop=loop)
        globals_ = _script_globals(window, path)
        sys.argv = [path, *argv]
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
        asyncio.set_event_loop(loop)     # asyncio.get_event_loop() at the top level: this one
        try:
            if code.co_flags & inspect.CO_COROUTINE:        # a top-level await
                runner.run(_top_level_async(window, code, globals_))
            else:
                try:
                    exec(code, globals_)
                except Exception as exc:
                    window.report_exception(_from_script(exc))
            runner.run(_until_nothing_pending(window, loop_limit))
        finally:
            asyncio.set_event_loop(None)
    return 1 if window.unhandled_errors else 0


def _script_globals(window: Any, path: str) -> dict[str, Any]:
    """The script's globals: the Window's namespace (so string handlers see its names),
    console, and a print that logs with arguments and is window.print() without."""
    globals_: dict[str, Any] = window._namespace()
    web_print = window.print

    def print(*args: object, **kwargs: Any) -> None:
        # What a JavaScript developer types first: print("x") logs; print() prints.
        if args or kwargs:
            builtins.print(*args, **kwargs)
        else:
            web_print()

    globals_.update(__name__="__main__", __file__=path, __builtins__=builtins,
                    console=Console(), print=print)
    return globals_


async def _top_level_async(window: Any, code: Any, globals_: dict[str, Any]) -> None:
    try:
        await eval(code, globals_)
    except Exception as exc:
        window.report_exception(_from_script(exc))


async def _until_nothing_pending(window: Any, loop_limit: int | None) -> None:
    me = asyncio.current_task()
    while True:
        await window.run_async(loop_limit=loop_limit)
        others = [t for t in asyncio.all_tasks() if t is not me]
        if not others:
            return
        await asyncio.wait(others)


def _from_script(exc: BaseException) -> BaseException:
    """The script's top-level error, its traceback starting at the script's own frames
    (this module's frames, which only ran the script, are left out)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return exc.with_traceback(tb) if tb is not None else exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="timercore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from timercore import __version__
    parser.add_argument("--version", action="version", version=f"timercore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a script with setTimeout & co. as globals")
    run.description = ("Run a script like a JavaScript runtime: setTimeout & co. are "
                       f"globals. {PRINT_NOTE}.")
    run.add_argument("--virtual-time", action="store_true",
                     help="run on a VirtualClock: time jumps from timer to timer")
    run.add_argument("--loop-limit", type=int, default=None, metavar="N",
                     help="stop with an error after N timer tasks: an interval that is never "
                          "cleared would otherwise run forever (default: no limit on a real "
                          f"clock; {VIRTUAL_LOOP_LIMIT:,} with --virtual-time, where time "
                          "jumps and such a script would spin without a pause; 0: no limit)")
    run.add_argument("--io", choices=("asyncio", "uvloop", "rloop"), default="asyncio",
                     help="the I/O of the asyncio loop the script runs on (timercore's "
                          "timers on each; default: asyncio; uvloop and rloop need those "
                          "packages; --virtual-time needs asyncio)")
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
        if args.virtual_time and args.io != "asyncio":
            print(f"timercore run: --virtual-time needs --io asyncio, not {args.io}",
                  file=sys.stderr)
            return 2
        if args.io != "asyncio" and importlib.util.find_spec(args.io) is None:
            print(f"timercore run: --io {args.io} needs {args.io}: pip install {args.io}",
                  file=sys.stderr)
            return 2
        return run_script(args.script, args.args, args.virtual_time, args.loop_limit,
                          args.io)
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
