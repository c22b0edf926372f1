"""Memory per pending timer, measured in a fresh process (its own module so that the
benchmark can run it as a child: ``python -m timercore.bench.memory N PEER [traced]``).

RSS growth while N timers are scheduled, divided by N; with ``traced``, the Python heap's
growth as tracemalloc sees it instead (C memory such as the wheel's slab is invisible to
it). Prints one number.
"""
from __future__ import annotations

import gc
import importlib
import subprocess
import sys
from typing import Any, Callable

from timercore.bench.workloads import deadlines_ms

LOOPS = ("uvloop", "rloop", "zuvloop", "rsloop")     # each has new_event_loop()
PEERS = ("wheel", "window", "heapq", "asyncio", *LOOPS, "WheelEventLoop")


def rss() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) * 1024


def _loop(peer: str) -> Any:
    if peer in LOOPS:
        return importlib.import_module(peer).new_event_loop()
    if peer == "WheelEventLoop":
        from timercore import aio
        return aio.new_event_loop()
    import asyncio
    return asyncio.new_event_loop()


def per_timer(n: int, peer: str, traced: bool = False) -> float:
    measure: Callable[[], int] = rss
    if traced:
        import tracemalloc
        tracemalloc.start()
        measure = lambda: tracemalloc.get_traced_memory()[0]   # noqa: E731
    ds = deadlines_ms(n)

    def noop() -> None:
        pass

    if peer == "wheel":
        from timercore import TimerWheel
        w = TimerWheel()
        before = measure()
        for d in ds:
            w.insert(d)
    elif peer == "window":
        import timercore
        win = timercore.Window(clock=timercore.VirtualClock())
        before = measure()
        for d in ds:
            win.setTimeout(noop, d)
    elif peer == "heapq":
        import heapq
        heap: list[list[Any]] = []
        before = measure()
        for i, d in enumerate(ds):
            heapq.heappush(heap, [d, i, noop])
    else:
        loop = _loop(peer)
        delays = [d / 1000.0 for d in ds]
        later = loop.call_later
        before = measure()
        for d in delays:
            later(d, noop)      # the loop keeps what a pending timer needs
    gc.collect()
    return (measure() - before) / n


def measure_in_child(peer: str, n: int, traced: bool = False) -> float:
    out = subprocess.run([sys.executable, "-m", "timercore.bench.memory", str(n), peer,
                          "traced" if traced else "rss"],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    n, peer = int(sys.argv[1]), sys.argv[2]
    print(per_timer(n, peer, len(sys.argv) > 3 and sys.argv[3] == "traced"))


if __name__ == "__main__":
    main()
