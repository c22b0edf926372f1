"""pytest-benchmark suites for the core wheel next to asyncio and heapq, at 1M timers.

    pytest bench/ --benchmark-only [--benchmark-compare]

Each case times one pass over N timers (pedantic, one round per setup), so the figure
divided by N is ns per timer, as in `timercore bench`.
"""
import asyncio
import functools

import pytest

from timercore.bench import scenarios as b

N = 1_000_000
CASES = {
    "wheel_insert": b.wheel_schedule,
    "wheel_insert_many": b.wheel_bulk_schedule,
    "wheel_cancel": b.wheel_cancel,
    "wheel_cancel_many": b.wheel_bulk_cancel,
    "wheel_advance_backlog": b.wheel_fire,
    "window_setTimeout": b.window_schedule,
    "window_clearTimeout": b.window_cancel,
    "window_fire_backlog": b.window_fire,
    "window_idle_callbacks": b.window_idle_callbacks,
    "wheel_reschedule": b.wheel_refresh,
    "window_refresh": b.window_refresh,
    "window_refresh_hot": functools.partial(b.window_refresh, hot=True),
    "window_refresh_many_hot": functools.partial(b.window_refresh_many, hot=True),
    "asyncio_cancel_call_later": functools.partial(b.loop_refresh, asyncio.new_event_loop),
    "asyncio_cancel_call_later_hot": functools.partial(b.loop_refresh, asyncio.new_event_loop,
                                                       hot=True),
    "wheel_idle_timeout_mix": b.wheel_idle,
    "window_idle_timeout_mix": b.window_idle,
    "asyncio_call_later": functools.partial(b.loop_schedule, asyncio.new_event_loop),
    "asyncio_cancel": functools.partial(b.loop_cancel, asyncio.new_event_loop),
    "asyncio_fire_backlog": functools.partial(b.loop_fire, asyncio.new_event_loop),
    "heapq_push": b.heapq_schedule,
    "heapq_fire_backlog": b.heapq_fire,
}


@pytest.mark.parametrize("name", list(CASES))
def test_bench(benchmark, name):
    fn = CASES[name]
    ns = benchmark.pedantic(fn, args=(N,), rounds=3, iterations=1)
    benchmark.extra_info["ns_per_timer"] = ns / N
    assert ns > 0
