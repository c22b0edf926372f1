"""Timer lateness under load, on every loop: 1,000,000 idle timers pending, a CPU-busy
"server" (callbacks that each burn 0.5 ms, back to back), and 5,000 probe timers due at
random over 2 s. For each probe: how late it ran, by time.monotonic() against its
scheduled time (the same clock for every loop; a negative figure would be an early timer).

    python bench/lateness.py [--idle 1000000] [--probes 5000] [--json FILE]

Prints p50 / p99 / max lateness (ms) and the earliest run per loop; quoted in
docs/asyncio.md.
"""
import argparse
import asyncio
import json
import random
import statistics
import time

from timercore import aio

BUSY_S = 0.0005
SPAN_S = 2.0


def variants() -> dict:
    out = {"asyncio": asyncio.new_event_loop, "timercore (asyncio I/O)": aio.new_event_loop}
    for io in ("uvloop", "rloop"):
        try:
            mod = __import__(io)
        except ImportError:
            print(f"{io}: not installed, skipped")
            continue
        out[io] = mod.new_event_loop
        out[f"timercore ({io} I/O)"] = lambda io=io: aio.new_event_loop(io=io)
    return out


def measure(factory, idle: int, probes: int) -> dict:
    loop = factory()
    rng = random.Random(7)
    idle_handles = [loop.call_later(3600.0 + i * 1e-3, lambda: None) for i in range(idle)]
    late: list[float] = []
    done = loop.create_future()

    def probe(target: float) -> None:
        late.append(time.monotonic() - target)
        if len(late) == probes and not done.done():
            done.set_result(None)

    def busy() -> None:                       # the server: always something to do
        end = time.perf_counter() + BUSY_S
        while time.perf_counter() < end:
            pass
        if not done.done():
            loop.call_soon(busy)

    now = time.monotonic()
    for _ in range(probes):
        delay = rng.uniform(0.0, SPAN_S)
        loop.call_later(delay, probe, now + delay)
    loop.call_soon(busy)
    loop.run_until_complete(done)
    for h in idle_handles:
        h.cancel()
    loop.close()
    ms = sorted(x * 1000.0 for x in late)
    return {"p50_ms": statistics.median(ms), "p99_ms": ms[int(0.99 * (len(ms) - 1))],
            "max_ms": ms[-1], "earliest_ms": ms[0]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--idle", type=int, default=1_000_000)
    p.add_argument("--probes", type=int, default=5_000)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    rows = {}
    print(f"{'loop':28} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'earliest ms':>12}")
    for name, factory in variants().items():
        r = rows[name] = measure(factory, args.idle, args.probes)
        print(f"{name:28} {r['p50_ms']:8.3f} {r['p99_ms']:8.3f} {r['max_ms']:8.3f} "
              f"{r['earliest_ms']:12.3f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"idle": args.idle, "probes": args.probes, "busy_ms": BUSY_S * 1e3,
                       "results": rows}, f, indent=1)


if __name__ == "__main__":
    main()
