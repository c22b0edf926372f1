import logging
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def clock():
    import timercore
    return timercore.VirtualClock()


@pytest.fixture(params=["Window", "WorkerGlobalScope"])
def scope(request, clock):
    """A scope of each kind on a VirtualClock; errors are collected in scope.errors."""
    import timercore
    s = getattr(timercore, request.param)(clock=clock)
    s.errors = []

    def on_error(event):
        s.errors.append(event.error)
        event.preventDefault()

    s.addEventListener("error", on_error)
    yield s
    if not s.closed:
        s.close()


@pytest.fixture
def window(clock):
    import timercore
    w = timercore.Window(clock=clock)
    yield w
    if not w.closed:
        w.close()


@pytest.fixture
def timercore_log(caplog):
    caplog.set_level(logging.ERROR, logger="timercore")
    return caplog


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def doc_blocks():
    """The ```python blocks of a Markdown file of the repo, in order."""
    def blocks(relpath):
        text = (ROOT / relpath).read_text()
        return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    return blocks


# -- asyncio loops: every variant, plain and with timercore's wheel timers ------------------

LOOP_VARIANTS = ["asyncio", "wheel", "uvloop", "wheel-uvloop", "rloop", "wheel-rloop"]


def _make_loop(name):
    """A loop of the named variant: "wheel-X" is timercore's timers on X's I/O ("wheel":
    on asyncio's). A variant whose I/O loop is not installed is skipped."""
    import asyncio
    from timercore import aio
    io = name.removeprefix("wheel-").replace("wheel", "asyncio")
    if io != "asyncio":
        pytest.importorskip(io)
    if name.startswith("wheel"):
        loop = aio.new_event_loop(io=io)
    elif name == "uvloop":
        import uvloop
        loop = uvloop.new_event_loop()
    elif name == "rloop":
        import rloop
        loop = rloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    loop.variant = name
    return loop


@pytest.fixture
def make_loop():
    return _make_loop


def skip_rloop(loop, reason):
    """Skip a check that fails on rloop's own loop too (a defect of rloop, not ours)."""
    if "rloop" in getattr(loop, "variant", ""):
        pytest.skip(reason)


@pytest.fixture
def skip_on_rloop():
    return skip_rloop


@pytest.fixture
def skip_on_plain_rloop():
    """Skip on rloop's own loop only: timercore's timers on rloop's I/O must do better."""
    def skip(loop, reason):
        if getattr(loop, "variant", "") == "rloop":
            pytest.skip(reason)
    return skip


@pytest.fixture(params=LOOP_VARIANTS)
def any_loop(request):
    loop = _make_loop(request.param)
    yield loop
    if not loop.is_closed():
        loop.close()


@pytest.fixture(params=[v for v in LOOP_VARIANTS if v.startswith("wheel")])
def wheel_loop(request):
    loop = _make_loop(request.param)
    yield loop
    if not loop.is_closed():
        loop.close()
