# HTML §8.7 microtasks and the queue of tasks of other task sources (the idle-task
# source, ...): Microtasks, declared in core/microtasks.pxd.


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


cdef class Microtasks(ScopeState):
    """The microtask queue and checkpoint, and the tasks of non-timer task sources."""

    def __cinit__(self, *args, **kwargs):
        self._microtasks = deque()
        self._tasks = deque()

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

    def close(self):
        ScopeState.close(self)
        self._microtasks.clear()
        self._tasks.clear()
