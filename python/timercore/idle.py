"""W3C requestIdleCallback: requestIdleCallback, cancelIdleCallback, IdleDeadline, and
the idle periods a scope's loop starts when it has nothing runnable.

The two hot steps (posting a callback without options, and invoking idle callbacks) and
IdleDeadline are compiled in _scope.pyx; the rest is here.

Timeouts use HTML's "run steps after a timeout" with the ordering identifier
"requestIdleCallback-timeout" (w3c/requestidlecallback PR #98) rather than the W3C
text's own wait: the order is the same (absolute expiry, then posting order), and the
timeout then sits in the map of active timers like every other timeout, so it bounds idle
deadlines too. Exposed on WorkerGlobalScope as well, as an extension (the W3C IDL has it
on Window only).
"""
from __future__ import annotations

import math
from typing import Any, Callable

from timercore._scope import IdleDeadline
from timercore.webidl import to_unsigned_long
from timercore._parts import ScopePart

__all__ = ["IdleCallbacks", "IdleDeadline"]

IdleCallback = Callable[[IdleDeadline], object]
IDLE_CAP_MS = 50.0                  # the 100 ms response budget, halved
TIMEOUT_ORDERING = "requestIdleCallback-timeout"


class IdleCallbacks(ScopePart):
    """The requestIdleCallback steps of a scope (mixed into GlobalScope)."""

    def _init_idle(self) -> None:
        self._idle_cap: float | None = None     # the current period's start + 50 ms

    def _request_idle_callback_steps(self, callback: IdleCallback, options: Any,
                                     timeout: object) -> int:
        """requestIdleCallback with options (the compiled fast path handles the rest)."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
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
        else:
            self._queue_wake()
        return handle

    def cancelIdleCallback(self, handle: object) -> None:
        """Remove the callback from both lists (unknown handles are ignored), and drop its
        timeout so that a dead entry stops bounding idle deadlines."""
        # WebIDL unsigned long, converted as clearTimeout converts its id (a value that
        # is no number names no callback and is ignored).
        if type(handle) is not int:
            try:
                handle = to_unsigned_long(handle, "handle")
            except TypeError:
                return
        self._idle_pending.pop(handle, None)
        self._idle_runnable.pop(handle, None)
        key = self._idle_timeouts.pop(handle, None)
        if key is not None:
            self._cancel_run_steps(key)

    cancel_idle_callback = cancelIdleCallback

    def request_idle_callback(self, callback: IdleCallback, options: Any = None, *,
                              timeout: object = None) -> int:
        return self.requestIdleCallback(callback, options, timeout=timeout)

    # -- the event loop's side ------------------------------------------------------------

    def _idle_work(self) -> bool:
        return bool(self._idle_pending or self._idle_runnable)

    def _idle_blocked_until(self) -> float:
        """When the next idle period may start: not before the last one's deadline."""
        return -math.inf if self._idle_cap is None else self._idle_deadline_now(self._idle_cap)

    def _start_idle_period(self) -> bool:
        """Called by the loop when nothing is runnable. Starts an idle period (True) if
        there are idle callbacks and the previous period's deadline has passed."""
        if not self._idle_work() or self.suspended:
            return False
        now = self.now()
        if now < self._idle_blocked_until():
            return False
        cap = now + IDLE_CAP_MS
        if self._idle_deadline_now(cap) <= now:
            return False            # a timer is due: not idle after all
        self._idle_cap = cap
        # 2-4. Move every idle request callback to the runnable list, in order.
        self._idle_runnable.update(self._idle_pending)
        self._idle_pending.clear()
        # 5. Queue a task on the idle-task task source: invoke idle callbacks.
        self._queue_task(self._invoke_idle_callbacks, cap)
        return True

    def _invoke_idle_callback_timeout(self, handle: int) -> None:
        """The timeout's completion: if still queued, run it with didTimeout=True and a
        deadline of now (timeRemaining() == 0)."""
        self._idle_timeouts.pop(handle, None)
        callback = self._idle_pending.pop(handle, None)
        if callback is None:
            callback = self._idle_runnable.pop(handle, None)
        if callback is None:
            return
        callback(self._timed_out_deadline())
