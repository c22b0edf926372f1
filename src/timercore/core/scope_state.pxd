# What every part of a scope shares: its clock and active time, suspension, the thread
# that owns it, closing, and the asyncio host's wake-up (core/scope_state.pyx).
# Hot helpers are called as ScopeState._now(self) from subclasses: a direct C call
# (self._now() from a subclass would go through the vtable).

# Upcalls, the core's only crossings into the façade: Python methods the core calls on
# itself, each with a core default, so a bare ScopeCore works; the façade overrides them:
#   report_exception(exc)  scope_state.pyx (logs)    -> timercore.events (error event)
#   _run_coroutine(coro)   scope_state.pyx (refuses) -> timercore.promises (asyncio task)
#   _merge_staged()        event_loop.pyx (nothing)  -> timercore.threads (staged batches)
#   _default_namespace()   timers.pyx ({})           -> timercore.scope, window (globals)
# and one callable set from outside: _wake (the asyncio host, _set_host).

cdef class ScopeState:
    cdef:
        Clock _clock
        bint _virtual            # the clock is a VirtualClock
        bint _closed
        bint _suspended
        double _suspended_at
        double _suspended_total  # clock time minus active time: see _to_clock/_to_active
        unsigned long _owner     # the thread that created the scope: the only one allowed
        object _wake             # hosted on asyncio: called when work appears earlier than
        double _armed_ms         # the one wake-up the host has scheduled (active time)

    cdef int _init_clock(self, object clock) except -1
    cdef inline double _now(self) except? -1.0
    cdef inline double _to_clock(self, double active_ms) noexcept
    cdef inline double _to_active(self, double clock_ms) noexcept
    cdef inline int _check_open(self) except -1
    cdef inline int _check_thread(self) except -1
    cdef int _wrong_thread(self) except -1
    cdef inline int _wake_before(self, double deadline) except -1
