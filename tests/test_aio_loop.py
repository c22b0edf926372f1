"""timercore's loops against the loops they must match: one test body run on asyncio's
loop, uvloop and rloop, and on timercore's wheel timers over each of their I/O."""
import asyncio
import contextvars
import gc
import logging
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import timercore
from timercore import _core, aio


RLOOP_HANDLER_BUG = "rloop 0.5 calls a custom exception handler with one argument, not two"


@pytest.fixture(params=["asyncio", "wheel", "wheel-uvloop", "wheel-rloop"])
def loop(request, make_loop):
    """asyncio's loop and timercore's loop on each I/O."""
    loop = make_loop(request.param)
    yield loop
    loop.close()


def test_call_later_orders_by_when(loop):
    log = []
    loop.call_later(0.003, log.append, "c")
    loop.call_later(0.001, log.append, "a")
    loop.call_later(0.002, log.append, "b")
    loop.call_later(0.004, loop.stop)
    loop.run_forever()
    assert log == ["a", "b", "c"]


def test_equal_when_runs_fifo_on_the_wheel():
    loop = aio.new_event_loop()
    when = loop.time() + 0.001
    log = []
    for i in range(100):
        loop.call_at(when, log.append, i)
    loop.call_at(when, loop.stop)
    loop.run_forever()
    loop.close()
    assert log == list(range(100))


def test_handle_api(loop):
    ctx = contextvars.copy_context()
    h = loop.call_at(loop.time() + 10, lambda: None, context=ctx)
    assert abs(h.when() - (loop.time() + 10)) < 1
    # get_context() is new in asyncio 3.12; the wheel's handles have it everywhere.
    assert getattr(h, "get_context", lambda: h._context)() is ctx and not h.cancelled()
    h.cancel()
    h.cancel()
    assert h.cancelled() and "cancelled" in repr(h)


def test_cancel_before_firing_and_after(loop):
    log = []
    h1 = loop.call_later(0.001, log.append, 1)
    h2 = loop.call_later(0.001, log.append, 2)
    h1.cancel()
    loop.call_later(0.002, loop.stop)
    loop.run_forever()
    h2.cancel()                       # already ran: harmless
    assert log == [2]


def test_cancel_leaves_no_garbage_in_the_wheel():
    loop = aio.new_event_loop()
    hs = [loop.call_later(100, lambda: None) for _ in range(1000)]
    for h in hs:
        h.cancel()
    assert loop.pending_timers() == 0
    loop.close()


@pytest.mark.skipif(not _core.HANDLES_LINE_ALIGNED, reason="a sanitizer build: pymalloc")
def test_each_handle_sits_in_one_cache_line():
    # A random-order cancel or fire misses once per handle, not twice (linepool.h).
    loop = aio.new_event_loop()
    hs = [loop.call_later(100, lambda: None) for _ in range(10_000)]
    assert {id(h) % 64 for h in hs} == {0}
    assert all(h.__sizeof__() <= 64 for h in hs[:10])
    loop.close()


@pytest.mark.skipif(not _core.HANDLES_LINE_ALIGNED, reason="a sanitizer build: pymalloc")
def test_handle_memory_goes_back_to_the_system_when_the_handles_go():
    gc.collect()
    before = _core._linepool_chunks()
    loop = aio.new_event_loop()
    hs = [loop.call_later(100, lambda: None) for _ in range(100_000)]   # 25 chunks
    assert _core._linepool_chunks() >= before + 20
    for h in hs:
        h.cancel()
    loop.close()
    del hs
    gc.collect()
    # Left: the one empty chunk kept for reuse.
    assert _core._linepool_chunks() <= before + 1


def test_a_failed_handle_allocation_raises_and_loses_nothing():
    loop = aio.new_event_loop(clock=timercore.VirtualClock())     # time jumps: no waiting
    fired, scheduled = [], 0
    _core._fail_allocation_after(0)        # the next allocation of the C core fails
    try:
        with pytest.raises(MemoryError):
            for i in range(10_000):        # more than a chunk of handles
                loop.call_later(0.001 * (i % 7), fired.append, i)
                scheduled += 1
    finally:
        _core._fail_allocation_after(-1)
    loop.call_later(0.01, loop.stop)
    loop.run_forever()
    assert sorted(fired) == list(range(scheduled))
    loop.close()


def test_call_at_in_the_past_runs_on_the_next_iteration(loop):
    log = []
    loop.call_at(loop.time() - 100, log.append, "past")
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert log == ["past"]


def test_context_is_honoured(loop):
    var = contextvars.ContextVar("v", default="outer")
    seen = []
    ctx = contextvars.copy_context()
    ctx.run(var.set, "inner")
    loop.call_later(0, lambda: seen.append(var.get()), context=ctx)
    loop.call_later(0, lambda: seen.append(var.get()))
    loop.call_later(0.001, loop.stop)
    loop.run_forever()
    assert seen == ["inner", "outer"]


def test_run_until_complete_sleep_wait_for_and_timeout(loop):
    async def main():
        await asyncio.sleep(0.001)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), 0.002)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.002):
                await asyncio.sleep(10)
        return "done"

    assert loop.run_until_complete(main()) == "done"


def test_exception_in_a_callback_goes_to_the_exception_handler(loop, skip_on_rloop):
    skip_on_rloop(loop, RLOOP_HANDLER_BUG)
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))
    loop.call_later(0, lambda: 1 / 0)
    loop.call_later(0.001, loop.stop)
    loop.run_forever()
    (ctx,) = contexts
    assert isinstance(ctx["exception"], ZeroDivisionError)
    assert ctx["message"].startswith("Exception in callback")


def test_shutdown_asyncgens_and_default_executor(loop):
    closed = []

    async def gen():
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    async def main():
        g = gen()
        await g.__anext__()
        await loop.run_in_executor(None, sum, [1, 2])

    loop.run_until_complete(main())
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    gc.collect()
    assert closed == [True]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_signals_still_work(loop, skip_on_rloop):
    skip_on_rloop(loop, "rloop 0.5's remove_signal_handler calls a method it lacks")
    got = []

    async def main():
        loop.add_signal_handler(signal.SIGUSR1, got.append, "usr1")
        os.kill(os.getpid(), signal.SIGUSR1)
        for _ in range(1000):              # yield: the self-pipe wakes the selector
            if got:
                break
            await asyncio.sleep(0)
        loop.remove_signal_handler(signal.SIGUSR1)

    loop.run_until_complete(main())
    assert got == ["usr1"]


def test_subprocesses_still_work(loop):
    async def main():
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "print('hi')", stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        return out

    asyncio.set_event_loop(loop)
    try:
        assert loop.run_until_complete(main()).strip() == b"hi"
    finally:
        asyncio.set_event_loop(None)


def test_debug_mode_warns_about_slow_callbacks(loop, caplog):
    import time as _time
    caplog.set_level(logging.WARNING, logger="asyncio")
    loop.set_debug(True)
    loop.slow_callback_duration = 0.001
    loop.call_later(0, _time.sleep, 0.01)      # a slow callback (the subject of the test)
    loop.call_later(0.02, loop.stop)
    loop.run_forever()
    assert any("took" in r.getMessage() for r in caplog.records)


def test_debug_mode_keeps_the_source_traceback(loop, skip_on_rloop):
    skip_on_rloop(loop, RLOOP_HANDLER_BUG)
    contexts = []
    loop.set_debug(True)
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))
    loop.call_later(0, lambda: 1 / 0)
    loop.call_later(0.001, loop.stop)
    loop.run_forever()
    assert contexts and contexts[0].get("source_traceback")


def test_handles_from_another_loop_are_independent():
    a, b = aio.new_event_loop(), aio.new_event_loop()
    log = []
    ha = a.call_later(0, log.append, "a")
    b.call_later(0, log.append, "b")
    ha.cancel()
    b.call_later(0.001, b.stop)
    b.run_forever()
    assert log == ["b"] and a.pending_timers() == 0
    a.close()
    b.close()


def test_virtual_time_loop_jumps_an_hour_at_once():
    clock = timercore.VirtualClock()

    async def main():
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.sleep(3600)
        return loop.time() - t0

    assert aio.run(main(), clock=clock) == 3600.0
    assert clock.now() == 3_600_000.0


def test_virtual_time_loop_shares_its_clock_with_a_hosted_scope():
    clock = timercore.VirtualClock()

    async def main():
        loop = asyncio.get_running_loop()
        w = timercore.Window(clock=clock, loop=loop)
        log = []
        w.setTimeout(lambda: log.append(("scope", clock.now())), 5_000)
        await asyncio.sleep(10)
        log.append(("coroutine", clock.now()))
        return log

    assert aio.run(main(), clock=clock) == [("scope", 5000.0), ("coroutine", 10000.0)]


def test_runner_with_loop_factory():
    with asyncio.Runner(loop_factory=aio.new_event_loop) as runner:
        assert isinstance(runner.get_loop(), aio.WheelEventLoop)
        assert runner.run(asyncio.sleep(0, "ok")) == "ok"


def run_python(code):
    """Run code in a fresh interpreter (module state, such as a class made on first use,
    starts anew); return its stdout, failing with its stderr."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_policy_class_warns_once_in_timercores_words_from_3_14():
    out = run_python("""
        import sys, warnings
        from timercore import aio
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            policy = aio.EventLoopPolicy()          # line 6 (line 1 is empty)
            aio.EventLoopPolicy                     # made once: no second warning
        loop = policy.new_event_loop()
        assert isinstance(loop, aio.WheelEventLoop)
        loop.close()
        for w in caught:
            print(w.category.__name__, w.filename, w.lineno, w.message, sep="|")
    """)
    lines = out.splitlines()
    if sys.version_info < (3, 14):
        assert lines == []
        return
    (line,) = lines
    category, filename, lineno, message = line.split("|")
    assert (category, filename, lineno) == ("DeprecationWarning", "<string>", "6")
    assert "timercore.aio.EventLoopPolicy" in message and "loop_factory=" in message
    assert "DefaultEventLoopPolicy" not in message


def test_without_asyncio_policies_only_the_policy_class_is_missing():
    # Python 3.16 removes asyncio's policy classes: hide them, then use every other path.
    out = run_python("""
        import asyncio, asyncio.events
        for name in ("AbstractEventLoopPolicy", "DefaultEventLoopPolicy",
                     "get_event_loop_policy", "set_event_loop_policy", "__getattr__"):
            asyncio.__dict__.pop(name, None)
        import timercore, timercore.aio, timercore.pytest_plugin
        from timercore import aio
        try:
            aio.EventLoopPolicy
        except AttributeError as e:
            assert "loop_factory" in str(e), e
        else:
            raise AssertionError("EventLoopPolicy without asyncio's policies")
        assert aio.run(asyncio.sleep(0, "slept")) == "slept"
        with asyncio.Runner(loop_factory=aio.new_event_loop) as runner:
            assert runner.run(asyncio.sleep(0, "ok")) == "ok"
        for io in ("asyncio", "uvloop", "rloop"):
            try:
                loop = aio.new_event_loop(io=io)
            except ImportError:
                continue
            w = timercore.Window(loop=loop)
            fired = []
            w.setTimeout(fired.append, 1, io)
            loop.run_until_complete(w.run_async())
            w.close(); loop.close()
            assert fired == [io], fired
        w = timercore.Window(clock=timercore.VirtualClock())
        w.setTimeout(print, 10, "window ran")
        w.run()
    """)
    assert out.strip() == "window ran"


def test_bad_input():
    loop = aio.new_event_loop()
    with pytest.raises(TypeError):
        loop.call_later(None, lambda: None)
    with pytest.raises(ValueError):
        loop.call_at(float("nan"), lambda: None)
    with pytest.raises(TypeError, match="clock"):
        aio.new_event_loop(clock=object())
    loop.close()
    with pytest.raises(RuntimeError):
        loop.call_later(1, lambda: None)
