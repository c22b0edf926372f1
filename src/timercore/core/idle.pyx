# W3C requestIdleCallback: requestIdleCallback, cancelIdleCallback, IdleDeadline, and the
# idle periods a scope's loop starts when it has nothing runnable; IdleCallbacks, declared
# in core/idle.pxd.
#
# Timeouts use HTML's "run steps after a timeout" with the ordering identifier
# "requestIdleCallback-timeout" (w3c/requestidlecallback PR #98) rather than the W3C
# text's own wait: the order is the same (absolute expiry, then posting order), and the
# timeout then sits in the map of active timers like every other timeout, so it bounds
# idle deadlines too. Exposed on WorkerGlobalScope as well, as an extension (the W3C IDL
# has it on Window only).

IDLE_CAP_MS = 50.0                  # the 100 ms response budget, halved
IDLE_TIMEOUT_ORDERING = "requestIdleCallback-timeout"


cdef class IdleCallbacks(NodeTimers):
    """The requestIdleCallback steps of a scope."""

    def __cinit__(self, *args, **kwargs):
        self._idle_callbacks = []
        self._idle_timeouts = {}
        self._idle_cap = -INFINITY

    def __dealloc__(self):
        PyMem_Free(self._idle_handles)

    def close(self):
        """Close the timers, then drop every queued idle callback (none runs after close;
        their timeouts went with the map of active timers)."""
        Timers.close(self)
        self._idle_callbacks = []
        self._idle_timeouts = {}
        self._idle_head = self._idle_split = self._idle_live = 0

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def requestIdleCallback(self, callback, options=None, *, timeout=None):
        """W3C requestIdleCallback: queue ``callback(deadline)`` for the next idle period;
        returns its handle (1, 2, ... for the scope's lifetime). ``options`` may be
        ``{"timeout": ms}`` or an object with a ``timeout`` attribute; a positive timeout
        runs the callback with ``didTimeout=True`` if no idle period came first."""
        cdef unsigned long ms = 0
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        check_async_hosted(self, callback, "requestIdleCallback")
        if options is not None:
            if timeout is not None:
                raise TypeError("give the timeout either in options or as timeout=, not both")
            if isinstance(options, dict):
                timeout = options.get("timeout")
            elif hasattr(options, "timeout"):
                timeout = options.timeout
            else:
                raise TypeError("options must be a dict or an object with a timeout, not "
                                f"{type(options).__name__}")
        if timeout is not None:
            ms = to_unsigned_long(timeout, "timeout")
        ScopeState._check_open(self)
        # 1-3. The handle: the incremented idle callback identifier.
        self._idle_identifier += 1
        handle = self._idle_identifier
        # 4. Push to the end of the list of idle request callbacks.
        n = len(self._idle_callbacks)
        if <size_t>n == self._idle_handles_cap:
            self._idle_handles_cap = tc_grow_cap(n, n + 1, 64, 1 << 40)
            self._idle_handles = <int64_t *>grow_array(self._idle_handles,
                                                       self._idle_handles_cap, sizeof(int64_t))
        self._idle_handles[n] = handle
        self._idle_callbacks.append(callback)
        self._idle_live += 1
        # 5. A positive timeout: run steps after a timeout, then invoke with didTimeout.
        if ms > 0:
            self._idle_timeouts[handle] = self.run_steps_after_timeout(
                IDLE_TIMEOUT_ORDERING, ms, lambda: self._invoke_idle_callback_timeout(handle))
        elif self._wake is not None:
            self._wake()
        return handle

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def cancelIdleCallback(self, handle):
        """Remove the callback from both lists (unknown handles are ignored), and drop its
        timeout so that a dead entry stops bounding idle deadlines."""
        # WebIDL unsigned long, converted as clearTimeout converts its id (a value that
        # is no number names no callback and is ignored).
        if type(handle) is not int:
            try:
                handle = to_unsigned_long(handle, "handle")
            except TypeError:
                return
        if not 0 < handle <= self._idle_identifier:
            return                 # never issued
        i = self._idle_find(handle)
        if i >= 0:
            self._idle_take(i)
        key = self._idle_timeouts.pop(handle, None)
        if key is not None:
            self._cancel_run_steps(key)

    def request_idle_callback(self, callback, options=None, *, timeout=None):
        return self.requestIdleCallback(callback, options, timeout=timeout)

    cancel_idle_callback = cancelIdleCallback

    # -- the queue -----------------------------------------------------------------------

    cdef Py_ssize_t _idle_find(self, long long handle):
        """The index of handle's entry, if it is still queued; else -1."""
        cdef Py_ssize_t lo = self._idle_head, hi = len(self._idle_callbacks), mid
        while lo < hi:
            mid = (lo + hi) // 2
            if self._idle_handles[mid] < handle:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self._idle_callbacks) and self._idle_handles[lo] == handle \
                and self._idle_callbacks[lo] is not None:
            return lo
        return -1

    cdef object _idle_take(self, Py_ssize_t i):
        """Remove entry i (live) from its list; its callback. Callers move the head past
        i first: the done front may be dropped here."""
        cdef Py_ssize_t head = self._idle_head
        callback = self._idle_callbacks[i]
        list_store(self._idle_callbacks, i, None)
        self._idle_live -= 1
        if self._idle_live == 0:             # empty: start the arrays over
            del self._idle_callbacks[:]
            self._idle_head = self._idle_split = 0
        elif head > 1024 and 2 * head > len(self._idle_callbacks):
            # Mostly run or removed: drop the done front (amortized O(1) per entry).
            memmove(self._idle_handles, self._idle_handles + head,
                    (len(self._idle_callbacks) - head) * sizeof(int64_t))
            del self._idle_callbacks[:head]
            self._idle_split -= head
            self._idle_head = 0
        return callback

    cdef inline bint _has_idle_work(self):
        return self._idle_live > 0

    # -- idle periods --------------------------------------------------------------------

    cdef inline double _idle_deadline(self, double cap) except? -1.0:
        """HTML computeDeadline: the period's start + 50, bounded by every value in the
        map of active timers (clock time), evaluated now."""
        cdef double nxt
        if self._next_expiry(&nxt) and ScopeState._to_clock(self, nxt) < cap:
            return ScopeState._to_clock(self, nxt)
        return cap

    cdef double _idle_blocked_until(self) except? -1.0:
        """When the next idle period may start: not before the last one's deadline."""
        if self._idle_cap == -INFINITY:
            return -INFINITY
        return self._idle_deadline(self._idle_cap)

    cdef bint _start_idle_period(self) except -1:
        """Called by the loop when nothing is runnable. Starts an idle period (True) if
        there are idle callbacks and the previous period's deadline has passed."""
        cdef double now, cap
        if not self._has_idle_work() or self._suspended:
            return False
        now = self._clock.now_ms()
        if now < self._idle_blocked_until():
            return False
        cap = now + IDLE_CAP_MS
        if self._idle_deadline(cap) <= now:
            return False            # a timer is due: not idle after all
        self._idle_cap = cap
        # 2-4. Move every idle request callback to the runnable list, in order.
        self._idle_split = len(self._idle_callbacks)
        # 5. Queue a task on the idle-task task source: invoke idle callbacks.
        self._queue_task(self._invoke_idle_callbacks, (cap,))
        return True

    def _invoke_idle_callbacks(self, double cap):
        """The "invoke idle callbacks" task for a period whose deadline is capped at
        ``cap``. The spec runs one callback per task so that timers and microtasks
        interleave; this task runs a microtask checkpoint after each callback and yields
        to the loop as soon as a timer is due or another task is queued: the same order."""
        cdef double nxt
        cdef Py_ssize_t i
        while self._idle_head < self._idle_split and not self._closed and not self._suspended:
            i = self._idle_head
            if self._idle_callbacks[i] is None:      # removed: skip it
                self._idle_head = i + 1
                continue
            # 1. End early if other work became runnable: continue in a later task.
            if self._tasks or (self._next_expiry(&nxt) and nxt <= ScopeState._now(self)):
                self._queue_task(self._invoke_idle_callbacks, (cap,))
                return
            # 2-3. Past the deadline: this period is over.
            if self._clock.now_ms() >= self._idle_deadline(cap):
                return
            # 4-5. Pop the top callback from the runnable list.
            handle = self._idle_handles[i]
            self._idle_head = i + 1
            callback = self._idle_take(i)
            if self._idle_timeouts:
                key = self._idle_timeouts.pop(handle, None)
                if key is not None:
                    self._cancel_run_steps(key)
            call_handler(self, callback, (_new_deadline(self, cap, False),))
            if self._microtasks:
                self._checkpoint()

    def _invoke_idle_callback_timeout(self, handle):
        """The timeout's completion: if still queued, run it with didTimeout=True and a
        deadline of now (timeRemaining() == 0)."""
        cdef Py_ssize_t i
        self._idle_timeouts.pop(handle, None)
        i = self._idle_find(handle)
        if i < 0:
            return
        callback = self._idle_take(i)
        callback(_new_deadline(self, self._clock.now_ms(), True))


cdef IdleDeadline _new_deadline(IdleCallbacks scope, double cap, bint timed_out):
    """An idle period's deadline (capped at ``cap``, re-evaluated on each call), or a
    timeout's (fixed at ``cap`` = now, didTimeout)."""
    cdef IdleDeadline d = IdleDeadline.__new__(IdleDeadline)
    d._scope = scope
    d._cap = cap
    d._fixed = d._did_timeout = timed_out
    return d


@cython.final
@cython.freelist(8)
cdef class IdleDeadline:
    """What an idle callback receives: ``timeRemaining()`` (ms) and ``didTimeout``."""

    def __init__(self):
        raise TypeError("IdleDeadline objects are made by the scope, not by callers")

    def timeRemaining(self):
        """max(0, deadline - now), the deadline re-evaluated on every call (a timer set
        inside the callback shortens it)."""
        cdef double d = self._cap if self._fixed else self._scope._idle_deadline(self._cap)
        cdef double r = d - self._scope._clock.now_ms()
        return r if r > 0 else 0.0

    def time_remaining(self):
        return self.timeRemaining()

    @property
    def didTimeout(self):
        return self._did_timeout

    @property
    def did_timeout(self):
        return self._did_timeout

    def __repr__(self):
        return (f"<IdleDeadline timeRemaining={self.timeRemaining()!r} "
                f"didTimeout={self._did_timeout}>")
