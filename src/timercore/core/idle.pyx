# W3C requestIdleCallback: the steps of requestIdleCallback and cancelIdleCallback (whose
# methods are ScopeCore's), IdleDeadline, and the idle periods a scope's loop starts when
# it has nothing runnable; IdleCallbacks, a part of ScopeCore, declared in core/idle.pxd.
#
# Timeouts use HTML's "run steps after a timeout" with the ordering identifier
# "requestIdleCallback-timeout" (w3c/requestidlecallback PR #98) rather than the W3C
# text's own wait: the order is the same (absolute expiry, then posting order), and the
# timeout then sits in the map of active timers like every other timeout, so it bounds
# idle deadlines too. Exposed on WorkerGlobalScope as well, as an extension (the W3C IDL
# has it on Window only).

IDLE_CAP_MS = 50.0                  # the 100 ms response budget, halved
IDLE_TIMEOUT_ORDERING = "requestIdleCallback-timeout"


@cython.final
cdef class IdleCallbacks:
    """The requestIdleCallback steps of one scope (its ``_idle`` part)."""

    def __cinit__(self, ScopeCore scope):
        self._scope = scope
        self._callbacks = []
        self._timeouts = {}
        self._cap = -INFINITY

    def __dealloc__(self):
        PyMem_Free(self._handles)

    cdef int _close(self) except -1:
        """Drop every queued idle callback (none runs after close; their timeouts went
        with the map of active timers)."""
        self._callbacks = []
        self._timeouts = {}
        self._head = self._split = self._live = 0
        return 0

    cdef int64_t _request(self, object callback, object options, object timeout) except -1:
        """requestIdleCallback's steps (ScopeCore.requestIdleCallback)."""
        cdef ScopeCore scope = self._scope
        cdef unsigned long ms = 0
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        check_async_hosted(scope, callback, "requestIdleCallback")
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
        ScopeState._check_open(scope)
        # 1-3. The handle: the incremented idle callback identifier.
        self._identifier += 1
        cdef int64_t handle = self._identifier
        # 4. Push to the end of the list of idle request callbacks.
        cdef Py_ssize_t n = len(self._callbacks)
        if <size_t>n == self._handles_cap:
            self._handles_cap = tc_grow_cap(n, n + 1, 64, 1 << 40)
            self._handles = <int64_t *>grow_array(self._handles, self._handles_cap,
                                                  sizeof(int64_t))
        self._handles[n] = handle
        self._callbacks.append(callback)
        self._live += 1
        # 5. A positive timeout: run steps after a timeout, then invoke with didTimeout.
        if ms > 0:
            self._timeouts[handle] = scope.run_steps_after_timeout(
                IDLE_TIMEOUT_ORDERING, ms, _partial(self._invoke_callback_timeout, handle))
        elif scope._wake is not None:
            scope._wake()
        return handle

    cdef int _cancel(self, object handle) except -1:
        """cancelIdleCallback's steps: remove the callback from both lists (handles that
        name none are ignored), and drop its timeout so that a dead entry stops bounding
        idle deadlines."""
        cdef int64_t h = as_key(handle, "handle", IDLE_HANDLE)
        cdef Py_ssize_t i
        if not 0 < h <= self._identifier:
            return 0               # never issued
        i = self._find(h)
        if i >= 0:
            self._take(i)
        key = self._timeouts.pop(h, None)
        if key is not None:
            self._scope._cancel_run_steps(key)
        return 0

    # -- the queue -----------------------------------------------------------------------

    cdef Py_ssize_t _find(self, long long handle):
        """The index of handle's entry, if it is still queued; else -1."""
        cdef Py_ssize_t lo = self._head, hi = len(self._callbacks), mid
        while lo < hi:
            mid = (lo + hi) // 2
            if self._handles[mid] < handle:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self._callbacks) and self._handles[lo] == handle \
                and self._callbacks[lo] is not None:
            return lo
        return -1

    cdef object _take(self, Py_ssize_t i):
        """Remove entry i (live) from its list; its callback. Callers move the head past
        i first: the done front may be dropped here."""
        cdef Py_ssize_t head = self._head
        callback = self._callbacks[i]
        list_store(self._callbacks, i, None)
        self._live -= 1
        if self._live == 0:             # empty: start the arrays over
            del self._callbacks[:]
            self._head = self._split = 0
        elif head > 1024 and 2 * head > len(self._callbacks):
            # Mostly run or removed: drop the done front (amortized O(1) per entry).
            memmove(self._handles, self._handles + head,
                    (len(self._callbacks) - head) * sizeof(int64_t))
            del self._callbacks[:head]
            self._split -= head
            self._head = 0
        return callback

    cdef inline bint _has_work(self) noexcept:
        return self._live > 0

    # -- idle periods --------------------------------------------------------------------

    cdef inline double _deadline(self, double cap) except? -1.0:
        """HTML computeDeadline: the period's start + 50, bounded by every value in the
        map of active timers (clock time), evaluated now."""
        cdef double nxt
        if self._scope._next_expiry(&nxt) and ScopeState._to_clock(self._scope, nxt) < cap:
            return ScopeState._to_clock(self._scope, nxt)
        return cap

    cdef double _blocked_until(self) except? -1.0:
        """When the next idle period may start: not before the last one's deadline."""
        if self._cap == -INFINITY:
            return -INFINITY
        return self._deadline(self._cap)

    cdef bint _start_period(self) except -1:
        """Called by the loop when nothing is runnable. Starts an idle period (True) if
        there are idle callbacks and the previous period's deadline has passed."""
        cdef double now, cap
        if not self._has_work() or self._scope._suspended:
            return False
        now = self._scope._clock.now_ms()
        if now < self._blocked_until():
            return False
        cap = now + IDLE_CAP_MS
        if self._deadline(cap) <= now:
            return False            # a timer is due: not idle after all
        self._cap = cap
        # 2-4. Move every idle request callback to the runnable list, in order.
        self._split = len(self._callbacks)
        # 5. Queue a task on the idle-task task source: invoke idle callbacks.
        self._scope._queue_task(self._invoke_callbacks, (cap,))
        return True

    def _invoke_callbacks(self, double cap):
        """The "invoke idle callbacks" task for a period whose deadline is capped at
        ``cap``. The spec runs one callback per task so that timers and microtasks
        interleave; this task runs a microtask checkpoint after each callback and yields
        to the loop as soon as a timer is due or another task is queued: the same order."""
        cdef ScopeCore scope = self._scope
        cdef double nxt
        cdef Py_ssize_t i
        while self._head < self._split and not scope._closed and not scope._suspended:
            i = self._head
            if self._callbacks[i] is None:      # removed: skip it
                self._head = i + 1
                continue
            # 1. End early if other work became runnable: continue in a later task.
            if scope._tasks or (scope._next_expiry(&nxt) and nxt <= ScopeState._now(scope)):
                scope._queue_task(self._invoke_callbacks, (cap,))
                return
            # 2-3. Past the deadline: this period is over.
            if scope._clock.now_ms() >= self._deadline(cap):
                return
            # 4-5. Pop the top callback from the runnable list.
            handle = self._handles[i]
            self._head = i + 1
            callback = self._take(i)
            if self._timeouts:
                key = self._timeouts.pop(handle, None)
                if key is not None:
                    scope._cancel_run_steps(key)
            call_handler(scope, callback, (_new_deadline(self, cap, False),))
            if scope._microtasks:
                scope._checkpoint()

    def _invoke_callback_timeout(self, handle):
        """The timeout's completion: if still queued, run it with didTimeout=True and a
        deadline of now (timeRemaining() == 0)."""
        cdef Py_ssize_t i
        self._timeouts.pop(handle, None)
        i = self._find(handle)
        if i < 0:
            return
        callback = self._take(i)
        callback(_new_deadline(self, self._scope._clock.now_ms(), True))


cdef IdleDeadline _new_deadline(IdleCallbacks idle, double cap, bint timed_out):
    """An idle period's deadline (capped at ``cap``, re-evaluated on each call), or a
    timeout's (fixed at ``cap`` = now, didTimeout)."""
    cdef IdleDeadline d = IdleDeadline.__new__(IdleDeadline)
    d._idle = idle
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
        cdef double d = self._cap if self._fixed else self._idle._deadline(self._cap)
        cdef double r = d - self._idle._scope._clock.now_ms()
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
