"""GlobalScope: a WindowOrWorkerGlobalScope with its own event loop.

The compiled ScopeCore holds the timers, microtasks, idle callbacks and the event loop's
turn (src/timercore/core/event_loop.pyx: what a turn runs and when the next is due); this
module adds events and error reporting, and waits between turns: a VirtualClock jumps,
a real clock sleeps (cut short by a batch staged by another thread).
"""
from __future__ import annotations

import asyncio
import math
from typing import Any, Callable

from timercore._core import (MAX_TIME_MS, Clock, Constraint, ScopeCore, TaskLimitReached,
                             check_ms)
from timercore.events import EventTarget
from timercore.introspection import Introspection
from timercore.performance import Performance
from timercore.timers import ActiveTimers

_TIMER_FUNCTIONS = ("setTimeout", "setInterval", "clearTimeout", "clearInterval",
                    "queueMicrotask", "requestIdleCallback", "cancelIdleCallback",
                    "performance")


class GlobalScope(Introspection):
    """The part Window and WorkerGlobalScope share. See API.md for the constructor;
    ``debug=True`` records each timer's creation site (``creation_sites()``)."""

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
        self._init_threads()
        self._init_awaitables()
        self._init_debug(debug)
        if self.namespace is None:
            self.namespace = self._default_namespace()
        self._host = None
        if loop is not None:
            from timercore.aio import AsyncioHost
            self._host = AsyncioHost(self, loop)

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
                if not self._coroutines:
                    break
                await asyncio.wait(list(self._coroutines))
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
        super().close()
        if self._host is not None:
            self._host.close()
        self._fail_awaiting()
        self._fail_staged()

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
            self._sleep_until_woken(delay / 1000.0)


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

