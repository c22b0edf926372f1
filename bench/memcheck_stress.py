"""A stress run for valgrind memcheck: the TimerWheel, a Window and the WheelEventLoop
through insert, cancel, refresh/re-arm and fire at 100,000 timers each, with every timer
accounted for. Run it under memcheck with bench/memcheck.sh (zero errors, zero
definitely-lost bytes is the bar); plain `python bench/memcheck_stress.py` runs it as is.
"""
import asyncio
import sys

import numpy as np

import timercore
from timercore import aio
from timercore.bench.workloads import idle_mix

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def wheel() -> None:
    rng = np.random.default_rng(1)
    w = timercore.TimerWheel()
    handles = np.concatenate([w.insert_many(rng.uniform(0, 60_000, N // 2)),
                              np.array([w.insert(float(d))
                                        for d in rng.uniform(0, 60_000, N // 2)])])
    for h in handles[: N // 2 : 2]:
        w.reschedule(int(h), float(rng.uniform(0, 70_000)))
    cancelled = w.cancel_many(handles[1::5])
    assert len(w.snapshot().handles) == N - cancelled
    fired = 0
    now = 0.0
    while len(w):
        now += 997.0
        fired += len(w.advance(now))
    assert fired + cancelled == N, (fired, cancelled)
    w.lateness(0)
    w._check()


def window() -> None:
    clock = timercore.VirtualClock()
    w = timercore.Window(clock=clock, debug=True)
    fired = []
    mix = idle_mix(N, 1)
    ids = [w.setTimeout(fired.append, t, k) for k, t in enumerate(mix.deadlines.tolist())]
    for k in mix.rearm.tolist():
        w.refresh(ids[k])
    for k in mix.cancel.tolist():
        w.clearTimeout(ids[k])
    iv = w.setInterval(lambda: None, 1000)
    w.unref(iv)
    w.queueMicrotask(lambda: None)
    w.requestIdleCallback(lambda d: d.timeRemaining(), {"timeout": 10})
    w.timers_snapshot()
    w.run()
    assert len(fired) == mix.fired and len(set(fired)) == len(fired)
    w._check()
    w.close()


def loop() -> None:
    async def main() -> int:
        loop = asyncio.get_running_loop()
        fired = [0]

        def hit() -> None:
            fired[0] += 1

        delays = (mix.deadlines / 1000.0).tolist()
        handles = [loop.call_later(d, hit) for d in delays]
        for k in mix.rearm.tolist():                  # re-arm half, as asyncio code does
            handles[k].cancel()
            handles[k] = loop.call_later(delays[k] + 1.0, hit)
        for k in mix.cancel.tolist():
            handles[k].cancel()
        await asyncio.sleep(120)
        return fired[0]

    mix = idle_mix(N, 2)
    assert aio.run(main(), clock=timercore.VirtualClock()) == mix.fired


if __name__ == "__main__":
    for part in (wheel, window, loop):
        part()
        print(f"{part.__name__}: {N:,} timers, all accounted for")
