"""asyncio integration.

Hosting a scope on a running asyncio loop (``Window(loop=loop)``): the scope keeps one
``loop.call_at`` handle for its next wake-up (the wheel's next expiry, or the end of an
idle period), whatever the number of pending timers, plus at most one ``call_soon`` while
tasks or microtasks are queued. Each turn runs, in spec order, a microtask checkpoint,
the queued tasks, the due timers (one task each, a checkpoint after each), and when
nothing is runnable and the asyncio loop has nothing ready either, an idle period.

Simple dialogs are synchronous, as in browsers: on a hosted scope, ``alert()`` and
friends block the asyncio thread and so every scope on it. ``await w.alert_async(...)``,
``confirm_async`` and ``prompt_async`` instead run the provider in a worker thread and
pause only this scope (no task, timer or microtask of it runs until the answer comes;
other scopes and coroutines go on).
"""
from __future__ import annotations

import asyncio
import math
from typing import Any


IDLE_RETRY_MS = 1.0    # how soon to look again for an idle asyncio loop


class AsyncioHost:
    """Drives one scope from an asyncio loop (created by the scope for ``loop=``)."""

    def __init__(self, scope: Any, loop: asyncio.AbstractEventLoop) -> None:
        if not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"loop must be an asyncio event loop, not {type(loop).__name__}")
        self.scope = scope
        self.loop = loop
        self._timer: asyncio.TimerHandle | None = None
        self._soon: asyncio.Handle | None = None
        self._in_turn = False
        self._paused = 0
        self._waiters: list[asyncio.Future] = []
        scope._set_host(self._wake)
        self._wake()

    # -- scheduling ----------------------------------------------------------------------

    def _wake(self) -> None:
        """Something became runnable sooner than planned: take a turn soon."""
        if self._in_turn or self._soon is not None or self._paused or self.scope.closed:
            return
        self._soon = self.loop.call_soon(self._turn)

    def _turn(self) -> None:
        self._soon = None
        if self._paused or self.scope.closed:
            return
        self._in_turn = True
        did_work = True
        try:
            did_work = self.scope._host_turn(self._loop_is_idle())
        finally:
            self._in_turn = False
            self._rearm(did_work)

    def _loop_is_idle(self) -> bool:
        ready = getattr(self.loop, "_ready", None)    # asyncio's run queue (not uvloop's)
        return ready is None or len(ready) == 0

    def _rearm(self, did_work: bool = False) -> None:
        scope = self.scope
        if scope.closed:
            self._cancel()
            self._finish_waiters()
            return
        if scope._has_tasks() or scope._has_microtasks() or (did_work and scope._idle_work()):
            # Runnable now, or idle callbacks wait and an idle period may start once the
            # work just done is over: take another turn before time moves on.
            scope._set_armed(-math.inf)
            if self._soon is None:
                self._soon = self.loop.call_soon(self._turn)
            return
        wake = scope._next_wake()
        if scope._idle_work() and scope.now() >= scope._idle_blocked_until():
            # An idle period could start but the asyncio loop was busy: look again soon.
            retry = scope.now() + IDLE_RETRY_MS
            wake = retry if wake is None else min(wake, retry)
        if wake is None:
            self._cancel_timer()
            scope._set_armed(math.inf)
            if not scope._idle_work():
                self._finish_waiters()
            return
        scope._set_armed(wake)
        if scope.clock.is_virtual:
            # Virtual time on a real loop: nothing else can make time pass, so jump.
            scope._jump_clock(wake)
            self._cancel_timer()
            if self._soon is None:
                self._soon = self.loop.call_soon(self._turn)
            return
        when = self.loop.time() + max(0.0, wake - scope.now()) / 1000.0
        if self._timer is not None and not self._timer.cancelled() and \
                abs(self._timer.when() - when) < 1e-6:
            return
        self._cancel_timer()
        self._timer = self.loop.call_at(when, self._turn)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _cancel(self) -> None:
        self._cancel_timer()
        if self._soon is not None:
            self._soon.cancel()
            self._soon = None

    def scheduled_handles(self) -> int:
        """How many asyncio handles the scope holds now (0, 1 or 2)."""
        return sum(h is not None and not h.cancelled() for h in (self._timer, self._soon))

    # -- waiting and pausing ---------------------------------------------------------------

    def _finish_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for f in waiters:
            if not f.done():
                f.set_result(None)

    async def run_async(self) -> None:
        """Wait until nothing is pending in the scope."""
        future = self.loop.create_future()
        self._waiters.append(future)
        self._wake()
        await future

    async def in_thread(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` in a worker thread with this scope paused meanwhile."""
        self._paused += 1
        self._cancel()
        try:
            return await self.loop.run_in_executor(None, fn, *args)
        finally:
            self._paused -= 1
            if not self._paused:
                self._rearm()

    def close(self) -> None:
        self._cancel()
        self._finish_waiters()
