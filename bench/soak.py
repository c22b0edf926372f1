"""Soak: cycles of N timers (default 10 x 10,000,000) through one TimerWheel, one Window
and one WheelEventLoop, kept across cycles: insert N, re-arm half, cancel 40 %, fire the
rest. After each cycle: RSS, live objects by type (gc.get_objects()), and the accounting
fired + cancelled == inserted. The bar: RSS after the last cycle within 5 % of after the
first, object counts flat, every timer accounted for.

    python bench/soak.py [--cycles 10] [--timers 10000000] [--json docs/soak-10m.json]

Not a test (it takes a while and needs ~4 GB); the figures are quoted in docs/reliability.md.
"""
import argparse
import asyncio
import gc
import json
import os
import time
from collections import Counter

import numpy as np

import timercore
from timercore import aio
from timercore.bench.workloads import SPAN_MS, idle_mix


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def plan(n: int, seed: int):
    """Deadlines, which half to re-arm and which 40 % to cancel (the bench's idle mix)."""
    mix = idle_mix(n, seed)
    return mix.deadlines, mix.rearm, mix.cancel


def wheel_cycle(w: timercore.TimerWheel, n: int, seed: int) -> tuple[int, int, int]:
    deadlines, rearm, cancel = plan(n, seed)
    base = w.now
    handles = w.insert_many(deadlines + base)
    for h, d in zip(handles[rearm].tolist(), (deadlines[rearm] + base + 1000.0).tolist(),
                    strict=True):
        w.reschedule(h, d)
    cancelled = w.cancel_many(handles[cancel])
    fired = len(w.advance(base + SPAN_MS + 2000.0))
    assert len(w) == 0
    return n, fired, cancelled


def window_cycle(win: timercore.Window, clock: timercore.VirtualClock, n: int,
                 seed: int) -> tuple[int, int, int]:
    deadlines, rearm, cancel = plan(n, seed)
    fired = [0]

    def hit() -> None:
        fired[0] += 1

    set_timeout = win.setTimeout
    ids = [set_timeout(hit, t) for t in deadlines.astype(np.int64).tolist()]
    clock.advance(1000.0)
    refresh = win.refresh
    for k in rearm.tolist():
        refresh(ids[k])
    clear = win.clearTimeout
    for k in cancel.tolist():
        clear(ids[k])
    win.run()
    assert win.count_timers() == 0
    return n, fired[0], len(cancel)


def loop_cycle(loop: asyncio.AbstractEventLoop, n: int, seed: int) -> tuple[int, int, int]:
    deadlines, rearm, cancel = plan(n, seed)
    fired = [0]

    def hit() -> None:
        fired[0] += 1

    async def cycle() -> None:
        later = loop.call_later
        delays = (deadlines / 1000.0).tolist()
        handles = [later(d, hit) for d in delays]
        for k in rearm.tolist():
            handles[k].cancel()
            handles[k] = later(delays[k] + 1.0, hit)
        for k in cancel.tolist():
            handles[k].cancel()
        handles.clear()
        await asyncio.sleep(SPAN_MS / 1000.0 + 2.0)

    loop.run_until_complete(cycle())
    assert loop.pending_timers() == 0
    return n, fired[0], len(cancel)


def live_objects() -> Counter:
    gc.collect()
    return Counter(type(o).__name__ for o in gc.get_objects())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cycles", type=int, default=10)
    p.add_argument("--timers", type=int, default=10_000_000)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    n = args.timers
    wheel = timercore.TimerWheel()
    clock = timercore.VirtualClock()
    win = timercore.Window(clock=clock)
    loop = aio.new_event_loop(clock=timercore.VirtualClock())
    rows = []
    totals = Counter()
    for c in range(args.cycles):
        t0 = time.perf_counter()
        accounts = {"TimerWheel": wheel_cycle(wheel, n, c),
                    "Window": window_cycle(win, clock, n, c),
                    "WheelEventLoop": loop_cycle(loop, n, c)}
        for layer, (inserted, fired, cancelled) in accounts.items():
            assert fired + cancelled == inserted, (layer, inserted, fired, cancelled)
            totals[layer, "inserted"] += inserted
            totals[layer, "fired"] += fired
            totals[layer, "cancelled"] += cancelled
        objects = live_objects()
        row = {"cycle": c + 1, "seconds": round(time.perf_counter() - t0, 1),
               "rss_mb": round(rss_bytes() / 2 ** 20, 1), "objects": sum(objects.values()),
               "by_type": dict(objects.most_common(15)), "accounts": accounts}
        rows.append(json.dumps(row))   # a str: the harness's own records stay out of the count
        print(f"cycle {c + 1}: {row['seconds']} s, RSS {row['rss_mb']} MB, "
              f"{row['objects']:,} live objects, accounts {accounts}", flush=True)
    rows = [json.loads(r) for r in rows]
    first, last = rows[0], rows[-1]
    drift = (last["rss_mb"] - first["rss_mb"]) / first["rss_mb"]
    grew = {t: last["by_type"].get(t, 0) - first["by_type"].get(t, 0)
            for t in set(first["by_type"]) | set(last["by_type"])}
    grew = {t: d for t, d in grew.items() if d}
    second = rows[1] if len(rows) > 1 else first
    summary = {"timers_per_cycle": n, "cycles": args.cycles, "rss_drift": drift,
               "object_count_change": last["objects"] - first["objects"],
               "object_count_change_after_cycle_2": last["objects"] - second["objects"],
               "type_count_changes_top15": grew,
               "totals": {f"{k[0]} {k[1]}": v for k, v in totals.items()}}
    print(f"RSS after cycle 1: {first['rss_mb']} MB, after cycle {args.cycles}: "
          f"{last['rss_mb']} MB, drift {drift:+.2%}; live objects "
          f"{first['objects']:,} -> {second['objects']:,} (cycle 2) -> {last['objects']:,}; "
          f"type changes {grew or 'none'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": summary, "cycles": rows}, f, indent=1)
    assert abs(drift) <= 0.05, f"RSS drift {drift:+.2%} exceeds 5 %"


if __name__ == "__main__":
    main()
