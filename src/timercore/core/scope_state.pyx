# ScopeState: the agent's state every part of a scope shares, and its queues (declared
# in core/scope_state.pxd): time, the owner thread, closing, the asyncio host; HTML §8.7
# microtasks and the task queue of the other task sources; and the one place that runs a
# callback as a task does (call_reported).


cdef inline object call_reported(ScopeState scope, object callback, tuple args):
    """Run ``callback(*args)`` as a task or microtask runs it: an Exception is reported
    (the façade's report_exception fires the ErrorEvent) and None returned; other
    BaseExceptions (KeyboardInterrupt, ...) propagate. The one place that does so; no
    try/except on the way of a callback that returns (see report_raised)."""
    cdef PyObject *r = call_object(callback, args)
    cdef object result
    if r == NULL:
        report_raised(scope)
        return None
    result = <object>r
    Py_DECREF(result)           # <object>r took a reference: the call's is ours to drop
    return result


cdef inline int call_handler(ScopeState scope, object callback, tuple args) except -1:
    """call_reported for a handler that may be an ``async def``: its coroutine runs as an
    asyncio task of the hosting loop (the scope's _run_coroutine), its exception reported
    like a callback's."""
    result = call_reported(scope, callback, args)
    if result is not None and (type(result) is _CoroutineType or _iscoroutine(result)):
        call_reported(scope, scope._run_coroutine, (result,))
    return 0


cdef int check_async_hosted(ScopeState scope, object callback, str method) except -1:
    """An ``async def`` handler needs a loop to run its coroutine: a TypeError at once on a
    scope that is not hosted on asyncio, rather than a coroutine never awaited later."""
    if scope._wake is None and is_async_function(callback):
        raise TypeError(f"{method}() got an async function: its coroutine can only run on "
                        "a scope hosted on asyncio (Window(loop=asyncio.get_running_loop()), "
                        "or `timercore run`); or schedule a plain function that starts it")
    return 0


cdef int report_raised(ScopeState scope) except -1:
    """A callback raised (the exception is set): report an Exception, re-raise others."""
    try:
        raise_pending()
    except Exception as exc:
        scope.report_exception(from_user_code(exc))
    return 0


cdef object from_user_code(exc):
    """``exc`` with its traceback starting at the callback's own frames: the frames of
    timercore's compiled core that only called it and re-raised its error to report it
    are left out, as Node.js shows the user's frames."""
    tb = exc.__traceback__
    while tb is not None and _is_core_frame(tb.tb_frame):
        tb = tb.tb_next
    return exc.with_traceback(tb) if tb is not None else exc


cdef inline bint _is_core_frame(frame):
    cdef str name = frame.f_code.co_filename
    return name.startswith("timercore/") and name.endswith(".pyx")


cdef class ScopeState:
    """A scope's clock, active time, suspension, owner thread, closing, host, and the
    queues of microtasks and tasks."""

    def __cinit__(self, *args, **kwargs):
        self._armed_ms = INFINITY
        self._owner = PyThread_get_thread_ident()
        self._microtasks = deque()
        self._tasks = deque()

    cdef int _init_clock(self, object clock) except -1:
        self._clock = as_clock(clock)
        self._virtual = isinstance(self._clock, VirtualClock)
        return 0

    # -- time -------------------------------------------------------------------------

    cdef inline double _now(self) except? -1.0:
        """Active time: the clock less the time spent suspended (§7.5.9 bookkeeping)."""
        return ScopeState._to_active(
            self, self._suspended_at if self._suspended else self._clock.now_ms())

    # The one conversion pair between the two time bases. Active time (the wheel's
    # deadlines, _now) stops while the scope is suspended; clock time (the clock, what
    # callers see: active_timers, idle deadlines, the host's wake-ups) does not.
    cdef inline double _to_clock(self, double active_ms) noexcept:
        return active_ms + self._suspended_total

    cdef inline double _to_active(self, double clock_ms) noexcept:
        return clock_ms - self._suspended_total

    def now(self):
        """The scope's clock, in ms."""
        return self._clock.now_ms()

    @property
    def clock(self):
        return self._clock

    def suspend(self):
        """Stop time counting for this scope's timers (the Document is not fully active)."""
        ScopeState._check_open(self)
        if not self._suspended:
            self._suspended_at = self._clock.now_ms()
            self._suspended = True

    def resume(self):
        """Count time again: every active timer's expiry moves by the suspended duration."""
        ScopeState._check_open(self)
        if self._suspended:
            self._suspended_total += self._clock.now_ms() - self._suspended_at
            self._suspended = False

    @property
    def suspended(self):
        return self._suspended

    # -- upcalls: the core's defaults for what the façade overrides (see the .pxd) --------

    def report_exception(self, exc):
        """HTML "report an exception". Core default: log the traceback to logger
        ``timercore``; the façade (timercore.events) fires an ``error`` event first."""
        _getLogger("timercore").error("Uncaught %s", type(exc).__name__, exc_info=exc)

    def _run_coroutine(self, coro):
        """A handler returned a coroutine. Core default: nothing can run it (a scope
        hosted on asyncio runs it as a task: timercore.promises)."""
        coro.close()
        raise TypeError("a timer callback returned a coroutine: it can only run on a "
                        "scope hosted on asyncio (Window(loop=...))")

    def _jump_clock(self, double t_ms):
        """Move a VirtualClock forward to t_ms (real clocks ignore it)."""
        self._clock.jump_to(t_ms)

    # -- the owner thread, closing ----------------------------------------------------

    cdef inline int _check_open(self) except -1:
        """Every call that changes the scope passes here: open, and from its own thread
        (a pthread_self() compare, ~1 ns; the data it guards is not locked)."""
        if self._closed:
            raise RuntimeError("this scope is closed")
        if PyThread_get_thread_ident() != self._owner:
            self._wrong_thread()
        return 0

    cdef inline int _check_thread(self) except -1:
        """For calls a closed scope still accepts (clearTimeout, refresh...)."""
        if PyThread_get_thread_ident() != self._owner:
            self._wrong_thread()
        return 0

    cdef int _wrong_thread(self) except -1:
        raise RuntimeError(
            "a scope belongs to the thread that created it; from other threads use "
            "schedule_threadsafe() (or loop.call_soon_threadsafe on a hosted scope)")

    @property
    def closed(self):
        return self._closed

    def close(self):
        """Mark the scope closed and drop the queued microtasks and tasks; the levels
        above and the composed parts clear their own state."""
        self._closed = True
        self._microtasks.clear()
        self._tasks.clear()

    # -- hosted on asyncio (timercore.aio) ----------------------------------------------

    cdef inline int _wake_before(self, double deadline) except -1:
        """A timer now expires at ``deadline`` (active time): wake the host if that is
        earlier than the wake-up it has scheduled."""
        if self._wake is not None and deadline < self._armed_ms:
            self._armed_ms = deadline
            self._wake()
        return 0

    def _set_host(self, wake):
        """Hosting (timercore.aio): ``wake()`` is called whenever a task or microtask is
        queued, or a timer is set earlier than the armed time (see _set_armed)."""
        self._wake = wake
        self._armed_ms = INFINITY

    def _set_armed(self, double clock_ms):
        """The host's one scheduled wake-up, on the scope's clock (inf: none)."""
        self._armed_ms = ScopeState._to_active(self, clock_ms)

    # -- §8.7 microtasks ----------------------------------------------------------------

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def queueMicrotask(self, callback):
        """HTML §8.7: run ``callback()`` after the current task, before the next one."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        check_async_hosted(self, callback, "queueMicrotask")
        ScopeState._check_open(self)
        self._microtasks.append(callback)
        if self._wake is not None:
            self._wake()

    queue_microtask = queueMicrotask

    cdef int _checkpoint(self) except -1:
        """Perform a microtask checkpoint (microtasks queued meanwhile run in it too)."""
        if self._in_checkpoint:
            return 0
        self._in_checkpoint = True
        self._current_nesting = 0
        try:
            while self._microtasks:
                call_handler(self, self._microtasks.popleft(), NO_ARGS)
        finally:
            self._in_checkpoint = False
        return 0

    def _perform_microtask_checkpoint(self):
        self._checkpoint()

    # -- tasks of other task sources --------------------------------------------------

    cdef int _queue_task(self, object callback, tuple args) except -1:
        """Queue a task (of a non-timer task source) on this scope's loop."""
        ScopeState._check_open(self)
        self._tasks.append((callback, args))
        if self._wake is not None:
            self._wake()
        return 0

    cdef Py_ssize_t _run_queued_tasks(self) except -1:
        """Run the tasks queued so far (not those they queue), each followed by a
        microtask checkpoint. Returns how many ran."""
        cdef Py_ssize_t n = len(self._tasks), i
        for i in range(n):
            if self._closed or self._suspended or not self._tasks:
                return i
            callback, args = self._tasks.popleft()
            call_reported(self, callback, args)
            if self._microtasks:
                self._checkpoint()
        return n
