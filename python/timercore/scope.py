"""GlobalScope: a WindowOrWorkerGlobalScope with its own event loop.

The house, three levels on each side:

    Window, WorkerGlobalScope (window.py)
      -> GlobalScope (here), an EventTarget (events.py)
        -> ScopeCore -> Timers -> ScopeState (compiled: src/timercore/core/)

The compiled ScopeCore holds the timers, microtasks, idle callbacks and the event loop's
turn (core/scope_core.pyx: what a turn runs and when the next is due). GlobalScope adds
events and error reporting, waits between turns (a VirtualClock jumps, a real clock
sleeps, cut short by a batch staged by another thread), and owns three parts, each with
its own state and close(): ``_staged`` (threads.py: schedule_threadsafe), ``_awaitables``
(promises.py: sleep, interval, async handlers' tasks) and ``_sites`` (introspection.py:
creation sites). The core's crossings into it (report_exception, _run_coroutine,
_merge_staged, _default_namespace) are listed once, in core/scope_state.pxd.
"""
from __future__ import annotations

import asyncio
import math
import collections
import concurrent.futures
from typing import Any, AsyncIterator, Callable, Coroutine, Iterable, TypeVar, overload

from timercore import introspection
from timercore._core import (MAX_TIME_MS, Clock, Constraint, LatenessStats, ScopeCore,
                             TaskLimitReached, check_ms)
from timercore.aio import AsyncioHost
from timercore.events import EventTarget
from timercore.introspection import CreationSites, TimersSnapshot
from timercore.performance import Performance
from timercore.promises import Awaitables
from timercore.threads import StagedBatches
from timercore.timers import ActiveTimers

T = TypeVar("T")

_TIMER_FUNCTIONS = ("setTimeout", "setInterval", "clearTimeout", "clearInterval",
                    "queueMicrotask", "requestIdleCallback", "cancelIdleCallback",
                    "performance")


class GlobalScope(ScopeCore, EventTarget):
    """The part Window and WorkerGlobalScope share. See API.md for the constructor;
    ``debug=True`` records each timer's creation site (``creation_sites()``)."""

    _host: AsyncioHost | None       # the asyncio host, if hosted (loop=...)

    # The core's upcall, overridden here (ScopeCore comes first in the MRO, so its
    # logging default would otherwise win): report through an ErrorEvent.
    report_exception = EventTarget.report_exception

    def __init__(self, *, clock: Clock | Any = None, resolution_ms: float = 1.0,
                 string_handlers: bool | Callable[[str], bool] = True,
                 namespace: dict[str, Any] | None = None,
                 loop: asyncio.AbstractEventLoop | None = None, debug: bool = False,
                 max_timers: int = 0) -> None:
        ScopeCore.__init__(self, clock=clock, resolution_ms=resolution_ms,
                           string_handlers=string_handlers, namespace=namespace,
                           max_timers=max_timers)
        EventTarget.__init__(self)
        self.performance = Performance(self)
        self._host = None
        self._staged = StagedBatches(self)
        self._awaitables = Awaitables(self)
        self._sites = CreationSites(self, debug)
        if self.namespace is None:
            self.namespace = self._default_namespace()
        if loop is not None:
            self._host = AsyncioHost(self, loop)

    @property
    def debug(self) -> bool:
        """Whether this scope records creation sites (``debug=True``)."""
        return self._sites.enabled

    def _default_namespace(self) -> dict[str, Any]:
        """String handlers run like eval() in the global scope: the scope's functions are
        its globals, and ``self`` is the scope."""
        ns = {name: getattr(self, name) for name in self._global_names()}
        ns["self"] = self
        return ns

    def _global_names(self) -> tuple[str, ...]:
        return _TIMER_FUNCTIONS

    @property
    def active_timers(self) -> ActiveTimers:
        """The map of active timers: key -> expiry time (ms on the scope's clock)."""
        return ActiveTimers(self)

    # -- the core's upcalls (declared in core/scope_state.pxd) --------------------------

    def _run_coroutine(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._awaitables.run_coroutine(coro)

    def _merge_staged(self) -> int:
        return self._staged.merge()

    # -- threads (threads.py) ----------------------------------------------------------

    def schedule_threadsafe(self, batch: Iterable[tuple[Any, ...]]
                            ) -> concurrent.futures.Future[list[int]]:
        """From any thread: set a timer for each ``(handler, timeout, *arguments)`` of
        ``batch``, at the scope's next loop turn, all or none. Returns a
        ``concurrent.futures.Future`` of their ids, in order (its exception is the
        conversion error of a bad item, and then no timer of the batch is set)."""
        return self._staged.stage(batch)

    # -- awaitable timers (promises.py) ------------------------------------------------

    @overload
    async def sleep(self, ms: float = 0) -> None: ...
    @overload
    async def sleep(self, ms: float, value: T) -> T: ...

    async def sleep(self, ms: float = 0, value: T | None = None) -> T | None:
        """On a scope hosted on asyncio: wait ``ms`` (a setTimeout on this scope), then
        return ``value``."""
        return await self._awaitables.sleep(ms, value)

    @overload
    def interval(self, ms: float = 0) -> AsyncIterator[None]: ...
    @overload
    def interval(self, ms: float, value: T) -> AsyncIterator[T]: ...

    def interval(self, ms: float = 0, value: T | None = None) -> AsyncIterator[T | None]:
        """On a scope hosted on asyncio: yield ``value`` every ``ms`` (a setInterval on
        this scope). Ticks that come while the consumer is busy are not dropped: each is
        yielded in turn. The interval is cleared when the loop ends, breaks (once the
        generator is closed: use ``contextlib.aclosing`` to close it at once) or its task
        is cancelled."""
        return self._awaitables.interval(ms, value)

    # -- introspection (introspection.py) ----------------------------------------------

    def timers_snapshot(self) -> TimersSnapshot:
        """Every timer pending in the wheel (not yet fired), in firing order, as numpy
        arrays read from C. With ``debug=True``, ``sites`` names where each was created."""
        return introspection.timers_snapshot(self)

    def creation_sites(self) -> collections.Counter[str]:
        """Active timers counted by creation site (``debug=True`` scopes only): the first
        thing to look at when pending timers pile up."""
        return self._sites.counted()

    def lateness_stats(self, ordering_identifier: str | None = None
                       ) -> LatenessStats | dict[str, LatenessStats]:
        """How late timer tasks started, in ms after their expiry: ``LatenessStats(count,
        p50, p99, max, mean)`` for one ordering identifier, or a dict of every identifier
        that has run a task since the last ``reset_lateness_stats()``."""
        return introspection.lateness_stats(self, ordering_identifier)

    # -- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        """Run tasks, microtasks and timers until nothing is pending. On a VirtualClock
        time jumps from expiry to expiry; on a real clock the loop sleeps."""
        self._run_loop(None)

    def run_for(self, ms: float) -> None:
        """Run the loop for ``ms`` of clock time (a VirtualClock ends at exactly now+ms)."""
        self._run_loop(self._later(ms))

    def run_until(self, time_ms: float) -> None:
        """Run the loop until the clock reads ``time_ms``."""
        self._run_loop(check_ms(time_ms, "time_ms", Constraint.CLOCK_TIME))

    # -- hosted on asyncio (timercore.aio) ---------------------------------------------

    async def run_async(self, loop_limit: int | None = None) -> None:
        """On a scope hosted on asyncio: wait until nothing is pending, the tasks of its
        ``async def`` handlers included. With ``loop_limit``, raise LoopLimitError once
        more than that many timer tasks have run meanwhile (as run_all does)."""
        if self._host is None:
            raise RuntimeError("run_async() needs a scope hosted on asyncio (loop=...)")
        if loop_limit is not None:
            _check_loop_limit(loop_limit)
            self._set_task_limit(self.timer_tasks_run + loop_limit)
        try:
            while True:
                await self._host.run_async()
                if not self._awaitables.tasks:
                    break
                await asyncio.wait(list(self._awaitables.tasks))
        except TaskLimitReached:
            raise LoopLimitError(loop_limit or 0, list(self.active_timers)) from None
        finally:
            if loop_limit is not None:
                self._set_task_limit(-1)

    def _host_turn(self, loop_idle: bool) -> bool:
        """One turn of the loop, driven by the asyncio host. True if anything ran."""
        self._enter_loop()
        try:
            return self._turn(-math.inf, loop_idle)
        finally:
            self._exit_loop()

    def close(self) -> None:
        """Clear every timer, task and microtask; the scope is unusable afterwards."""
        ScopeCore.close(self)
        if self._host is not None:
            self._host.close()
        self._awaitables.close()
        self._staged.close()

    # -- virtual-time helpers (sinon's fake timers' names) -----------------------------

    def count_timers(self) -> int:
        """How many entries the map of active timers holds."""
        return len(self.active_timers)

    def run_next(self) -> float:
        """Run up to the next timer's expiry (and everything due by then); returns the
        clock's time. With nothing pending, runs queued work only."""
        nxt = self._next_active_expiry()
        self._run_loop(self.now() if nxt is None else max(nxt, self.now()))
        return self.now()

    def run_to_last(self) -> float:
        """Run until the latest expiry among the timers pending now (timers they set that
        expire later stay pending); returns the clock's time."""
        last = max(self.active_timers.values(), default=self.now())
        self._run_loop(max(last, self.now()))
        return self.now()

    def run_all(self, loop_limit: int = 1000) -> float:
        """Run until no timer is pending, like run(), but raise LoopLimitError (naming
        the timers still active) once more than ``loop_limit`` timer tasks have run, so
        a runaway interval fails a test instead of spinning forever."""
        _check_loop_limit(loop_limit)
        self._set_task_limit(self.timer_tasks_run + loop_limit)
        try:
            while self._next_active_expiry() is not None and not self.closed:
                self.run_next()
            if self.closed:             # a callback closed the scope: nothing left to run
                return self.now()
            self._run_loop(self.now())
        except TaskLimitReached:
            raise LoopLimitError(loop_limit, list(self.active_timers)) from None
        finally:
            self._set_task_limit(-1)
        return self.now()

    def jump(self, ms: float) -> float:
        """Move a VirtualClock ahead by ``ms`` at once, then run what is due: each due
        timer fires at most once (an interval does not catch up on the runs it skipped).
        Returns the clock's time."""
        if not self.clock.is_virtual:
            raise RuntimeError("jump() needs a VirtualClock")
        self._jump_clock(self._later(ms))
        self._run_loop(self.now())
        return self.now()

    def _later(self, ms: object) -> float:
        end = self.now() + check_ms(ms, "ms", Constraint.CLOCK_SPAN)
        if end > MAX_TIME_MS:
            raise ValueError(f"ms={ms!r} would take the clock past 2**53 ms")
        return end

    def _run_loop(self, end: float | None) -> None:
        if self._host is not None:
            raise RuntimeError("this scope is hosted on an asyncio loop, which runs it: "
                               "use 'await scope.run_async()' to wait for it")
        self._enter_loop()
        try:
            horizon = math.inf if end is None else end
            while not self.closed:
                at = self._next_turn_at(self._turn(horizon))
                if at == -math.inf:
                    continue
                if at is None or at > horizon or (end is None and not self._waits()):
                    break       # nothing left, past the horizon, or only unref'd timers
                self._wait_until(at)
            if end is not None and not self.closed:
                self._wait_until(end)
        finally:
            self._exit_loop()

    def _wait_until(self, t: float) -> None:
        delay = t - self.now()
        if delay <= 0:
            return
        if self.clock.is_virtual:
            self._jump_clock(t)
        else:
            self._staged.wait(delay / 1000.0)


def _check_loop_limit(loop_limit: object) -> None:
    if not isinstance(loop_limit, int) or isinstance(loop_limit, bool) or loop_limit < 1:
        raise ValueError(f"loop_limit must be a positive int, got {loop_limit!r}")


class LoopLimitError(RuntimeError):
    """run_all() ran more timer tasks than its loop_limit: a timer keeps re-arming."""

    def __init__(self, loop_limit: int, active: list[object]) -> None:
        super().__init__(f"the loop stopped after {loop_limit} timer tasks; still active: "
                         f"{active[:10]!r}{' ...' if len(active) > 10 else ''}")
        self.loop_limit = loop_limit
        self.active = active

