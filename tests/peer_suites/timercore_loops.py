"""A pytest plugin that runs other projects' own test suites (uvloop's, anyio's) on
timercore's loops, the way their CI runs them on uvloop: by swapping the loop factory.

    TIMERCORE_PEER_LOOP=wheel pytest -p timercore_loops ...    (see .ci/peer-suites)

TIMERCORE_PEER_LOOP names the loops under test:
  base          nothing swapped: asyncio's and uvloop's own loops (the baseline)
  rloop         asyncio's loop -> rloop's own (the baseline of wheel-rloop)
  wheel         asyncio's loop -> timercore.aio.WheelEventLoop
  wheel-uvloop  uvloop's loop  -> timercore.aio.new_event_loop(io="uvloop")
  wheel-rloop   asyncio's loop -> timercore.aio.new_event_loop(io="rloop")
uvloop's suite makes its loops in ``_testbase``'s ``new_loop`` (asyncio flavour and uvloop
flavour); anyio's (TIMERCORE_PEER_SUITE=anyio) through ``asyncio.new_event_loop`` (via
asyncio.Runner) and ``uvloop.new_event_loop`` (read by its conftest at import, after this
plugin loads).
"""
import asyncio
import asyncio.events
import os

VARIANT = os.environ.get("TIMERCORE_PEER_LOOP", "base")
VARIANTS = ("base", "rloop", "wheel", "wheel-uvloop", "wheel-rloop")
if VARIANT not in VARIANTS:
    raise SystemExit(f"TIMERCORE_PEER_LOOP must be one of {', '.join(VARIANTS)}, not {VARIANT!r}")


def _install() -> None:
    if VARIANT == "base":
        return
    from timercore import aio
    io = VARIANT.removeprefix("wheel-").replace("wheel", "asyncio")

    def factory():
        if VARIANT == "rloop":
            import rloop
            return rloop.new_event_loop()
        return aio.new_event_loop(io=io)

    if io == "uvloop":
        import uvloop
        from uvloop import _testbase
        uvloop.new_event_loop = factory
        _testbase.UVTestCase.new_loop = lambda self: factory()
    elif os.environ.get("TIMERCORE_PEER_SUITE") == "anyio":
        asyncio.new_event_loop = asyncio.events.new_event_loop = factory
    else:
        from uvloop import _testbase
        _testbase.AIOTestCase.new_loop = lambda self: factory()


_install()


def pytest_report_header(config):
    return f"timercore peer-suite loops: {VARIANT}"
