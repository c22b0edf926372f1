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
import selectors as _selectors
from asyncio import base_events as _base_events
from typing import Any

from timercore._aio import TimerTable


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
        if not scope._waits_for_timers() and not scope._idle_work():
            self._finish_waiters()     # only unref'd timers are left: they stay armed
        scope._set_armed(wake)
        if scope.clock.is_virtual:
            # Virtual time on a real loop: nothing else can make time pass, so jump, but
            # only once asyncio has nothing ready (coroutines woken by the last turn run
            # first, at the time they were woken).
            if self._loop_is_idle():
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


# -- WheelEventLoop ---------------------------------------------------------------------------

_MAXIMUM_SELECT_TIMEOUT = 24 * 3600


class WheelEventLoop(asyncio.SelectorEventLoop):
    """A drop-in asyncio event loop whose call_at / call_later (and so asyncio.sleep,
    wait_for, asyncio.timeout, ...) run on timercore's timing wheel.

    Differences from asyncio's loop, all deliberate (see docs/asyncio.md):
    - timers with equal ``when`` run in the order they were scheduled (asyncio leaves it
      undefined);
    - ``handle.cancel()`` removes the timer at once: no cancelled handles linger;
    - handles are ``timercore._aio.TimerHandle`` (duck-typed like asyncio.TimerHandle,
      as uvloop's are), not instances of ``asyncio.TimerHandle``;
    - with ``clock=VirtualClock()``, ``time()`` is virtual and the loop jumps to the next
      timer whenever no I/O is ready and nothing is runnable.
    """

    def __init__(self, selector: _selectors.BaseSelector | None = None, *,
                 clock: Any = None) -> None:
        from timercore.clocks import VirtualClock
        self._virtual = None
        self._timers = None
        super().__init__(selector)
        if clock is not None and not isinstance(clock, VirtualClock):
            super().close()
            raise TypeError("clock must be a timercore.VirtualClock (or None for real "
                            f"time), not {type(clock).__name__}")
        self._virtual = clock
        self._timers = TimerTable(self, self.time())

    def time(self) -> float:
        if self._virtual is not None:
            return self._virtual.now() / 1000.0
        return super().time()

    def call_at(self, when, callback, *args, context=None):
        """As asyncio's call_at, on the wheel. O(1)."""
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        return self._timers.call_at(when, callback, args, context)

    def call_later(self, delay, callback, *args, context=None):
        """As asyncio's call_later, on the wheel. O(1)."""
        if delay is None:
            raise TypeError("delay must not be None")
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def pending_timers(self) -> int:
        """How many timers are scheduled (cancelled ones are gone at once)."""
        return len(self._timers)

    def close(self) -> None:
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if not self.is_closed() and self._timers is not None:
            self._timers.clear()
        super().close()

    def _run_once(self) -> None:
        """One loop iteration: asyncio's, with the wheel in place of the heap."""
        ready = self._ready
        timers = self._timers
        timeout = None
        if ready or self._stopping:
            timeout = 0
        else:
            nxt = timers.next_when()
            if nxt is not None:
                timeout = min(max(0.0, nxt - self.time()), _MAXIMUM_SELECT_TIMEOUT)
            if self._virtual is not None and timeout:
                # Autojump: poll I/O; if nothing is ready, virtual time moves to the timer.
                events = self._selector.select(0)
                if events:
                    self._process_events(events)
                else:
                    self._virtual._jump_to_ms(nxt * 1000.0)
                timeout = 0
        events = self._selector.select(timeout)
        self._process_events(events)
        events = None
        end_time = self.time() + self._clock_resolution
        if self._debug:
            timers.pop_due(end_time, ready)      # through _ready, for the debug timing
        else:
            timers.collect_due(end_time)         # run below, after what is ready now
        # Run what is ready now; callbacks they schedule wait for the next iteration.
        ntodo = len(ready)
        tracebacks = timers.tracebacks
        for _ in range(ntodo):
            handle = ready.popleft()
            if handle._cancelled:
                continue
            if self._debug:
                try:
                    self._current_handle = handle
                    t0 = self.time()
                    handle._run()
                    dt = self.time() - t0
                    if dt >= self.slow_callback_duration:
                        _base_events.logger.warning("Executing %s took %.3f seconds",
                                                    _base_events._format_handle(handle), dt)
                finally:
                    self._current_handle = None
                    if tracebacks:
                        tracebacks.pop(id(handle), None)
            else:
                handle._run()
        handle = None
        if not self._debug:
            timers.run_collected(ready)


def new_event_loop(*, clock: Any = None) -> WheelEventLoop:
    """A new WheelEventLoop (``clock=VirtualClock()`` for virtual time)."""
    return WheelEventLoop(clock=clock)


def run(main, *, debug: bool | None = None, clock: Any = None):
    """Like asyncio.run / uvloop.run, on a WheelEventLoop."""
    with asyncio.Runner(debug=debug, loop_factory=lambda: new_event_loop(clock=clock)) as runner:
        return runner.run(main)


class EventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """An event-loop policy whose new loops are WheelEventLoops."""

    def new_event_loop(self) -> WheelEventLoop:
        return new_event_loop()
