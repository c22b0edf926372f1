"""`timercore bench`: timercore's layers next to asyncio, uvloop, heapq and sched, in one run.

Every case builds its own state, then times one operation over N timers with
``perf_counter_ns``; figures are ns per timer (best of ``--repeat``), and the "x asyncio"
column divides asyncio's figure for the same scenario and N by the case's (so > 1 means
faster than asyncio). Garbage collection is left on, as users have it. Memory is the RSS
growth of a fresh child process holding N pending timers.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import functools
import heapq
import importlib.util
import itertools
import json
import platform
import random
import sched
import subprocess
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from timercore import TimerWheel

DEFAULT_TIMERS = (10_000, 100_000, 1_000_000)
SPAN_MS = 60_000.0          # deadlines spread over a minute, as idle timeouts are


def _noop() -> None:
    pass


def _deadlines(n: int, seed: int = 0) -> list[float]:
    return np.random.default_rng(seed).uniform(1.0, SPAN_MS, n).tolist()


def _timed(fn: Callable[[], object]) -> int:
    t0 = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - t0


def _drain(it) -> None:
    deque(it, 0)


# -- peers: each scenario function takes N and returns elapsed ns for N timers ----------

def wheel_schedule(n: int) -> int:
    w, ds = TimerWheel(), _deadlines(n)
    return _timed(lambda: _drain(map(w.insert, ds)))


def wheel_cancel(n: int) -> int:
    w, ds = TimerWheel(), _deadlines(n)
    hs = list(map(w.insert, ds))
    random.Random(1).shuffle(hs)
    return _timed(lambda: _drain(map(w.cancel, hs)))


def wheel_fire(n: int) -> int:
    w = TimerWheel()
    _drain(map(w.insert, _deadlines(n)))
    return _timed(lambda: w.advance(SPAN_MS))


def wheel_bulk_schedule(n: int) -> int:
    w, ds = TimerWheel(), np.asarray(_deadlines(n))
    return _timed(lambda: w.insert_many(ds))


def wheel_bulk_cancel(n: int) -> int:
    w = TimerWheel()
    hs = w.insert_many(np.asarray(_deadlines(n)))
    np.random.default_rng(1).shuffle(hs)
    return _timed(lambda: w.cancel_many(hs))


def _window(n: int):
    import timercore
    clock = timercore.VirtualClock()
    return clock, timercore.Window(clock=clock), [int(d) for d in _deadlines(n)]


def window_schedule(n: int) -> int:
    _, w, ts = _window(n)
    return _timed(lambda: _drain(map(w.setTimeout, itertools.repeat(_noop, n), ts)))


def window_cancel(n: int) -> int:
    _, w, ts = _window(n)
    ids = list(map(w.setTimeout, itertools.repeat(_noop, n), ts))
    random.Random(1).shuffle(ids)
    return _timed(lambda: _drain(map(w.clearTimeout, ids)))


def window_fire(n: int) -> int:
    """Every timer is due: one task each, a microtask checkpoint after each."""
    clock, w, ts = _window(n)
    _drain(map(w.setTimeout, itertools.repeat(_noop, n), ts))
    clock.advance(SPAN_MS)
    return _timed(w.run)


def window_idle_callbacks(n: int) -> int:
    """Post n idle callbacks with no timer pending, then run them all."""
    _, w, _ = _window(0)

    def work():
        _drain(map(w.requestIdleCallback, itertools.repeat(lambda deadline: None, n)))
        w.run()
    return _timed(work)


REFRESH_MS = 1_000.0        # the refresh scenarios re-arm timers 1 s later
HOT_FRACTION = 0.01         # "refresh (1 % active)": the connections that talk


def _refresh_order(n: int, hot: bool) -> list[int]:
    """Which timer each of n re-arms hits: each once in random order, or n re-arms spread
    over a random 1 % (the busy connections among a million mostly idle ones)."""
    rng = random.Random(1)
    if not hot:
        order = list(range(n))
        rng.shuffle(order)
        return order
    active = rng.sample(range(n), max(1, int(n * HOT_FRACTION)))
    return [active[rng.randrange(len(active))] for _ in range(n)]


def wheel_refresh(n: int, hot: bool = False) -> int:
    w, ds = TimerWheel(), _deadlines(n)
    hs = list(map(w.insert, ds))
    order = _refresh_order(n, hot)
    targets, later = [hs[i] for i in order], [ds[i] + REFRESH_MS for i in order]
    return _timed(lambda: _drain(map(w.reschedule, targets, later)))


def window_refresh(n: int, hot: bool = False) -> int:
    clock, w, ts = _window(n)
    ids = list(map(w.setTimeout, itertools.repeat(_noop, n), ts))
    targets = [ids[i] for i in _refresh_order(n, hot)]
    clock.advance(REFRESH_MS)
    return _timed(lambda: _drain(map(w.refresh, targets)))


def window_refresh_many(n: int, hot: bool = False, batch: int = 1000) -> int:
    """refresh_many over batches of ids (the ids that got packets in one loop turn)."""
    clock, w, ts = _window(n)
    ids = np.array(list(map(w.setTimeout, itertools.repeat(_noop, n), ts)), dtype=np.int64)
    targets = ids[np.array(_refresh_order(n, hot))]
    batches = [targets[k:k + batch] for k in range(0, n, batch)]
    clock.advance(REFRESH_MS)
    return _timed(lambda: _drain(map(w.refresh_many, batches)))


def loop_refresh(factory, n: int, hot: bool = False) -> int:
    """What asyncio code does instead of refresh: cancel the handle, schedule anew."""
    loop = _asyncio_loop(factory)
    delays = [d / 1000.0 for d in _deadlines(n)]
    hs = list(map(loop.call_later, delays, itertools.repeat(_noop, n)))
    later = loop.call_later

    def rearm(i: int) -> None:
        hs[i].cancel()
        hs[i] = later(delays[i], _noop)
    order = _refresh_order(n, hot)
    elapsed = _timed(lambda: _drain(map(rearm, order)))
    _drain(h.cancel() for h in hs)
    loop.close()
    return elapsed


def _asyncio_loop(factory: Callable[[], asyncio.AbstractEventLoop]):
    loop = factory()
    loop.time()
    return loop


def _loop_schedule(factory):
    def schedule(n: int) -> int:
        loop = _asyncio_loop(factory)
        base = loop.time()
        whens = [base + d / 1000.0 for d in _deadlines(n)]
        cbs = itertools.repeat(_noop, n)
        hs: list = []
        elapsed = _timed(lambda: hs.extend(map(loop.call_at, whens, cbs)))
        _drain(h.cancel() for h in hs)
        loop.close()
        return elapsed
    return schedule


def _loop_cancel(factory):
    def cancel(n: int) -> int:
        loop = _asyncio_loop(factory)
        base = loop.time()
        hs = [loop.call_at(base + d / 1000.0, _noop) for d in _deadlines(n)]
        random.Random(1).shuffle(hs)
        elapsed = _timed(lambda: _drain(map(type(hs[0]).cancel, hs)))
        loop.close()
        return elapsed
    return cancel


def _loop_fire(factory):
    def fire(n: int) -> int:
        loop = _asyncio_loop(factory)
        base = loop.time() - 2 * SPAN_MS / 1000.0     # all already due
        fired = [0]

        def count():                              # stops the loop when all have fired
            fired[0] += 1
            if fired[0] == n:
                loop.stop()

        for d in _deadlines(n):
            loop.call_at(base + d / 1000.0, count)
        elapsed = _timed(loop.run_forever)
        loop.close()
        assert fired[0] == n, f"{fired[0]} of {n} timers fired"
        return elapsed
    return fire


def heapq_schedule(n: int) -> int:
    heap: list = []
    ds, seq = _deadlines(n), itertools.count()
    push = heapq.heappush
    return _timed(lambda: _drain(push(heap, [d, next(seq), _noop]) for d in ds))


def heapq_cancel(n: int) -> int:
    """The lazy-cancel recipe from the heapq docs: mark the entry, skip it when popped."""
    heap: list = []
    for i, d in enumerate(_deadlines(n)):
        heapq.heappush(heap, [d, i, _noop])
    entries = list(heap)
    random.Random(1).shuffle(entries)

    def cancel():
        for e in entries:
            e[2] = None
    return _timed(cancel)


def heapq_fire(n: int) -> int:
    heap: list = []
    for i, d in enumerate(_deadlines(n)):
        heapq.heappush(heap, (d, i, _noop))
    pop = heapq.heappop

    def fire():
        while heap and heap[0][0] <= SPAN_MS:
            pop(heap)[2]()
    return _timed(fire)


def sched_schedule(n: int) -> int:
    s = sched.scheduler(timefunc=lambda: 0.0, delayfunc=lambda _: None)
    ds = _deadlines(n)
    return _timed(lambda: _drain(s.enterabs(d, 0, _noop) for d in ds))


def sched_fire(n: int) -> int:
    clock = [0.0]
    s = sched.scheduler(timefunc=lambda: clock[0], delayfunc=lambda _: None)
    for d in _deadlines(n):
        s.enterabs(d, 0, _noop)
    clock[0] = SPAN_MS
    return _timed(lambda: s.run(blocking=False))


# -- workloads: fire spread over a second; the idle-timeout mix -------------------------

def _cpu_timed(fn: Callable[[], object]) -> int:
    """CPU time (ns) of fn: for workloads that wait for real time to pass."""
    t0 = time.process_time_ns()
    fn()
    return time.process_time_ns() - t0


def _spread(n: int) -> list[float]:
    return np.random.default_rng(2).uniform(0.0, 1000.0, n).tolist()   # over one second


def wheel_spread(n: int) -> int:
    w = TimerWheel()
    w.insert_many(np.asarray(_spread(n)))

    def fire():
        for t in range(1, 1001):                 # a 1 ms tick, as a loop would
            w.advance(float(t))
    return _cpu_timed(fire)


def window_spread(n: int) -> int:
    clock, w, _ = _window(0)
    _drain(map(w.setTimeout, itertools.repeat(_noop, n), [int(t) for t in _spread(n)]))
    return _cpu_timed(w.run)                     # a VirtualClock: CPU only, no waiting


def _loop_spread(factory):
    def spread(n: int) -> int:
        loop = _asyncio_loop(factory)
        base = loop.time() + 0.01
        for d in _spread(n):
            loop.call_at(base + d / 1000.0, _noop)
        loop.call_at(base + 1.001, loop.stop)
        elapsed = _cpu_timed(loop.run_forever)   # a real second passes; CPU is counted
        loop.close()
        return elapsed
    return spread


def heapq_spread(n: int) -> int:
    heap = [(d, i, _noop) for i, d in enumerate(_spread(n))]
    heapq.heapify(heap)
    pop = heapq.heappop

    def fire():
        for t in range(1, 1001):
            while heap and heap[0][0] <= t:
                pop(heap)[2]()
    return _cpu_timed(fire)


def _idle_plan(n: int):
    """Schedule n, re-arm half, cancel 40 %, fire the rest: which index does what."""
    rng = random.Random(3)
    rearm = rng.sample(range(n), n // 2)
    cancel = rng.sample(range(n), 4 * n // 10)
    return _deadlines(n), rearm, cancel


def wheel_idle(n: int) -> int:
    ds, rearm, cancel = _idle_plan(n)
    w = TimerWheel()

    def work():
        hs = list(map(w.insert, ds))
        for i in rearm:
            w.reschedule(hs[i], ds[i] + 500.0)
        for i in cancel:
            w.cancel(hs[i])
        w.advance(2 * SPAN_MS)
    return _timed(work)


def window_idle(n: int) -> int:
    clock, w, ts = _window(n)
    _, rearm, cancel = _idle_plan(n)
    st, ct = w.setTimeout, w.clearTimeout

    def work():
        ids = list(map(st, itertools.repeat(_noop, n), ts))
        for i in rearm:                          # the web's re-arm: clear and set again
            ct(ids[i])
            ids[i] = st(_noop, ts[i] + 500)
        for i in cancel:
            ct(ids[i])
        clock.advance(2 * SPAN_MS)
        w.run()
    return _timed(work)


def _loop_idle(factory):
    def idle(n: int) -> int:
        loop = _asyncio_loop(factory)
        ds, rearm, cancel = _idle_plan(n)
        base = loop.time() - 3 * SPAN_MS / 1000.0    # all due by the time they fire
        whens = [base + d / 1000.0 for d in ds]

        def work():
            hs = list(map(loop.call_at, whens, itertools.repeat(_noop, n)))
            for i in rearm:
                hs[i].cancel()
                hs[i] = loop.call_at(whens[i] + 0.5, _noop)
            for i in cancel:
                hs[i].cancel()
            loop.call_soon(loop.stop)
            loop.run_forever()
        elapsed = _timed(work)
        loop.close()
        return elapsed
    return idle


def heapq_idle(n: int) -> int:
    ds, rearm, cancel = _idle_plan(n)

    def work():
        heap, seq = [], itertools.count()
        entries = []
        for d in ds:
            e = [d, next(seq), _noop]
            heapq.heappush(heap, e)
            entries.append(e)
        for i in rearm:
            entries[i][2] = None
            e = [ds[i] + 500.0, next(seq), _noop]
            heapq.heappush(heap, e)
            entries[i] = e
        for i in cancel:
            entries[i][2] = None
        while heap:
            cb = heapq.heappop(heap)[2]
            if cb is not None:
                cb()
    return _timed(work)


# -- memory: RSS growth of a child process holding N pending timers ----------------------

_MEMORY_SCRIPT = """
import sys, gc, itertools
def rss():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) for l in f if l.startswith('VmRSS')) * 1024
n, peer, traced = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "traced"
if traced:
    import tracemalloc; tracemalloc.start()
    rss_ = rss
    rss = lambda: tracemalloc.get_traced_memory()[0]
import numpy as np
ds = np.random.default_rng(0).uniform(1.0, 60000.0, n).tolist()
def noop(): pass
if peer == 'wheel':
    from timercore import TimerWheel
    w = TimerWheel(); ins = w.insert
    before = rss()
    for d in ds: ins(d)
elif peer == 'window':
    import timercore
    w = timercore.Window(clock=timercore.VirtualClock()); st = w.setTimeout
    ts = [int(d) for d in ds]
    before = rss()
    for t in ts: st(noop, t)
elif peer in ('asyncio', 'uvloop', 'WheelEventLoop'):
    if peer == 'uvloop':
        import uvloop; loop = uvloop.new_event_loop()
    elif peer == 'WheelEventLoop':
        from timercore import aio; loop = aio.new_event_loop()
    else:
        import asyncio; loop = asyncio.new_event_loop()
    base = loop.time(); ca = loop.call_at
    whens = [base + d / 1000.0 for d in ds]
    before = rss()
    for t in whens: ca(t, noop)
elif peer == 'heapq':
    import heapq; heap = []; push = heapq.heappush
    before = rss()
    for i, d in enumerate(ds): push(heap, [d, i, noop])
gc.collect()
print((rss() - before) / n)
"""


def _memory(peer: str, traced: bool = False) -> Callable[[int], float]:
    """RSS growth per timer in a fresh child (or, traced, the Python heap's growth as
    tracemalloc sees it: C memory such as the wheel's slab is invisible to it)."""
    def measure(n: int) -> float:
        out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(n), peer,
                              "traced" if traced else "rss"],
                             capture_output=True, text=True, check=True)
        return float(out.stdout.strip())
    return measure


# -- the registry -------------------------------------------------------------------------

@dataclass
class Case:
    scenario: str
    peer: str
    fn: Callable[[int], float]
    unit: str = "ns/timer"
    max_n: int | None = 1_000_000  # skip above this N (10M only for timercore's layers)
    once: bool = False             # independent of N: run at the first N only
    cpu: bool = False              # the figure is CPU time (the workload waits for time)


def _uvloop_factory():
    if importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop
    return uvloop.new_event_loop


def _refresh_cases(peer: str, scenario: Callable, max_n: int | None) -> list[Case]:
    """Both refresh scenarios for one peer, from ``scenario(n, hot=...)``."""
    return [Case(name, peer, functools.partial(scenario, hot=hot), max_n=max_n)
            for name, hot in (("refresh", False), ("refresh (1 % active)", True))]


def cases(peers: set[str]) -> tuple[list[Case], list[str]]:
    """Every (scenario, peer) to run, and the names of requested peers not installed."""
    from timercore import aio
    loops = {"asyncio": asyncio.new_event_loop, "WheelEventLoop": aio.new_event_loop}
    missing = []
    if "uvloop" in peers:
        uv = _uvloop_factory()
        if uv is None:
            missing.append("uvloop (pip install 'timercore[bench]')")
        else:
            loops["uvloop"] = uv
    big = None                     # timercore's layers also run at 10M
    out = [
        Case("schedule", "TimerWheel.insert", wheel_schedule, max_n=big),
        Case("schedule", "TimerWheel.insert_many", wheel_bulk_schedule, max_n=big),
        Case("cancel", "TimerWheel.cancel", wheel_cancel, max_n=big),
        Case("cancel", "TimerWheel.cancel_many", wheel_bulk_cancel, max_n=big),
        Case("fire backlog", "TimerWheel.advance", wheel_fire, max_n=big),
        *_refresh_cases("TimerWheel.reschedule", wheel_refresh, big),
        Case("fire over 1 s", "TimerWheel.advance (1 ms steps)", wheel_spread, cpu=True,
             max_n=big),
        Case("idle-timeout mix", "TimerWheel", wheel_idle, max_n=big),
        Case("memory", "TimerWheel", _memory("wheel"), "bytes/timer", max_n=big),
        Case("memory (tracemalloc)", "TimerWheel", _memory("wheel", True), "bytes/timer"),
        Case("schedule", "Window.setTimeout", window_schedule, max_n=big),
        Case("cancel", "Window.clearTimeout", window_cancel, max_n=big),
        Case("fire backlog", "Window (task + checkpoint)", window_fire, max_n=big),
        *_refresh_cases("Window.refresh", window_refresh, big),
        *_refresh_cases("Window.refresh_many (batches of 1,000)", window_refresh_many, big),
        Case("fire over 1 s", "Window (virtual clock)", window_spread, cpu=True),
        Case("idle-timeout mix", "Window", window_idle),
        Case("idle callbacks (post + run)", "Window.requestIdleCallback",
             window_idle_callbacks),
        Case("memory", "Window.setTimeout", _memory("window"), "bytes/timer", max_n=big),
        Case("memory (tracemalloc)", "Window.setTimeout", _memory("window", True),
             "bytes/timer"),
    ]
    for name, factory in loops.items():
        if name in peers or name == "WheelEventLoop":
            n_max = big if name == "WheelEventLoop" else 1_000_000
            out += [Case("schedule", f"{name} call_at", _loop_schedule(factory), max_n=n_max),
                    Case("cancel", f"{name} cancel", _loop_cancel(factory), max_n=n_max),
                    Case("fire backlog", f"{name} loop", _loop_fire(factory), max_n=n_max),
                    *_refresh_cases(f"{name} cancel + call_later",
                                    functools.partial(loop_refresh, factory), n_max),
                    Case("fire over 1 s", f"{name} loop (real time)", _loop_spread(factory),
                         cpu=True),
                    Case("idle-timeout mix", name, _loop_idle(factory)),
                    Case("memory", name, _memory(name), "bytes/timer"),
                    Case("memory (tracemalloc)", name, _memory(name, True), "bytes/timer"),
                    Case("server: 2,000 conns, idle timeout per message", name,
                         _server_case(factory), "ns CPU/message", once=True)]
    if "heapq" in peers:
        out += [Case("schedule", "heapq", heapq_schedule),
                Case("cancel", "heapq (lazy)", heapq_cancel),
                Case("fire backlog", "heapq", heapq_fire),
                Case("fire over 1 s", "heapq (1 ms steps)", heapq_spread, cpu=True),
                Case("idle-timeout mix", "heapq (lazy)", heapq_idle),
                Case("memory", "heapq", _memory("heapq"), "bytes/timer")]
    if "sched" in peers:
        out += [Case("schedule", "sched", sched_schedule),
                Case("fire backlog", "sched", sched_fire)]
    return out, missing


@dataclass
class Result:
    scenario: str
    peer: str
    n: int
    unit: str
    samples: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.samples)


def _server_case(factory):
    def cpu_per_message(n: int) -> float:
        from timercore.server_scenario import run_server_scenario
        return run_server_scenario(factory, clients=2000, messages=20).cpu_ns_per_message
    return cpu_per_message


def _runs(case: Case, n: int, ns: list[int]) -> bool:
    return (case.max_n is None or n <= case.max_n) and (not case.once or n == ns[0])


def measure(case_list: list[Case], ns: list[int], repeat: int, progress=None) -> list[Result]:
    results = []
    for n in ns:
        for case in case_list:
            if not _runs(case, n, ns):
                continue
            r = Result(case.scenario, case.peer, n, case.unit)
            per_timer = case.unit == "ns/timer"
            for _ in range(repeat if per_timer else 1):
                gc.collect()
                value = case.fn(n)
                r.samples.append(value / n if per_timer else value)
            results.append(r)
            if progress is not None:
                progress()
    return results


def ratio_to_asyncio(results: list[Result]) -> dict[tuple[str, str, int], float]:
    base = {(r.scenario, r.n): r.best for r in results if r.peer.startswith("asyncio")}
    return {(r.scenario, r.peer, r.n): base[(r.scenario, r.n)] / r.best
            for r in results if (r.scenario, r.n) in base and r.best > 0}


def render(results: list[Result], console) -> None:
    from rich.table import Table

    ratios = ratio_to_asyncio(results)
    for n in sorted({r.n for r in results}):
        table = Table(title=f"N = {n:,} timers  (gc on; best of samples)")
        table.add_column("scenario")
        table.add_column("peer")
        table.add_column("figure", justify="right")
        table.add_column("× asyncio", justify="right")
        for r in (r for r in results if r.n == n):
            ratio = ratios.get((r.scenario, r.peer, n))
            table.add_row(r.scenario, r.peer, f"{r.best:,.1f} {r.unit}",
                          "" if ratio is None else f"{ratio:,.1f}×")
        console.print(table)


def chart(results: list[Result], path: str) -> None:
    """ns/timer against N, log-log, one line per (scenario, peer)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for r in results:
        if r.unit == "ns/timer":
            series.setdefault((r.scenario, r.peer), []).append((r.n, r.best))
    scenarios = sorted({s for s, _ in series})
    cols = min(3, len(scenarios))
    rows = -(-len(scenarios) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4.5 * rows), squeeze=False)
    for ax in axes.flat[len(scenarios):]:
        ax.set_visible(False)
    for ax, scenario in zip(axes.flat, scenarios):
        for (s, peer), points in sorted(series.items()):
            if s == scenario and points:
                xs, ys = zip(*sorted(points))
                ax.plot(xs, ys, marker="o", label=peer)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(scenario)
        ax.set_xlabel("timers (N)")
        ax.set_ylabel("ns per timer (gc on)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def load_results(path: str) -> list[Result]:
    """Results from a --json file (e.g. to redraw a chart)."""
    with open(path) as f:
        rows = json.load(f)["results"]
    return [Result(r["scenario"], r["peer"], r["n"], r["unit"], r["samples"]) for r in rows]


def environment() -> dict:
    import numpy
    import timercore
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "machine": platform.machine(), "timercore": timercore.__version__,
            "numpy": numpy.__version__, "gc": "enabled",
            "uvloop": getattr(importlib.util.find_spec("uvloop"), "name", None)}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timers", default=",".join(map(str, DEFAULT_TIMERS)),
                   help="N, or a comma-separated list of N (default: 10000,100000,1000000)")
    p.add_argument("--peers", default="asyncio,uvloop,heapq,sched",
                   help="comma-separated peers to compare with")
    p.add_argument("--scenario", default=None,
                   help="comma-separated scenarios (schedule, cancel, fire backlog, memory, "
                        "server)")
    p.add_argument("--repeat", type=int, default=3, help="samples per case (best is shown)")
    p.add_argument("--json", metavar="FILE", help="write machine-readable results here")
    p.add_argument("--chart", metavar="FILE.png", help="write a log-log chart (matplotlib)")
    p.add_argument("--ten-million", action="store_true",
                   help="add N=10,000,000 for the layers that can hold it (timercore's)")
    p.add_argument("--quick", action="store_true", help="N=10000, one sample: a smoke run")


def _parse_ns(text: str) -> list[int]:
    try:
        ns = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"--timers must be integers, got {text!r}") from None
    if not ns or min(ns) <= 0:
        raise SystemExit("--timers must be positive")
    return ns


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress

    console = Console()
    ns = [10_000] if args.quick else _parse_ns(args.timers)
    if args.ten_million and 10_000_000 not in ns:
        ns.append(10_000_000)
    repeat = 1 if args.quick else max(1, args.repeat)
    case_list, missing = cases({p.strip() for p in args.peers.split(",") if p.strip()})
    if args.scenario:
        wanted = {s.strip() for s in args.scenario.split(",")}
        case_list = [c for c in case_list if c.scenario.split(":")[0] in wanted]
    for name in missing:
        console.print(f"[yellow]skipped: {name} is not installed[/yellow]")
    total = sum(1 for n in ns for c in case_list if _runs(c, n, ns))
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("benchmarking", total=total)
        results = measure(case_list, ns, repeat, lambda: progress.advance(task))
    render(results, console)
    if args.chart:
        chart(results, args.chart)
        console.print(f"chart written to {args.chart}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": environment(),
                       "results": [asdict(r) | {"best": r.best} for r in results]}, f, indent=1)
    return 0
