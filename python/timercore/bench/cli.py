"""`timercore bench`: timercore's layers next to the timers a user would pick instead
(asyncio, uvloop, rloop, Node.js, heapq, sched), in one run, on one machine.

Each case builds its own state, in a child process forked from the runner (so no case
inherits the heap another left behind: at a million timers, where earlier cases' objects
lie decides the cache and TLB misses of the next), then times one pass over N timers with
``perf_counter_ns`` (CPU time where the workload waits for real time); figures are per
timer, the best of ``--repeat`` samples. Garbage collection stays on, as users have it.
Memory is the RSS growth of a fresh child process holding N pending timers (for Node.js,
its V8 heap). Ratios from one run carry over between machines; absolute figures do not.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from timercore.bench import scenarios as sc
from timercore.bench.memory import measure_in_child

DEFAULT_TIMERS = (1_000_000,)
FULL_TIMERS = (10_000, 100_000, 1_000_000)
# zuvloop and rsloop: the fast loops that ship CPython 3.14 wheels (zuvloop: 3.14 only).
LOOP_PEERS = ("asyncio", "uvloop", "rloop", "zuvloop", "rsloop")
DEFAULT_PEERS = (*LOOP_PEERS, "node", "heapq")
PEERS = (*DEFAULT_PEERS, "sched")
FOREIGN_LOOPS = {"uvloop": "pip install uvloop", "rloop": "pip install rloop",
                 "zuvloop": "pip install zuvloop; CPython 3.14", "rsloop": "pip install rsloop"}

# Rows of the table, in order; the first four are the default run's headline.
SCENARIOS = {
    "schedule": "schedule N timers, float timeouts random over a minute (for loop)",
    "cancel": "cancel N pending timers in random order (for loop)",
    "schedule + cancel": "schedule a timer and cancel it at once, N times, nothing else "
                         "pending (zuvloop's headline)",
    "fire": "fire N timers that were scheduled in the future and came due while the loop "
            "was blocked (no-op callbacks)",
    "memory": "bytes per pending timer (RSS growth; Node.js: V8 heap)",
    "schedule (bulk)": "TimerWheel.insert_many over a numpy array",
    "cancel (bulk)": "TimerWheel.cancel_many over a numpy array",
    "schedule (map, int)": "Window.setTimeout fed int timeouts through map()",
    "refresh": "re-arm each pending timer once, random order (loops: cancel + call_later)",
    "refresh (1 % active)": "N re-arms over a random 1 % of the pending timers",
    "refresh_many": "Window.refresh_many in batches of 1,000 ids",
    "fire over 1 s": "CPU to fire N timers spread over one real (or virtual) second",
    "idle-timeout mix": "insert N, re-arm half, cancel 40 %, fire the rest",
    "idle callbacks": "requestIdleCallback post + run",
    "keepalive timers": "websockets' keepalive timer path per ping, N connections, no "
                        "sockets: asyncio.sleep, then asyncio.timeout around the pong",
    "memory (tracemalloc)": "Python heap per pending timer as tracemalloc sees it",
    "server": "loopback echo server, 2,000 connections, idle timeout re-armed per message "
              "(CPU ns per message)",
    "server +1M idle": "the same with 1,000,000 idle connections' timers pending",
    "server on uvloop": "the server on uvloop: timercore's timers on uvloop's I/O (tc loop) "
                          "against uvloop",
    "server on uvloop +1M idle": "the same with 1,000,000 timers pending",
    "server on rloop": "the server on rloop: timercore's timers on rloop's I/O (tc loop) "
                         "against rloop",
    "server on rloop +1M idle": "the same with 1,000,000 timers pending",
    "servers at scale": "websockets keepalive and uvicorn + asyncio.timeout(), 10,000 idle "
                        "connections, a client process; server CPU, RSS per connection, "
                        "timer lateness; every loop, 3 rounds (bench/servers.py: more)",
}
SERVERS_N, SERVERS_ROUNDS = 10_000, 3          # --full's servers at scale (bench/servers.py:
SERVERS_INTERVAL_S, SERVERS_WINDOW_S = 1.0, 3.0  # up to 100,000, 5 rounds)
SERVERS_NEED = ("websockets", "uvicorn", "httptools")
HEADLINE = ("schedule", "cancel", "schedule + cancel", "fire", "memory")
FAMILIES = ("TimerWheel", "Window", "timercore loop", *LOOP_PEERS, "Node.js", "heapq", "sched")
SHORT = {"TimerWheel": "wheel", "timercore loop": "tc loop", "Node.js": "node"}


@dataclass
class Case:
    scenario: str
    family: str                    # the table's column
    api: str                       # what the case calls
    fn: Callable[[int], float]
    unit: str = "ns/timer"
    max_n: int | None = None       # skip above this N
    once: bool = False             # independent of N: run at the first N only
    us_per_timer: float = 1.0      # rough cost of one case per timer (for the ETA)
    fixed_s: float = 0.0           # rough fixed cost (child processes, real seconds)


@dataclass
class Result:
    scenario: str
    family: str
    api: str
    n: int
    unit: str
    samples: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        """The figure a cell shows: the best sample of a timing; for the server rows (one
        sample per alternating round, see SERVER_ROUNDS) their median."""
        if self.unit in PER_RUN_UNITS:
            return statistics.median(self.samples)
        return min(self.samples)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.samples), max(self.samples)


# -- peers --------------------------------------------------------------------------------

def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _loop_factories(peers: set[str]) -> tuple[dict[str, Any], list[str]]:
    from timercore import aio
    loops: dict[str, Any] = {"timercore loop": aio.new_event_loop}
    missing = []
    if "asyncio" in peers:
        loops["asyncio"] = asyncio.new_event_loop
    for name, how in FOREIGN_LOOPS.items():
        if name in peers:
            if _installed(name):
                loops[name] = importlib.import_module(name).new_event_loop
            else:
                missing.append(f"{name} ({how})")
    return loops, missing


def _node_case(scenario: str, unit: str = "ns/timer") -> Callable[[int], float]:
    script = Path(__file__).with_name("node_peer.js")

    def run(n: int) -> float:
        out = subprocess.run(["node", "--expose-gc", str(script), scenario, str(n)],
                             capture_output=True, text=True, check=True, timeout=600)
        value = float(out.stdout.strip())
        return value * n if unit == "ns/timer" else value
    return run


def cases(peers: set[str]) -> tuple[list[Case], list[str]]:
    """Every case to run, and the requested peers that are not installed (named)."""
    mem = functools.partial
    out = [
        Case("schedule", "TimerWheel", "TimerWheel.insert", sc.wheel_schedule, us_per_timer=1),
        Case("schedule (bulk)", "TimerWheel", "TimerWheel.insert_many", sc.wheel_bulk_schedule),
        Case("cancel", "TimerWheel", "TimerWheel.cancel", sc.wheel_cancel, us_per_timer=3),
        Case("schedule + cancel", "TimerWheel", "TimerWheel.cancel(insert())", sc.wheel_pair),
        Case("cancel (bulk)", "TimerWheel", "TimerWheel.cancel_many", sc.wheel_bulk_cancel),
        Case("fire", "TimerWheel", "TimerWheel.advance", sc.wheel_fire),
        Case("refresh", "TimerWheel", "TimerWheel.reschedule", sc.wheel_refresh, us_per_timer=3),
        Case("refresh (1 % active)", "TimerWheel", "TimerWheel.reschedule",
             mem(sc.wheel_refresh, hot=True), us_per_timer=3),
        Case("fire over 1 s", "TimerWheel", "TimerWheel.advance (1 ms steps)", sc.wheel_spread),
        Case("idle-timeout mix", "TimerWheel", "TimerWheel", sc.wheel_idle, us_per_timer=3),
        Case("memory", "TimerWheel", "TimerWheel.insert", mem(measure_in_child, "wheel"),
             "bytes/timer", us_per_timer=2, fixed_s=0.5),
        Case("memory (tracemalloc)", "TimerWheel", "TimerWheel.insert",
             mem(measure_in_child, "wheel", traced=True), "bytes/timer", us_per_timer=4,
             fixed_s=0.5),
        Case("schedule", "Window", "Window.setTimeout", sc.window_schedule, us_per_timer=2),
        Case("schedule (map, int)", "Window", "map(Window.setTimeout, ..., int)",
             sc.window_schedule_map_int),
        Case("cancel", "Window", "Window.clearTimeout", sc.window_cancel, us_per_timer=3),
        Case("schedule + cancel", "Window", "clearTimeout(setTimeout())", sc.window_pair,
             us_per_timer=2),
        Case("fire", "Window", "Window.run (a task + checkpoint each)", sc.window_fire,
             us_per_timer=2),
        Case("refresh", "Window", "Window.refresh", sc.window_refresh, us_per_timer=3),
        Case("refresh (1 % active)", "Window", "Window.refresh",
             mem(sc.window_refresh, hot=True), us_per_timer=3),
        Case("refresh_many", "Window", "Window.refresh_many", sc.window_refresh_many,
             us_per_timer=3),
        Case("fire over 1 s", "Window", "Window.run (virtual clock)", sc.window_spread,
             us_per_timer=2),
        Case("idle-timeout mix", "Window", "Window", sc.window_idle, us_per_timer=4),
        Case("idle callbacks", "Window", "Window.requestIdleCallback",
             sc.window_idle_callbacks),
        Case("memory", "Window", "Window.setTimeout", mem(measure_in_child, "window"),
             "bytes/timer", us_per_timer=3, fixed_s=0.5),
        Case("memory (tracemalloc)", "Window", "Window.setTimeout",
             mem(measure_in_child, "window", traced=True), "bytes/timer", us_per_timer=5,
             fixed_s=0.5),
    ]
    from timercore import aio
    loops, missing = _loop_factories(peers)
    for family, factory in loops.items():
        api = "WheelEventLoop" if family == "timercore loop" else family
        child = "WheelEventLoop" if family == "timercore loop" else family
        slow = 8.0 if family == "asyncio" else 1.5
        out += [
            Case("schedule", family, f"{api} call_later", mem(sc.loop_schedule, factory),
                 us_per_timer=slow),
            Case("cancel", family, f"{api} handle.cancel()", mem(sc.loop_cancel, factory),
                 us_per_timer=slow + 1),
            Case("schedule + cancel", family, f"{api} call_later(...).cancel()",
                 mem(sc.loop_pair, factory), us_per_timer=slow),
            Case("fire", family, f"{api} run_forever", mem(sc.loop_fire, factory),
                 us_per_timer=2 * slow, fixed_s=1.2),
            Case("refresh", family, f"{api} cancel + call_later",
                 mem(sc.loop_refresh, factory), us_per_timer=2 * slow),
            Case("refresh (1 % active)", family, f"{api} cancel + call_later",
                 mem(sc.loop_refresh, factory, hot=True), us_per_timer=2 * slow),
            Case("fire over 1 s", family, f"{api} (real time)", mem(sc.loop_spread, factory),
                 fixed_s=1.2),
            Case("idle-timeout mix", family, api, mem(sc.loop_idle, factory),
                 us_per_timer=3 * slow),
            Case("keepalive timers", family, f"{api} asyncio.sleep + asyncio.timeout",
                 mem(sc.loop_keepalive, factory), "ns CPU/ping", max_n=100_000,
                 us_per_timer=20 * slow),
            Case("memory", family, f"{api} call_later", mem(measure_in_child, child),
                 "bytes/timer", us_per_timer=slow, fixed_s=0.5),
            Case("memory (tracemalloc)", family, f"{api} call_later",
                 mem(measure_in_child, child, traced=True), "bytes/timer",
                 us_per_timer=3 * slow, fixed_s=0.5),
            Case("server", family, api, mem(sc.loop_server, factory), "ns CPU/message",
                 once=True, fixed_s=6.0),
            Case("server +1M idle", family, api,
                 mem(sc.loop_server, factory, idle_timers=1_000_000), "ns CPU/message",
                 once=True, fixed_s=10.0),
        ]
        if family in ("uvloop", "rloop"):        # the same I/O with the wheel's timers
            io_loop = functools.partial(aio.new_event_loop, io=family)
            for fam, fac in ((family, factory), ("timercore loop", io_loop)):
                name = f"{api} + timercore timers" if fam == "timercore loop" else api
                out += [Case(f"server on {family}", fam, name, mem(sc.loop_server, fac),
                             "ns CPU/message", once=True, fixed_s=6.0),
                        Case(f"server on {family} +1M idle", fam, name,
                             mem(sc.loop_server, fac, idle_timers=1_000_000),
                             "ns CPU/message", once=True, fixed_s=10.0)]
    if "node" in peers:
        if shutil.which("node") is None:
            missing.append("node (Node.js on PATH)")
        else:
            out += [Case("schedule", "Node.js", "setTimeout", _node_case("schedule"),
                         us_per_timer=3, fixed_s=0.2),
                    Case("cancel", "Node.js", "clearTimeout", _node_case("cancel"),
                         us_per_timer=3, fixed_s=0.2),
                    Case("schedule + cancel", "Node.js", "clearTimeout(setTimeout())",
                         _node_case("pair"), us_per_timer=2, fixed_s=0.2),
                    Case("fire", "Node.js", "timers due over 1 s", _node_case("fire"),
                         us_per_timer=2, fixed_s=1.3),
                    Case("memory", "Node.js", "setTimeout (V8 heap)",
                         _node_case("memory", "bytes/timer"), "bytes/timer",
                         us_per_timer=2, fixed_s=0.2)]
    if "heapq" in peers:
        out += [Case("schedule", "heapq", "heapq.heappush", sc.heapq_schedule),
                Case("cancel", "heapq", "heapq (lazy: mark the entry)", sc.heapq_cancel,
                     us_per_timer=2),
                Case("fire", "heapq", "heapq.heappop", sc.heapq_fire, us_per_timer=3),
                Case("fire over 1 s", "heapq", "heapq (1 ms steps)", sc.heapq_spread,
                     us_per_timer=3),
                Case("idle-timeout mix", "heapq", "heapq (lazy)", sc.heapq_idle,
                     us_per_timer=4),
                Case("memory", "heapq", "heapq.heappush", mem(measure_in_child, "heapq"),
                     "bytes/timer", us_per_timer=1, fixed_s=0.5)]
    if "sched" in peers:
        out += [Case("schedule", "sched", "sched.enterabs", sc.sched_schedule, us_per_timer=2),
                Case("fire", "sched", "sched.run", sc.sched_fire, us_per_timer=6)]
    return out, missing


# -- running ---------------------------------------------------------------------------------

def _runs(case: Case, n: int, ns: list[int]) -> bool:
    return (case.max_n is None or n <= case.max_n) and (not case.once or n == ns[0])


def _repeats(case: Case, repeat: int) -> int:
    return repeat if case.unit == "ns/timer" else 1


def estimate_s(case: Case, n: int, repeat: int) -> float:
    """A rough duration of one case (weights the progress bar, so the ETA is honest)."""
    if case.unit in PER_RUN_UNITS:
        return SERVER_ROUNDS * case.fixed_s
    return case.fixed_s + n * case.us_per_timer * 1e-6 * _repeats(case, repeat)


def measure(case_list: list[Case], ns: list[int], repeat: int,
            on_case: Callable[[Case, int, Result | None], None] | None = None
            ) -> list[Result]:
    """Run every case at every N; ``on_case(case, n, None)`` before each case and
    ``on_case(case, n, result)`` after."""
    results = []
    per_run = [c for c in case_list if c.unit in PER_RUN_UNITS]
    for n in ns:
        for case in case_list:
            if not _runs(case, n, ns) or case in per_run:
                continue
            if on_case:
                on_case(case, n, None)
            r = Result(case.scenario, case.family, case.api, n, case.unit)
            r.samples = _in_child(functools.partial(_samples, case, n, _repeats(case, repeat)))
            results.append(r)
            if on_case:
                on_case(case, n, r)
    # The server rows swing by 20 % between runs: one sample per round, each round
    # running every loop's case in turn (the order rotating), so drift over the run falls
    # on every loop alike; the cell is the median, the ratio weighs the range.
    server = [Result(c.scenario, c.family, c.api, ns[0], c.unit) for c in per_run]
    for k in range(SERVER_ROUNDS if per_run else 0):
        turn = list(zip(per_run, server, strict=True))
        for case, r in turn[k % len(turn):] + turn[:k % len(turn)]:
            if on_case and k == 0:
                on_case(case, ns[0], None)
            r.samples += _in_child(functools.partial(_samples, case, ns[0], 1))
            if on_case and k == SERVER_ROUNDS - 1:
                on_case(case, ns[0], r)
    return results + server


def _samples(case: Case, n: int, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        gc.collect()
        value = case.fn(n)
        out.append(value / n if case.unit == "ns/timer" else value)
    return out


def _in_child(fn: Callable[[], list[float]]) -> list[float]:
    """``fn()`` in a forked child (its result back through a pipe); in-process where
    there is no fork. An exception in the child is raised here as a RuntimeError."""
    if not hasattr(os, "fork"):
        return fn()
    sys.stdout.flush()
    sys.stderr.flush()
    rfd, wfd = os.pipe()
    with warnings.catch_warnings():
        # The runner's other threads are numpy's idle BLAS workers; the child uses no BLAS
        # and takes no lock of theirs (Python 3.12+ warns about any threaded fork).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:                                   # the child: run, report, leave
        os.close(rfd)
        code = 0
        try:
            payload = json.dumps({"samples": fn()})
        except BaseException as exc:               # noqa: BLE001 - reported to the parent
            payload, code = json.dumps({"error": f"{type(exc).__name__}: {exc}"}), 1
        with os.fdopen(wfd, "w") as pipe:
            pipe.write(payload)
        os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd) as pipe:
        reply = json.loads(pipe.read() or '{"error": "the child died"}')
    os.waitpid(pid, 0)
    if "error" in reply:
        raise RuntimeError(f"benchmark case failed: {reply['error']}")
    return [float(v) for v in reply["samples"]]


# -- reporting ---------------------------------------------------------------------------------

def loop_ratio(cells: dict[str, float]) -> float | None:
    """The fastest other loop over timercore's loop (> 1: ours faster)."""
    peers = [cells[f] for f in LOOP_PEERS if f in cells]
    ours = cells.get("timercore loop")
    return min(peers) / ours if peers and ours else None


def node_ratio(cells: dict[str, float]) -> float | None:
    """Node.js over Window (> 1: Window faster)."""
    ours, node = cells.get("Window"), cells.get("Node.js")
    return node / ours if ours and node else None


PER_RUN_UNITS = ("ns CPU/message",)     # figures that do not depend on N (run once)
SERVER_ROUNDS = 5       # the server rows: one sample per round, the loops alternating


def _grid(results: list[Result], n: int
          ) -> tuple[list[str], list[str], dict[str, dict[str, float]]]:
    """Rows, columns and cells of the table at N = n; the figures measured once per run
    (the server's) go in the table of the largest N."""
    largest = max(r.n for r in results)
    cells: dict[str, dict[str, float]] = {}
    for r in results:
        if n == (largest if r.unit in PER_RUN_UNITS else r.n):
            cells.setdefault(r.scenario, {})[r.family] = r.best
    rows = [s for s in SCENARIOS if s in cells]
    cols = [f for f in FAMILIES if any(f in cells[s] for s in rows)]
    return rows, cols, cells


def _spreads(results: list[Result], n: int) -> dict[str, dict[str, tuple[float, float]]]:
    """The range of each server row's cells (the rows run in alternating rounds)."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    if n == max(r.n for r in results):
        for r in results:
            if r.unit in PER_RUN_UNITS and len(r.samples) > 1:
                out.setdefault(r.scenario, {})[r.family] = r.spread
    return out


def _figure(value: float) -> str:
    if abs(value) < 0.05:
        return "0"                    # e.g. the Python heap of the C wheel: no "-0.0"
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def render(results: list[Result], console: Any) -> None:
    """One scenario x peer grid per N (fits 100 columns), with the legend."""
    from rich import box
    from rich.table import Table

    for n in sorted({r.n for r in results}):
        rows, cols, cells = _grid(results, n)
        table = Table(title=f"N = {n:,} timers: ns per timer (memory: bytes per timer; "
                            "server: CPU ns per message)",
                      box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
        table.add_column("scenario", max_width=14, overflow="fold")
        for f in cols:
            table.add_column(SHORT.get(f, f), justify="right", no_wrap=True)
        ratios = _ratio_columns(rows, cells)
        for name in ratios:
            table.add_column(name, justify="right", no_wrap=True)
        spreads = _spreads(results, n)
        for s in rows:
            table.add_row(*_row(s, cols, cells, ratios, spreads))
        console.print(table)
    console.print(LEGEND)


def _ratio_columns(rows: list[str], cells: dict[str, dict[str, float]]
                   ) -> dict[str, Callable[[dict[str, float]], float | None]]:
    """The ratio columns some row has a figure for (node× only where Node.js ran)."""
    return {name: fn for name, fn in (("loop×", loop_ratio), ("node×", node_ratio))
            if any(fn(cells[s]) for s in rows)}


def _row(s: str, cols: list[str], cells: dict[str, dict[str, float]],
         ratios: dict[str, Callable[[dict[str, float]], float | None]],
         spreads: dict[str, dict[str, tuple[float, float]]] | None = None) -> list[str]:
    """A table row; a server row's cells are "median (min-max)", and its loop× says
    "≈" where timercore's range and the fastest other loop's overlap: the difference is
    within the noise, and a ratio would claim more than the run shows."""
    ranges = (spreads or {}).get(s, {})
    line = [s]
    for f in cols:
        if f not in cells[s]:
            line.append("")
        elif f in ranges:
            lo, hi = ranges[f]
            line.append(f"{_figure(cells[s][f])} ({_figure(lo)}-{_figure(hi)})")
        else:
            line.append(_figure(cells[s][f]))
    for fn in ratios.values():
        ratio = fn(cells[s])
        if ratio and fn is loop_ratio and _within_noise(cells[s], ranges):
            line.append("≈")
        else:
            line.append(f"{ratio:.1f}×" if ratio else "")
    return line


def _within_noise(cells: dict[str, float], ranges: dict[str, tuple[float, float]]) -> bool:
    """timercore's loop and the fastest other loop have overlapping ranges."""
    peers = [f for f in LOOP_PEERS if f in cells and f in ranges]
    if not peers or "timercore loop" not in ranges:
        return False
    lo, hi = ranges["timercore loop"]
    peer_lo, peer_hi = ranges[min(peers, key=lambda f: cells[f])]
    return lo <= peer_hi and peer_lo <= hi


LEGEND = ("loop× = the fastest of the other loops (asyncio, uvloop, rloop, zuvloop, rsloop: "
          "those installed) divided by timercore's loop "
          "(WheelEventLoop); node× = Node.js divided by Window. Above 1: timercore is faster "
          "(for memory: smaller). fire: the loops and Node.js fire timers due over 1 s that "
          "came due while the process was blocked; TimerWheel and Window, a minute of "
          "virtual time. server rows: CPU ns per message, median (min-max) of "
          f"{SERVER_ROUNDS} alternating rounds; loop× is ≈ where timercore's range and the "
          "fastest other loop's overlap.")


def markdown(results: list[Result], n: int) -> str:
    """The grid at one N as a Markdown table (for the README), with the legend."""
    rows, cols, cells = _grid(results, n)
    ratios = _ratio_columns(rows, cells)
    spreads = _spreads(results, n)
    head = ["scenario"] + [SHORT.get(f, f) for f in cols] + list(ratios)
    lines = ["| " + " | ".join(head) + " |",
             "|---|" + "---:|" * (len(head) - 1)]
    for s in rows:
        lines.append("| " + " | ".join(_row(s, cols, cells, ratios, spreads)) + " |")
    return "\n".join(lines) + "\n\n" + LEGEND + "\n"


def chart_series(results: list[Result]) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """The chart's lines: (scenario, label) -> [(N, ns a timer)], one per peer. The label
    is the API, with the peer's name after it where two peers call theirs alike (the
    Window's and Node.js's `clearTimeout(setTimeout())`), so no two make one line."""
    timed = [r for r in results if r.unit == "ns/timer"]
    families: dict[tuple[str, str], set[str]] = {}
    for r in timed:
        families.setdefault((r.scenario, r.api), set()).add(r.family)
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for r in timed:
        shared = len(families[(r.scenario, r.api)]) > 1
        label = f"{r.api} ({r.family})" if shared else r.api
        series.setdefault((r.scenario, label), []).append((r.n, r.best))
    return series


def chart(results: list[Result], path: str) -> None:
    """ns/timer against N, log-log, one line per (scenario, peer)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = chart_series(results)
    names = sorted({s for s, _ in series})
    cols = max(1, min(3, len(names)))
    rows = max(1, -(-len(names) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4.5 * rows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, scenario in zip(axes.flat, names, strict=False):    # (spare axes: hidden)
        for (s, api), points in sorted(series.items()):
            if s == scenario and points:
                xs, ys = zip(*sorted(points), strict=True)
                ax.plot(xs, ys, marker="o", label=api)
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
    return [Result(r["scenario"], r["family"], r["api"], r["n"], r["unit"], r["samples"])
            for r in rows]


def environment() -> dict[str, Any]:
    import numpy

    import timercore
    versions = {}
    for name in FOREIGN_LOOPS:
        if _installed(name):
            versions[name] = getattr(importlib.import_module(name), "__version__", "?")
    node = shutil.which("node")
    if node:
        versions["node"] = subprocess.run([node, "--version"], capture_output=True,
                                          text=True).stdout.strip()
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "timercore": timercore.__version__, "numpy": numpy.__version__,
            "gc": "enabled", **versions}


# -- the command line ----------------------------------------------------------------------

def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = __doc__
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--timers", default=None, metavar="N[,N...]",
                   help="N, or a comma-separated list of N (default: 1000000; --full: "
                        "10000,100000,1000000); 1_000_000 is fine, 1,000,000 is not")
    p.add_argument("--peers", default=",".join(DEFAULT_PEERS), metavar="PEER[,PEER...]",
                   help=f"what to compare with, among: {', '.join(PEERS)} (default: "
                        f"{','.join(DEFAULT_PEERS)}; a missing one is named and skipped)")
    p.add_argument("--scenario", default=None, metavar="NAME[,NAME...]",
                   help="scenarios to run (default: the headline: "
                        f"{', '.join(HEADLINE)}; --full: all). All of them: "
                        + "; ".join(f"{k!r}: {v}" for k, v in SCENARIOS.items())
                        .replace("%", "%%"))
    p.add_argument("--full", action="store_true",
                   help="the full sweep: every scenario at N=10000,100000,1000000, best "
                        "of 3, and servers at scale (about 30-40 minutes; it prints its "
                        "estimate as it starts)")
    p.add_argument("--repeat", type=int, default=None,
                   help="samples per timing case, the best is shown (default 1; --full 3)")
    p.add_argument("--json", metavar="FILE", help="write machine-readable results here")
    p.add_argument("--chart", metavar="FILE.png", help="write a log-log chart (matplotlib)")
    p.add_argument("--markdown", metavar="FILE.md",
                   help="write the table at the largest N as Markdown")
    p.add_argument("--quick", action="store_true",
                   help="N=10000, one sample: a smoke run of the benchmark itself")


class UsageError(Exception):
    """A bad option: one clear line, exit status 2."""


def parse_timers(text: str) -> list[int]:
    if re.fullmatch(r"\s*\d{1,3}(,\d{3})+\s*", text):
        raise UsageError(f"--timers {text}: commas separate several N; write one million "
                         "as 1000000 or 1_000_000")
    try:
        ns = [int(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--timers takes whole numbers separated by commas, got {text!r}") \
            from None
    if not ns or min(ns) <= 0:
        raise UsageError(f"--timers must be positive, got {text!r}")
    return ns


def _names(text: str, valid: tuple[str, ...] | list[str], option: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in valid]
    if unknown or not names:
        raise UsageError(f"{option}: unknown {', '.join(map(repr, unknown)) or 'empty'}; "
                         f"valid: {', '.join(valid)}")
    return names


def _writable(path: str, option: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {path}: cannot write there")


def plan(args: argparse.Namespace) -> tuple[list[int], int, list[Case], list[str]]:
    """What to run, from the options (UsageError on a bad one, before anything runs)."""
    if args.quick:
        ns = [10_000]
    elif args.timers:
        ns = parse_timers(args.timers)
    else:
        ns = list(FULL_TIMERS if args.full else DEFAULT_TIMERS)
    repeat = args.repeat if args.repeat is not None else (3 if args.full else 1)
    if repeat < 1:
        raise UsageError("--repeat must be at least 1")
    peers = set(_names(args.peers, PEERS, "--peers"))
    if args.scenario:
        wanted = set(_names(args.scenario, list(SCENARIOS), "--scenario"))
    else:
        wanted = set(SCENARIOS) if args.full else set(HEADLINE)
    if args.chart:
        _writable(args.chart, "--chart")
        if not _installed("matplotlib"):
            raise UsageError("--chart needs matplotlib: pip install matplotlib")
    if args.json:
        _writable(args.json, "--json")
    if args.markdown:
        _writable(args.markdown, "--markdown")
    case_list, missing = cases(peers)
    return ns, repeat, [c for c in case_list if c.scenario in wanted], missing


def servers_plan(args: argparse.Namespace) -> list[str]:
    """The loops servers at scale runs on (none if not asked for): the installed peers,
    and timercore's loop on each of their I/O."""
    wanted = (_names(args.scenario, list(SCENARIOS), "--scenario") if args.scenario
              else list(SCENARIOS) if args.full else [])
    if "servers at scale" not in wanted:
        return []
    needs = [m for m in SERVERS_NEED if not _installed(m)]
    if needs:
        print(f"skipped: servers at scale needs {', '.join(needs)} (pip install "
              f"{' '.join(needs)}, or timercore[bench])", file=sys.stderr)
        return []
    peers = set(_names(args.peers, PEERS, "--peers"))
    loops = [p for p in ("asyncio", *FOREIGN_LOOPS)
             if p in peers and (p == "asyncio" or _installed(p))]
    return loops + [{"asyncio": "timercore"}.get(p, f"timercore/{p}")
                    for p in loops if p in ("asyncio", "uvloop", "rloop")]


def run_servers(loops: list[str], console: Any) -> list[dict[str, Any]]:
    """Servers at scale on ``loops``; prints its tables (and what it could not measure)."""
    if not loops:
        return []
    from timercore.bench import servers
    console.print(f"servers at scale: {len(loops)} loops x {SERVERS_ROUNDS} rounds, "
                  f"N={SERVERS_N:,}, about {round(servers_estimate_s(loops) / 60)} min",
                  highlight=False)
    rows, problems = servers.sweep(list(servers.SCENARIOS), loops, [SERVERS_N],
                                   SERVERS_ROUNDS, interval=SERVERS_INTERVAL_S,
                                   window=SERVERS_WINDOW_S)
    console.print(servers.markdown(rows, SERVERS_INTERVAL_S), highlight=False, markup=False)
    for problem in problems:
        console.print(f"could not measure: {problem}", highlight=False, markup=False)
    return rows


def servers_estimate_s(loops: list[str]) -> float:
    """Rough seconds for servers at scale: per loop and round, both scenarios' start,
    connections, steady state and window."""
    return len(loops) * SERVERS_ROUNDS * 16.0


def run(args: argparse.Namespace) -> int:
    try:
        from rich.console import Console
        from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)
    except ImportError:
        print("timercore bench: needs rich: pip install rich "
              "(or '.[bench]' in timercore's source tree)",
              file=sys.stderr)
        return 2
    console = Console()
    if not console.is_terminal:
        console = Console(width=100)        # piped: the table still gets its 100 columns
    try:
        ns, repeat, case_list, missing = plan(args)
    except UsageError as e:
        print(f"timercore bench: {e}", file=sys.stderr)
        return 2
    for name in missing:
        console.print(f"[yellow]skipped: {name} is not installed[/yellow]")
    server_loops = servers_plan(args)
    todo = [(c, n) for n in ns for c in case_list if _runs(c, n, ns)]
    weights = {(id(c), n): estimate_s(c, n, repeat) for c, n in todo}
    total_s = sum(weights.values()) + servers_estimate_s(server_loops)
    console.print(f"timercore bench: {len(todo) + bool(server_loops)} cases, about "
                  f"{max(1, round(total_s / 60))} min", highlight=False)
    done = [0]
    t_start = time.perf_counter()

    if console.is_terminal:
        progress = Progress(TextColumn("{task.description}"), BarColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            console=console, transient=True)
        task = progress.add_task("starting", total=sum(weights.values()))

        def on_case(case: Case, n: int, r: Result | None) -> None:
            if r is None:
                progress.update(task, description=f"{case.scenario} · {case.api} · N={n:,}")
            else:
                progress.advance(task, weights[(id(case), n)])
        with progress:
            results = measure(case_list, ns, repeat, on_case)
    else:                                   # piped: one plain line per case
        def on_case(case: Case, n: int, r: Result | None) -> None:
            if r is not None:
                done[0] += 1
                print(f"[{done[0]}/{len(todo)}] {case.scenario} · {case.api} · N={n:,}: "
                      f"{r.best:,.1f} {r.unit}", flush=True)
        results = measure(case_list, ns, repeat, on_case)
    render(results, console)
    server_rows = run_servers(server_loops, console)
    console.print(f"({len(results) + bool(server_loops)} cases in "
                  f"{time.perf_counter() - t_start:,.0f} s; full sweep: timercore bench --full)",
                  highlight=False)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": environment(),
                       "results": [asdict(r) | {"best": r.best} for r in results],
                       "servers": server_rows}, f, indent=1)
        console.print(f"results written to {args.json}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(results, max(ns)))
        console.print(f"table written to {args.markdown}")
    if args.chart:
        try:
            chart(results, args.chart)
        except Exception as e:         # the JSON above is kept whatever happens here
            print(f"timercore bench: the chart failed: {e}", file=sys.stderr)
            return 1
        console.print(f"chart written to {args.chart}")
    return 0
