"""W3C requestIdleCallback: requestIdleCallback, cancelIdleCallback, IdleDeadline, and
the idle periods a scope's loop starts when it has nothing runnable.

Timeouts use HTML's "run steps after a timeout" with the ordering identifier
"requestIdleCallback-timeout" (w3c/requestidlecallback PR #98) rather than the W3C
text's own wait: the order is the same (absolute expiry, then posting order), and the
timeout then sits in the map of active timers like every other timeout, so it bounds idle
deadlines too. Exposed on WorkerGlobalScope as well, as an extension (the W3C IDL has it
on Window only).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Callable

from timercore.webidl import to_unsigned_long

IDLE_CAP_MS = 50.0                  # the 100 ms response budget, halved
TIMEOUT_ORDERING = "requestIdleCallback-timeout"


class IdleDeadline:
    """What an idle callback receives: ``timeRemaining()`` in ms, ``didTimeout``."""

    __slots__ = ("_now", "_get_deadline", "_did_timeout")

    def __init__(self, now: Callable[[], float], get_deadline: Callable[[], float],
                 did_timeout: bool) -> None:
        self._now = now
        self._get_deadline = get_deadline
        self._did_timeout = did_timeout

    def timeRemaining(self) -> float:
        """max(0, deadline - now), the deadline re-evaluated on every call (a timer set
        inside the callback shortens it)."""
        return max(0.0, self._get_deadline() - self._now())

    time_remaining = timeRemaining

    @property
    def didTimeout(self) -> bool:
        return self._did_timeout

    did_timeout = didTimeout

    def __repr__(self) -> str:
        return f"<IdleDeadline timeRemaining={self.timeRemaining()!r} didTimeout={self._did_timeout}>"


class IdleCallbacks:
    """The requestIdleCallback state and steps of a scope (mixed into GlobalScope)."""

    def _init_idle(self) -> None:
        self._idle_identifier = 0
        self._idle_pending: OrderedDict[int, Callable] = OrderedDict()   # idle request callbacks
        self._idle_runnable: OrderedDict[int, Callable] = OrderedDict()  # runnable idle callbacks
        self._idle_timeouts: dict[int, object] = {}   # handle -> run-steps key of its timeout
        self._idle_deadline: Callable[[], float] | None = None  # the current period's

    def requestIdleCallback(self, callback: Callable, options: Any = None, *,
                            timeout: object = None) -> int:
        """Queue ``callback(deadline)`` for the next idle period; returns its handle
        (1, 2, ... for the scope's lifetime). ``options`` may be ``{"timeout": ms}`` or an
        object with a ``timeout`` attribute; a positive timeout runs the callback with
        ``didTimeout=True`` if no idle period came first."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        if options is None and timeout is None and not self.closed:   # the common case
            self._idle_identifier = handle = self._idle_identifier + 1
            self._idle_pending[handle] = callback
            return handle
        if options is not None and timeout is not None:
            raise TypeError("give the timeout either in options or as timeout=, not both")
        if options is not None:
            if isinstance(options, dict):
                timeout = options.get("timeout")
            elif hasattr(options, "timeout"):
                timeout = options.timeout
            else:
                raise TypeError("options must be a dict or an object with a timeout, not "
                                f"{type(options).__name__}")
        ms = 0 if timeout is None else to_unsigned_long(timeout, "timeout")
        if self.closed:
            raise RuntimeError("this scope is closed")
        # 1-3. The handle: the incremented idle callback identifier.
        self._idle_identifier += 1
        handle = self._idle_identifier
        # 4. Push to the end of the list of idle request callbacks.
        self._idle_pending[handle] = callback
        # 5. A positive timeout: run steps after a timeout, then invoke with didTimeout.
        if ms > 0:
            self._idle_timeouts[handle] = self.run_steps_after_timeout(
                TIMEOUT_ORDERING, ms, lambda: self._invoke_idle_callback_timeout(handle))
        return handle

    def cancelIdleCallback(self, handle: object) -> None:
        """Remove the callback from both lists (unknown handles are ignored)."""
        if not isinstance(handle, int):
            return
        self._idle_pending.pop(handle, None)
        self._idle_runnable.pop(handle, None)
        key = self._idle_timeouts.pop(handle, None)
        if key is not None:
            self._cancel_run_steps(key)

    request_idle_callback = requestIdleCallback
    cancel_idle_callback = cancelIdleCallback

    # -- the event loop's side ------------------------------------------------------------

    def _idle_work(self) -> bool:
        return bool(self._idle_pending or self._idle_runnable)

    def _deadline_function(self, start: float) -> Callable[[], float]:
        """HTML computeDeadline for a period that started at ``start``: start + 50,
        bounded by every value in the map of active timers, evaluated at each call."""
        cap = start + IDLE_CAP_MS
        next_expiry = self._next_active_expiry

        def get_deadline() -> float:
            nxt = next_expiry()
            return cap if nxt is None or nxt > cap else nxt
        return get_deadline

    def _idle_blocked_until(self) -> float:
        """When the next idle period may start: not before the last one's deadline."""
        return -math.inf if self._idle_deadline is None else self._idle_deadline()

    def _start_idle_period(self) -> bool:
        """Called by the loop when nothing is runnable. Starts an idle period (True) if
        there are idle callbacks and the previous period's deadline has passed."""
        if not self._idle_work() or self.suspended:
            return False
        now = self.now()
        if now < self._idle_blocked_until():
            return False
        get_deadline = self._deadline_function(now)
        if get_deadline() <= now:
            return False            # a timer is due: not idle after all
        self._idle_deadline = get_deadline
        # 2-4. Move every idle request callback to the runnable list, in order.
        self._idle_runnable.update(self._idle_pending)
        self._idle_pending.clear()
        # 5. Queue a task on the idle-task task source: invoke idle callbacks.
        self._queue_task(self._invoke_idle_callbacks, get_deadline)
        return True

    def _invoke_idle_callbacks(self, get_deadline: Callable[[], float]) -> None:
        """The "invoke idle callbacks" task: while before the deadline, run the first
        runnable callback. The spec runs one callback per task so that timers and
        microtasks interleave; this task runs a microtask checkpoint after each callback
        and yields to the loop as soon as a timer is due or another task is queued, which
        is the same order at a fraction of the cost."""
        runnable, now, other_work = self._idle_runnable, self.now, self._other_work_runnable
        while runnable:
            # 1. End the period early if other work became runnable.
            if other_work():
                self._queue_task(self._invoke_idle_callbacks, get_deadline)
                return
            # 2-3. Past the deadline: the period is over.
            if now() >= get_deadline():
                return
            handle, callback = runnable.popitem(last=False)
            if self._idle_timeouts:
                key = self._idle_timeouts.pop(handle, None)
                if key is not None:
                    self._cancel_run_steps(key)
            try:
                callback(IdleDeadline(now, get_deadline, False))
            except Exception as exc:
                self.report_exception(exc)
            self._perform_microtask_checkpoint()
            if self.closed:
                return

    def _invoke_idle_callback_timeout(self, handle: int) -> None:
        """The timeout's completion: if still queued, run it with didTimeout=True and a
        deadline of now (timeRemaining() == 0)."""
        self._idle_timeouts.pop(handle, None)
        callback = self._idle_pending.pop(handle, None)
        if callback is None:
            callback = self._idle_runnable.pop(handle, None)
        if callback is None:
            return
        now = self.now()
        callback(IdleDeadline(self.now, lambda: now, True))
