"""What each peer does in each scenario, written as users write it: plain ``for`` loops,
float timeouts (random over a minute), cancels in random order. Each function builds its
own state, then returns the nanoseconds one pass over N timers took (``cpu_*``: CPU time,
for workloads that wait for real time to pass). Bulk and ``map()`` forms are separate,
labelled rows.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import sched
import time
from collections import deque
from typing import Any, Callable

import numpy as np

from timercore import TimerWheel, VirtualClock, Window
from timercore.bench.workloads import (REFRESH_MS, SPAN_MS, deadlines_ms, idle_mix,
                                       refresh_order, shuffled)

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def noop() -> None:
    pass


def timed(fn: Callable[[], object]) -> int:
    t0 = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - t0


def cpu_timed(fn: Callable[[], object]) -> int:
    t0 = time.process_time_ns()
    fn()
    return time.process_time_ns() - t0


def spread_ms(n: int) -> list[float]:
    return deadlines_ms(n, seed=2, span_ms=1000.0)     # over one second


# -- TimerWheel ---------------------------------------------------------------------------

def wheel_schedule(n: int) -> int:
    w, ds, hs = TimerWheel(), deadlines_ms(n), list[int]()

    def work() -> None:
        insert, keep = w.insert, hs.append
        for d in ds:
            keep(insert(d))
    return timed(work)


def wheel_bulk_schedule(n: int) -> int:
    w, ds = TimerWheel(), np.asarray(deadlines_ms(n))
    return timed(lambda: w.insert_many(ds))


def wheel_cancel(n: int) -> int:
    w = TimerWheel()
    hs = shuffled([w.insert(d) for d in deadlines_ms(n)])

    def work() -> None:
        cancel = w.cancel
        for h in hs:
            cancel(h)
    return timed(work)


def wheel_pair(n: int) -> int:
    w, ds = TimerWheel(), deadlines_ms(n)

    def work() -> None:
        insert, cancel = w.insert, w.cancel
        for d in ds:
            cancel(insert(d))
    return timed(work)


def wheel_bulk_cancel(n: int) -> int:
    w = TimerWheel()
    hs = w.insert_many(np.asarray(deadlines_ms(n)))
    np.random.default_rng(1).shuffle(hs)
    return timed(lambda: w.cancel_many(hs))


def wheel_fire(n: int) -> int:
    w = TimerWheel()
    w.insert_many(np.asarray(deadlines_ms(n)))
    return timed(lambda: w.advance(SPAN_MS))


def wheel_refresh(n: int, hot: bool = False) -> int:
    w, ds = TimerWheel(), deadlines_ms(n)
    hs = [w.insert(d) for d in ds]
    order = refresh_order(n, hot)
    pairs = [(hs[i], ds[i] + REFRESH_MS) for i in order]

    def work() -> None:
        reschedule = w.reschedule
        for h, d in pairs:
            reschedule(h, d)
    return timed(work)


def wheel_spread(n: int) -> int:
    w = TimerWheel()
    w.insert_many(np.asarray(spread_ms(n)))

    def fire() -> None:
        for t in range(1, 1001):                 # a 1 ms tick, as a loop would
            w.advance(float(t))
    return cpu_timed(fire)


def wheel_idle(n: int) -> int:
    mix, w = idle_mix(n), TimerWheel()
    ds, rearm, cancel = mix.deadlines.tolist(), mix.rearm.tolist(), mix.cancel.tolist()

    def work() -> None:
        hs = [w.insert(d) for d in ds]
        for i in rearm:
            w.reschedule(hs[i], ds[i] + REFRESH_MS)
        for i in cancel:
            w.cancel(hs[i])
        w.advance(2 * SPAN_MS)
    return timed(work)


# -- Window ---------------------------------------------------------------------------------

def _window() -> tuple[VirtualClock, Window]:
    clock = VirtualClock()
    return clock, Window(clock=clock)


def window_schedule(n: int) -> int:
    _, w = _window()
    ts, ids = deadlines_ms(n), list[int]()

    def work() -> None:
        set_timeout, keep = w.setTimeout, ids.append
        for t in ts:
            keep(set_timeout(noop, t))
    return timed(work)


def window_schedule_map_int(n: int) -> int:
    """The former headline: int timeouts fed through map() (no user writes this)."""
    _, w = _window()
    ts = [int(d) for d in deadlines_ms(n)]
    return timed(lambda: deque(map(w.setTimeout, itertools.repeat(noop, n), ts), 0))


def window_cancel(n: int) -> int:
    _, w = _window()
    ids = shuffled([w.setTimeout(noop, t) for t in deadlines_ms(n)])

    def work() -> None:
        clear = w.clearTimeout
        for i in ids:
            clear(i)
    return timed(work)


def window_pair(n: int) -> int:
    _, w = _window()
    ts = deadlines_ms(n)

    def work() -> None:
        set_timeout, clear = w.setTimeout, w.clearTimeout
        for t in ts:
            clear(set_timeout(noop, t))
    return timed(work)


def window_fire(n: int) -> int:
    """Every timer is due: one task each, a microtask checkpoint after each."""
    clock, w = _window()
    for t in deadlines_ms(n):
        w.setTimeout(noop, t)
    clock.advance(SPAN_MS)
    return timed(w.run)


def window_refresh(n: int, hot: bool = False) -> int:
    clock, w = _window()
    ids = [w.setTimeout(noop, t) for t in deadlines_ms(n)]
    targets = [ids[i] for i in refresh_order(n, hot)]
    clock.advance(REFRESH_MS)

    def work() -> None:
        refresh = w.refresh
        for i in targets:
            refresh(i)
    return timed(work)


def window_refresh_many(n: int, hot: bool = False, batch: int = 1000) -> int:
    """refresh_many over batches of ids (the ids that got packets in one loop turn)."""
    clock, w = _window()
    ids = np.array([w.setTimeout(noop, t) for t in deadlines_ms(n)], dtype=np.int64)
    targets = ids[np.array(refresh_order(n, hot))]
    batches = [targets[k:k + batch] for k in range(0, n, batch)]
    clock.advance(REFRESH_MS)

    def work() -> None:
        for b in batches:
            w.refresh_many(b)
    return timed(work)


def window_spread(n: int) -> int:
    _, w = _window()
    for t in spread_ms(n):
        w.setTimeout(noop, t)
    return cpu_timed(w.run)                      # a VirtualClock: CPU only, no waiting


def window_idle(n: int) -> int:
    clock, w = _window()
    mix = idle_mix(n)
    ts, rearm, cancel = mix.deadlines.tolist(), mix.rearm.tolist(), mix.cancel.tolist()

    def work() -> None:
        st, ct = w.setTimeout, w.clearTimeout
        ids = [st(noop, t) for t in ts]
        for i in rearm:                          # the web's re-arm: clear and set again
            ct(ids[i])
            ids[i] = st(noop, ts[i] + REFRESH_MS)
        for i in cancel:
            ct(ids[i])
        clock.advance(2 * SPAN_MS)
        w.run()
    return timed(work)


def window_idle_callbacks(n: int) -> int:
    """Post n idle callbacks with no timer pending, then run them all."""
    _, w = _window()

    def idle(deadline: Any) -> None:
        pass

    def work() -> None:
        post = w.requestIdleCallback
        for _ in range(n):
            post(idle)
        w.run()
    return timed(work)


# -- asyncio loops (asyncio, uvloop, rloop, timercore's) -------------------------------------

def _loop(factory: LoopFactory) -> asyncio.AbstractEventLoop:
    loop = factory()
    loop.time()
    return loop


def loop_schedule(factory: LoopFactory, n: int) -> int:
    loop = _loop(factory)
    delays, hs = [d / 1000.0 for d in deadlines_ms(n)], list[asyncio.TimerHandle]()

    def work() -> None:
        later, keep = loop.call_later, hs.append
        for d in delays:
            keep(later(d, noop))
    elapsed = timed(work)
    for h in hs:
        h.cancel()
    loop.close()
    return elapsed


def loop_cancel(factory: LoopFactory, n: int) -> int:
    loop = _loop(factory)
    hs = shuffled([loop.call_later(d / 1000.0, noop) for d in deadlines_ms(n)])

    def work() -> None:
        for h in hs:
            h.cancel()
    elapsed = timed(work)
    loop.close()
    return elapsed


def loop_pair(factory: LoopFactory, n: int) -> int:
    """``call_later(...).cancel()`` with nothing else pending: zuvloop's headline."""
    loop = _loop(factory)
    delays = [d / 1000.0 for d in deadlines_ms(n)]

    def work() -> None:
        later = loop.call_later
        for d in delays:
            later(d, noop).cancel()
    elapsed = timed(work)
    loop.close()
    return elapsed


FIRE_SPAN_S = 1.0       # loop_fire's deadlines: 1 ms to 1 s after each call


def loop_fire(factory: LoopFactory, n: int) -> int:
    """Fire N timers that were scheduled in the future and became due while the loop was
    blocked: each ``call_later`` delay is at least 1 ms (uvloop, rloop and others turn a
    delay that rounds to 0 into ``call_soon``, which is not a timer), then the process
    waits until all are due, then the loop runs them."""
    loop = _loop(factory)
    rng = np.random.default_rng(7)
    delays = (0.001 + rng.random(n) * (FIRE_SPAN_S - 0.001)).tolist()
    fired = [0]

    def count() -> None:                          # stops the loop when all have fired
        fired[0] += 1
        if fired[0] == n:
            loop.stop()

    later = loop.call_later
    handles = [later(d, count) for d in delays]
    assert_timers(handles)
    end = loop.time() + FIRE_SPAN_S + 0.05
    del handles
    time.sleep(max(0.0, end - loop.time()))      # blocked: every timer comes due meanwhile
    elapsed = timed(loop.run_forever)
    loop.close()
    assert fired[0] == n, f"{fired[0]} of {n} timers fired"
    return elapsed


def assert_timers(handles: list[Any]) -> None:
    """Each handle is a timer of the loop's timer store, not a call_soon Handle on its
    ready queue (asyncio, uvloop, rloop, zuvloop and rsloop all name the class so)."""
    kinds = {type(h).__name__ for h in handles}
    if not all("TimerHandle" in k for k in kinds):
        raise AssertionError(f"not timers: {sorted(kinds)}")


def loop_refresh(factory: LoopFactory, n: int, hot: bool = False) -> int:
    """What asyncio code does instead of refresh: cancel the handle, schedule anew."""
    loop = _loop(factory)
    delays = [d / 1000.0 for d in deadlines_ms(n)]
    hs = [loop.call_later(d, noop) for d in delays]
    order = refresh_order(n, hot)

    def work() -> None:
        later = loop.call_later
        for i in order:
            hs[i].cancel()
            hs[i] = later(delays[i], noop)
    elapsed = timed(work)
    for h in hs:
        h.cancel()
    loop.close()
    return elapsed


def loop_spread(factory: LoopFactory, n: int) -> int:
    loop = _loop(factory)
    base = loop.time() + 0.01
    for d in spread_ms(n):
        loop.call_at(base + d / 1000.0, noop)
    loop.call_at(base + 1.001, loop.stop)
    elapsed = cpu_timed(loop.run_forever)        # a real second passes; CPU is counted
    loop.close()
    return elapsed


def loop_idle(factory: LoopFactory, n: int) -> int:
    loop = _loop(factory)
    mix = idle_mix(n)
    base = loop.time() - 3 * SPAN_MS / 1000.0     # all due by the time they fire
    whens = (base + mix.deadlines / 1000.0).tolist()
    rearm, cancel = mix.rearm.tolist(), mix.cancel.tolist()

    def work() -> None:
        call_at = loop.call_at
        hs = [call_at(w, noop) for w in whens]
        for i in rearm:
            hs[i].cancel()
            hs[i] = call_at(whens[i] + 1.0, noop)
        for i in cancel:
            hs[i].cancel()
        loop.call_soon(loop.stop)
        loop.run_forever()
    elapsed = timed(work)
    loop.close()
    return elapsed


KEEPALIVE_PINGS = 3     # loop_keepalive: keepalive cycles per connection


def loop_keepalive(factory: LoopFactory, n: int) -> float:
    """websockets' keepalive timer path, N connections, without the sockets: each task
    sleeps until its ping is due (``asyncio.sleep``: a future and a call_later that fires),
    then waits for the pong under ``asyncio.timeout`` (a call_at, cancelled when the
    pong, a call_soon here, comes). All N sleep at once: N timers pending. CPU ns per ping
    (the delays are real, 1-2 ms), the tasks' creation included."""
    loop = _loop(factory)
    rng = np.random.default_rng(3)
    delays = (0.001 + rng.random(n) * 0.001).tolist()

    async def connection(delay: float) -> None:
        for _ in range(KEEPALIVE_PINGS):
            await asyncio.sleep(delay)
            pong = loop.create_future()
            loop.call_soon(pong.set_result, 0.0)
            async with asyncio.timeout(10.0):
                await pong

    async def main() -> None:
        await asyncio.gather(*(connection(d) for d in delays))

    elapsed = cpu_timed(lambda: loop.run_until_complete(main()))
    loop.close()
    return elapsed / (n * KEEPALIVE_PINGS)


def loop_server(factory: LoopFactory, n: int, idle_timers: int = 0) -> float:
    """CPU ns per message of the loopback echo server with idle timeouts (N unused), with
    ``idle_timers`` more timers pending meanwhile (the idle connections of a big server)."""
    from timercore.server_scenario import run_server_scenario
    return run_server_scenario(factory, clients=2000, messages=20,
                               idle_timers=idle_timers).cpu_ns_per_message


# -- heapq and sched ---------------------------------------------------------------------

def heapq_schedule(n: int) -> int:
    ds, heap, entries = deadlines_ms(n), list[list[Any]](), list[list[Any]]()

    def work() -> None:
        push, keep, seq = heapq.heappush, entries.append, itertools.count()
        for d in ds:
            e = [d, next(seq), noop]
            push(heap, e)
            keep(e)
    return timed(work)


def heapq_cancel(n: int) -> int:
    """Lazy deletion, as asyncio does: mark the entry, leave it in the heap."""
    heap = [[d, i, noop] for i, d in enumerate(deadlines_ms(n))]
    heapq.heapify(heap)
    entries = shuffled(heap)

    def work() -> None:
        for e in entries:
            e[2] = None
    return timed(work)


def heapq_fire(n: int) -> int:
    heap = [(d, i, noop) for i, d in enumerate(deadlines_ms(n))]
    heapq.heapify(heap)

    def fire() -> None:
        pop = heapq.heappop
        while heap:
            pop(heap)[2]()
    return timed(fire)


def heapq_spread(n: int) -> int:
    heap = [(d, i, noop) for i, d in enumerate(spread_ms(n))]
    heapq.heapify(heap)

    def fire() -> None:
        pop = heapq.heappop
        for t in range(1, 1001):
            while heap and heap[0][0] <= t:
                pop(heap)[2]()
    return cpu_timed(fire)


def heapq_idle(n: int) -> int:
    mix = idle_mix(n)
    ds, rearm, cancel = mix.deadlines.tolist(), mix.rearm.tolist(), mix.cancel.tolist()

    def work() -> None:
        heap: list[list[Any]] = []
        seq = itertools.count()
        entries = []
        for d in ds:
            e = [d, next(seq), noop]
            heapq.heappush(heap, e)
            entries.append(e)
        for i in rearm:
            entries[i][2] = None
            e = [ds[i] + REFRESH_MS, next(seq), noop]
            heapq.heappush(heap, e)
            entries[i] = e
        for i in cancel:
            entries[i][2] = None
        while heap:
            cb = heapq.heappop(heap)[2]
            if cb is not None:
                cb()
    return timed(work)


def sched_schedule(n: int) -> int:
    s, ds = sched.scheduler(), deadlines_ms(n)

    def work() -> None:
        enter = s.enterabs
        for d in ds:
            enter(d, 0, noop)
    return timed(work)


def sched_fire(n: int) -> int:
    now = [0.0]
    s = sched.scheduler(lambda: now[0], lambda dt: now.__setitem__(0, now[0] + dt))
    for d in deadlines_ms(n):
        s.enterabs(d, 0, noop)
    return timed(s.run)
