"""Scopes hosted on a running asyncio loop (timercore.aio.AsyncioHost)."""
import asyncio
import threading

import pytest

from timercore import ScriptedDialogs, VirtualClock, Window, WorkerGlobalScope


def script(scope, log):
    """The same little program, for a hosted and a free-standing scope."""
    def nested(depth):
        log.append(("nested", depth, scope.now()))
        if depth < 7:
            scope.setTimeout(nested, 0, depth + 1)

    scope.setTimeout(lambda: log.append(("a", scope.now())), 30)
    scope.setTimeout(nested, 0, 1)
    handle = scope.setInterval(lambda: log.append(("i", scope.now())), 10)
    scope.setTimeout(lambda: scope.clearInterval(handle), 35)
    scope.queueMicrotask(lambda: log.append("micro"))
    scope.requestIdleCallback(lambda d: log.append(("idle", d.timeRemaining())))
    scope.run_steps_after_timeout("x", 12, lambda: log.append(("steps", scope.now())))


def test_hosted_scope_runs_the_same_program_in_the_same_order_as_run():
    expected = []
    w = Window(clock=VirtualClock())
    script(w, expected)
    w.run()

    async def main():
        hosted = Window(clock=VirtualClock(), loop=asyncio.get_running_loop())
        log = []
        script(hosted, log)
        await hosted.run_async()
        return log

    assert asyncio.run(main()) == expected


def test_hosted_scope_holds_one_asyncio_handle_whatever_the_number_of_timers():
    async def main():
        loop = asyncio.get_running_loop()
        w = WorkerGlobalScope(loop=loop)
        for i in range(10_000):
            w.setTimeout(lambda: None, 60_000 + i)
        await asyncio.sleep(0)              # let the scope take its first turn
        assert w._host.scheduled_handles() == 1
        assert len(loop._scheduled) == 1    # asyncio's own timer heap holds one entry
        w.close()
        assert w._host.scheduled_handles() == 0
        assert all(h.cancelled() for h in loop._scheduled)

    asyncio.run(main())


def test_hosted_scope_on_a_real_clock_fires_in_order():
    async def main():
        w = Window(loop=asyncio.get_running_loop(), dialogs=ScriptedDialogs())
        log = []
        w.setTimeout(log.append, 3, "b")
        w.setTimeout(log.append, 1, "a")
        w.queueMicrotask(lambda: log.append("micro"))
        await w.run_async()
        return log

    assert asyncio.run(main()) == ["micro", "a", "b"]


def test_hosted_scope_interleaves_with_coroutines():
    async def main():
        w = Window(clock=VirtualClock(), loop=asyncio.get_running_loop())
        log = []
        w.setTimeout(lambda: log.append("timer"), 0)
        log.append("before await")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        log.append("after await")
        await w.run_async()
        return log

    assert asyncio.run(main()) == ["before await", "timer", "after await"]


def test_hosted_scope_reports_errors_and_goes_on():
    async def main():
        w = Window(clock=VirtualClock(), loop=asyncio.get_running_loop())
        errors, log = [], []
        w.addEventListener("error", lambda e: (errors.append(e.error), e.preventDefault()))
        w.setTimeout(lambda: 1 / 0, 1)
        w.setTimeout(lambda: log.append("after"), 2)
        await w.run_async()
        return errors, log

    errors, log = asyncio.run(main())
    assert [type(e) for e in errors] == [ZeroDivisionError] and log == ["after"]


def test_a_virtual_time_loop_and_its_hosted_scope_share_one_clock_in_one_order():
    # The loop moves the shared VirtualClock: the scope's timer at 5 s must not carry the
    # clock past a coroutine's 1 s sleep.
    from timercore import aio
    clock = VirtualClock()

    async def main():
        w = Window(clock=clock, loop=asyncio.get_running_loop())
        log = []
        w.setTimeout(lambda: log.append(("scope", clock.now())), 5_000)
        w.setTimeout(lambda: log.append(("scope", clock.now())), 10)
        w.setTimeout(lambda: log.append(("scope", clock.now())), 100)   # 0.01 + 0.09 s
        await asyncio.sleep(1)
        log.append(("coroutine", clock.now()))
        await asyncio.sleep(10)
        log.append(("coroutine", clock.now()))
        await w.run_async()
        return log

    assert aio.run(main(), clock=clock) == [
        ("scope", 10.0), ("scope", 100.0), ("coroutine", 1000.0), ("scope", 5000.0),
        ("coroutine", 11000.0)]


def test_run_async_loop_limit_stops_a_runaway_interval_then_the_scope_goes_on():
    from timercore import LoopLimitError

    async def main():
        w = Window(clock=VirtualClock(), loop=asyncio.get_running_loop())
        ticks = []
        handle = w.setInterval(lambda: ticks.append(w.now()), 10)
        with pytest.raises(LoopLimitError, match="stopped after 5 timer tasks") as info:
            await w.run_async(loop_limit=5)
        assert info.value.active == [handle]
        assert len(ticks) == 5
        w.clearInterval(handle)
        await w.run_async()
        with pytest.raises(ValueError, match="loop_limit must be a positive int"):
            await w.run_async(loop_limit=0)

    asyncio.run(main())


def test_run_on_a_hosted_scope_is_a_clear_error_and_run_async_needs_a_host():
    async def main():
        w = Window(clock=VirtualClock(), loop=asyncio.get_running_loop())
        with pytest.raises(RuntimeError, match="run_async"):
            w.run()
        w.close()

    asyncio.run(main())
    with pytest.raises(RuntimeError, match="hosted"):
        asyncio.run(Window(clock=VirtualClock()).run_async())


def test_loop_must_be_an_asyncio_loop():
    with pytest.raises(TypeError, match="loop"):
        Window(loop=object())


def test_confirm_async_pauses_only_its_own_scope():
    answered = threading.Event()

    class SlowUser(ScriptedDialogs):
        def confirm(self, message):
            answered.wait(10)           # the user answers once the other scope has run
            return super().confirm(message)

    async def main():
        loop = asyncio.get_running_loop()
        w = Window(loop=loop, dialogs=SlowUser(confirm=[True]))
        other = WorkerGlobalScope(loop=loop)
        log = []
        w.setTimeout(lambda: log.append("w timer"), 0)
        other.setTimeout(lambda: (log.append("other ran during the dialog"),
                                  answered.set()), 1)
        result = await w.confirm_async("ok?")
        log.append(("answer", result))
        await w.run_async()
        await other.run_async()
        return log

    log = asyncio.run(main())
    assert log.index("other ran during the dialog") < log.index(("answer", True))
    assert "w timer" in log


def test_async_dialogs_need_a_hosted_scope():
    w = Window(clock=VirtualClock(), dialogs=ScriptedDialogs())
    with pytest.raises(RuntimeError, match="hosted"):
        asyncio.run(w.alert_async("x"))
