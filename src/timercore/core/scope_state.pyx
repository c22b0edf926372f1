# ScopeState: the state every part of a scope shares (declared in core/scope_state.pxd).


cdef class ScopeState:
    """A scope's clock, active time, suspension, owner thread, closing and host."""

    def __cinit__(self, *args, **kwargs):
        self._armed_ms = INFINITY
        self._owner = PyThread_get_thread_ident()

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
        """Mark the scope closed; the parts above clear their own state."""
        self._closed = True

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
