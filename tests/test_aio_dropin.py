"""timercore's loops as a true drop-in: what asyncio, uvloop and rloop accept, timercore's
loops accept too (one body per check, run on every variant; see test_aio_loop.py)."""
import asyncio
import contextvars
import gc
import math
import os
import sys
import weakref

import pytest

from timercore import VirtualClock, aio


# -- infinite and huge timeouts ------------------------------------------------------------

RLOOP_INF_BUG = "rloop 0.5 runs a timer due at math.inf at once"


def test_sleep_forever_until_cancelled(any_loop, skip_on_plain_rloop):
    skip_on_plain_rloop(any_loop, RLOOP_INF_BUG)
    async def main():
        task = asyncio.ensure_future(asyncio.sleep(math.inf))
        await asyncio.sleep(0)                      # one turn: the task is now waiting
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return "cancelled"
    assert any_loop.run_until_complete(main()) == "cancelled"


def test_wait_for_and_timeout_with_infinity(any_loop, skip_on_plain_rloop):
    skip_on_plain_rloop(any_loop, RLOOP_INF_BUG)
    async def main():
        assert await asyncio.wait_for(asyncio.sleep(0, "a"), timeout=math.inf) == "a"
        async with asyncio.timeout(math.inf):
            await asyncio.sleep(0)
        async with asyncio.timeout(1e300):          # huge but finite
            await asyncio.sleep(0)
        return "ok"
    assert any_loop.run_until_complete(main()) == "ok"


def test_call_at_minus_infinity_and_a_huge_delay(any_loop, skip_on_plain_rloop):
    skip_on_plain_rloop(any_loop, RLOOP_INF_BUG)
    log = []
    any_loop.call_at(-math.inf, log.append, "now")
    far = any_loop.call_later(1e300, log.append, "never")
    inf = any_loop.call_at(math.inf, log.append, "never")
    any_loop.call_soon(any_loop.stop)
    any_loop.run_forever()
    any_loop.call_soon(any_loop.stop)
    any_loop.run_forever()
    assert log == ["now"]
    far.cancel()
    inf.cancel()


def test_anyio_sleep_forever(wheel_loop):
    anyio = pytest.importorskip("anyio")

    async def main():
        with anyio.move_on_after(0.001):
            await anyio.sleep_forever()
        return "moved on"
    assert wheel_loop.run_until_complete(main()) == "moved on"


def test_bad_when_and_delay_name_the_argument(wheel_loop):
    with pytest.raises(TypeError, match="when cannot be None"):
        wheel_loop.call_at(None, print)
    with pytest.raises(TypeError, match="delay must not be None"):
        wheel_loop.call_later(None, print)
    with pytest.raises(ValueError, match="when must not be NaN"):
        wheel_loop.call_at(math.nan, print)
    with pytest.raises(TypeError, match="delay must be a real number, not str"):
        wheel_loop.call_later("1", print)
    assert wheel_loop.pending_timers() == 0


# -- never early ----------------------------------------------------------------------------

def test_no_timer_runs_before_its_when(any_loop):
    import time
    early = []
    handles = []

    def check(i, due_monotonic):
        if any_loop.time() < handles[i].when():
            early.append((i, "loop.time()", handles[i].when() - any_loop.time()))
        if time.monotonic() < due_monotonic:       # the delay really passed, too
            early.append((i, "time.monotonic()", due_monotonic - time.monotonic()))

    for i, delay in enumerate([0, 0.0001, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.0101]):
        handles.append(any_loop.call_later(delay, check, i, time.monotonic() + delay))
    any_loop.call_later(0.02, any_loop.stop)
    any_loop.run_forever()
    if any_loop.variant.startswith("wheel"):
        assert early == []
    # (asyncio runs timers up to a clock resolution early, uvloop up to a millisecond:
    # their own loops are not checked)


# -- contextvars ------------------------------------------------------------------------------

def test_each_callback_runs_in_its_own_copy_of_the_context(any_loop):
    var = contextvars.ContextVar("v", default="unset")
    seen = []

    def first():
        seen.append(("first", var.get()))
        var.set("set by first")

    def second():
        seen.append(("second", var.get()))

    var.set("before")
    any_loop.call_later(0, first)
    any_loop.call_later(0, second)
    var.set("after")                  # not seen by the handles scheduled before
    any_loop.call_later(0.001, any_loop.stop)
    any_loop.run_forever()
    assert seen == [("first", "before"), ("second", "before")]
    assert var.get() == "after"


def test_an_explicit_context_is_run_in_itself(any_loop):
    var = contextvars.ContextVar("v", default="unset")
    ctx = contextvars.copy_context()
    h = any_loop.call_later(0, var.set, "inside", context=ctx)
    assert h.get_context() is ctx if hasattr(h, "get_context") else True
    any_loop.call_later(0.001, any_loop.stop)
    any_loop.run_forever()
    assert ctx[var] == "inside" and var.get() == "unset"


# -- a closed loop is freed by reference counting --------------------------------------------

@pytest.mark.parametrize("variant", ["wheel", "wheel-uvloop"])
def test_a_closed_loop_is_freed_without_the_garbage_collector(make_loop, variant):
    # (rloop 0.5's own loop is not: its child watcher holds it in a cycle)
    gc.collect()
    gc.disable()
    try:
        loop = make_loop(variant)
        pending = loop.call_later(60, print)
        spent = loop.call_later(0, lambda: None)
        loop.run_until_complete(asyncio.sleep(0.001))
        ref = weakref.ref(loop)
        loop.close()
        del loop
        assert ref() is None
        assert pending.cancelled() and not spent.cancelled()
    finally:
        gc.enable()


# -- fork -------------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_closes_the_inherited_loop_and_runs_its_own(wheel_loop):
    fired = []
    wheel_loop.call_later(0.001, fired.append, "parent")
    wheel_loop.call_later(0.001, fired.append, "parent 2")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child
        code = 1
        try:
            os.close(r)
            wheel_loop.close()                     # the inherited one
            child = aio.new_event_loop(clock=VirtualClock())    # no real wait
            child.call_later(0.001, fired.append, "child")
            child.run_until_complete(asyncio.sleep(0.01))
            child.close()
            os.write(w, ",".join(fired).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    out = b""
    while chunk := os.read(r, 1000):
        out += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert out == b"child"
    wheel_loop.run_until_complete(asyncio.sleep(0.01))
    assert fired == ["parent", "parent 2"]


# -- the optional I/O loops ------------------------------------------------------------------

def test_a_missing_io_loop_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)       # import uvloop now fails
    monkeypatch.setattr(aio, "_foreign_classes", {})
    with pytest.raises(ImportError, match=r"needs uvloop: pip install uvloop$"):
        aio.new_event_loop(io="uvloop")


def test_io_and_clock_are_checked():
    with pytest.raises(ValueError, match="io must be one of 'asyncio', 'uvloop', 'rloop'"):
        aio.new_event_loop(io="trio")
    from timercore import VirtualClock
    with pytest.raises(ValueError, match="needs io='asyncio'"):
        aio.new_event_loop(io="uvloop", clock=VirtualClock())


@pytest.mark.parametrize("io", ["asyncio", "uvloop", "rloop"])
def test_run_on_each_io(io):
    if io != "asyncio":
        pytest.importorskip(io)

    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)
        return type(loop).__name__, loop.pending_timers()
    name, pending = aio.run(main(), io=io)
    assert name in ("WheelEventLoop", "WheelLoop", "WheelRLoop") and pending == 0


# -- cancelling -------------------------------------------------------------------------------

def test_cancelled_entries_are_purged_once_they_outnumber_the_live(wheel_loop):
    # As asyncio's heap: cancel only marks; once the cancelled outnumber the live, the
    # next timer scheduled (or the next collection of due timers) takes them all out.
    handles = [wheel_loop.call_later(60 + i / 1000, print) for i in range(10_000)]
    timers = wheel_loop._wheel_timers
    for h in handles[:6000]:
        h.cancel()
    assert len(timers) == wheel_loop.pending_timers() == 4000
    assert timers.wheel_entries() == 10_000                          # marked only
    wheel_loop.call_later(60, print)                                 # one pass
    assert len(timers) == 4001 and timers.wheel_entries() == 4001
    assert all(h.cancelled() for h in handles[:6000])
    assert not any(h.cancelled() for h in handles[6000:])


def test_cancelled_entries_are_purged_by_the_next_iteration():
    # (The selector loop collects due timers every iteration; on uvloop's and rloop's I/O
    # the wheel runs only when its native timer fires, and the next call_later purges.)
    loop = aio.new_event_loop()
    handles = [loop.call_later(60 + i / 1000, print) for i in range(10_000)]
    for h in handles[:6000]:
        h.cancel()
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert loop._wheel_timers.wheel_entries() == 4000
    loop.close()


def test_fewer_than_4096_cancelled_entries_are_never_purged(wheel_loop):
    handles = [wheel_loop.call_later(60 + i / 1000, print) for i in range(5000)]
    for h in handles[:4000]:
        h.cancel()
    wheel_loop.call_later(60, print)
    assert wheel_loop._wheel_timers.wheel_entries() == 5001


def test_a_timer_cancelled_by_an_earlier_one_of_the_same_batch_does_not_run(wheel_loop):
    log = []
    when = wheel_loop.time() + 0.001
    later = []
    wheel_loop.call_at(when, lambda: (log.append("first"), later[0].cancel()))
    later.append(wheel_loop.call_at(when, log.append, "second"))
    wheel_loop.call_at(when, log.append, "third")
    wheel_loop.call_later(0.005, wheel_loop.stop)
    wheel_loop.run_forever()
    assert log == ["first", "third"] and wheel_loop.pending_timers() == 0


class _Payload:
    def method(self):
        pass


def test_cancel_releases_the_callback_its_arguments_and_context_at_once(wheel_loop):
    # As asyncio (which drops callback and arguments); timercore's handles are not tracked
    # by the garbage collector, so they also let go of the context: no collection needed.
    bound, arg = _Payload(), _Payload()
    refs = [weakref.ref(bound), weakref.ref(arg)]
    ctx = contextvars.copy_context()
    ctx_ref = weakref.ref(ctx)
    h = wheel_loop.call_later(60, bound.method, arg, context=ctx)
    del bound, arg, ctx
    assert all(r() is not None for r in refs + [ctx_ref])
    h.cancel()
    assert all(r() is None for r in refs + [ctx_ref])
    assert h.cancelled() and h._callback is None and h._args is None
    assert h.get_context() is None


def test_a_handle_scheduled_in_debug_mode_keeps_its_callback_for_repr(wheel_loop):
    wheel_loop.set_debug(True)
    h = wheel_loop.call_later(60, _Payload().method)
    h.cancel()
    assert "cancelled" in repr(h) and "_Payload.method" in repr(h)
    assert h._callback is None and h._args is None and h.get_context() is None
