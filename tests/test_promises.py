"""Awaitable timers on a scope hosted on asyncio: sleep() and interval()."""
import asyncio
import contextlib

import pytest

import timercore


def hosted(clock, body):
    async def main():
        w = timercore.Window(clock=clock, loop=asyncio.get_running_loop())
        try:
            return await body(w)
        finally:
            w.close()
    return asyncio.run(main())


def test_sleep_waits_then_returns_the_value(clock):
    async def body(w):
        value = await w.sleep(250, value="done")
        return value, w.now(), w.count_timers()
    assert hosted(clock, body) == ("done", 250.0, 0)


def test_sleep_is_a_scope_timer_in_setTimeout_order(clock):
    async def body(w):
        order = []
        w.setTimeout(order.append, 10, "timer")
        await w.sleep(10)
        order.append("sleep")
        return order
    assert hosted(clock, body) == ["timer", "sleep"]


def test_cancelling_the_task_clears_the_sleep(clock):
    async def body(w):
        task = asyncio.ensure_future(w.sleep(10_000))
        await w.sleep(5)
        assert w.count_timers() == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return w.count_timers()
    assert hosted(clock, body) == 0


def test_interval_yields_every_period_and_clears_on_close(clock):
    async def body(w):
        times = []
        async with contextlib.aclosing(w.interval(100, value="tick")) as ticks:
            async for v in ticks:
                times.append((v, w.now()))
                if len(times) == 3:
                    break
        return times, w.count_timers()
    times, left = hosted(clock, body)
    assert times == [("tick", 100.0), ("tick", 200.0), ("tick", 300.0)] and left == 0


def test_interval_keeps_ticks_that_came_while_the_consumer_was_busy(clock):
    async def body(w):
        seen = 0
        async with contextlib.aclosing(w.interval(10)) as ticks:
            async for _ in ticks:
                seen += 1
                if seen == 1:
                    await w.sleep(35)          # ticks at 20, 30, 40 arrive meanwhile
                if seen == 4:
                    return w.now()
    assert hosted(clock, body) == 45.0


def test_cancelling_the_task_clears_the_interval(clock):
    async def body(w):
        async def consume():
            async for _ in w.interval(10):
                pass
        task = asyncio.ensure_future(consume())
        await w.sleep(55)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return w.count_timers()
    assert hosted(clock, body) == 0


def test_closing_the_scope_fails_its_waiters(clock):
    async def main():
        w = timercore.Window(clock=clock, loop=asyncio.get_running_loop())
        task = asyncio.ensure_future(w.sleep(1000))
        await asyncio.sleep(0)
        w.close()
        with pytest.raises(RuntimeError, match="closed"):
            await task
    asyncio.run(main())


def test_awaitables_need_a_hosted_scope(scope):
    with pytest.raises(RuntimeError, match="hosted on asyncio"):
        asyncio.run(scope.sleep(1))
