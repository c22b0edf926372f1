"""websockets' keepalive timer path at N connections without the sockets (the
`keepalive timers` row of `timercore bench --full`), with the garbage collector's share:
CPU ns per ping, of which in collections (gc.callbacks), and how many full collections
ran. Each loop in a fresh process, the loops' order alternating over the rounds.

    python bench/keepalive_timers.py                      # N = 100,000, 3 rounds
    python bench/keepalive_timers.py --n 10000 --rounds 5 --loops asyncio,timercore
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time

from timercore.bench.servers import SERVER_LOOPS, installed


def measure(loop: str, n: int) -> dict[str, float]:
    """In this process: one run, with the collector's time summed by gc.callbacks."""
    from timercore.bench import scenarios as sc
    from timercore.bench.servers import loop_factory
    gc_ns, full, started = [0], [0], [0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter_ns()
        else:
            gc_ns[0] += time.perf_counter_ns() - started[0]
            full[0] += info["generation"] == 2

    gc.callbacks.append(on_gc)
    per_ping = sc.loop_keepalive(loop_factory(loop), n)
    gc.callbacks.remove(on_gc)
    return {"ns_per_ping": per_ping, "gc_ns_per_ping": gc_ns[0] / (n * sc.KEEPALIVE_PINGS),
            "full_collections": full[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loops", default=",".join(SERVER_LOOPS))
    ap.add_argument("--one", help=argparse.SUPPRESS)          # the child's own run
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.n)))
        return
    loops = installed(args.loops.split(","))
    runs: dict[str, list[dict[str, float]]] = {}
    for r in range(args.rounds):
        for loop in loops[r % len(loops):] + loops[:r % len(loops)]:
            out = subprocess.run([sys.executable, __file__, "--one", loop, "--n", str(args.n)],
                                 capture_output=True, text=True, check=True, timeout=900)
            runs.setdefault(loop, []).append(json.loads(out.stdout))
    print(f"N = {args.n:,}, {args.rounds} rounds; median (min-max) µs CPU per ping\n")
    print("| loop | µs CPU/ping | of which GC | full collections |\n|---|---:|---:|---:|")
    for loop, rs in runs.items():
        us = [r["ns_per_ping"] / 1000 for r in rs]
        gcs = statistics.median(r["gc_ns_per_ping"] / 1000 for r in rs)
        print(f"| {loop} | {statistics.median(us):.1f} ({min(us):.1f}-{max(us):.1f}) | "
              f"{gcs:.1f} | {int(statistics.median(r['full_collections'] for r in rs))} |")


if __name__ == "__main__":
    main()
