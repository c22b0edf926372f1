# ScopeState, the first of the core's three levels (ScopeState -> Timers -> ScopeCore):
# what every part of a scope shares, the agent's state: its clock and active time,
# suspension, the thread that owns it, closing, the asyncio host's wake-up, and the queues
# every part feeds: §8.7 microtasks and the tasks of non-timer task sources
# (core/scope_state.pyx). Hot helpers are called as ScopeState._now(self): a direct C
# call (self._now() from a subclass or a part would go through the vtable).

# Crossings into the façade, each declared here once with its core default, so a bare
# ScopeCore works (tests/test_introspection.py); timercore.scope.GlobalScope overrides
# the four upcalls, and the asyncio host sets the one callable:
#   report_exception(exc)  here (logs)               -> GlobalScope: an ErrorEvent (events.py)
#   _run_coroutine(coro)   here (refuses: TypeError) -> GlobalScope: an asyncio task
#   _merge_staged()        scope_core.pyx (nothing)  -> GlobalScope: threads' staged batches
#   _default_namespace()   timers.pyx ({})           -> GlobalScope, Window: the globals
#   _wake                  _set_host(wake) (None)    <- timercore.aio.AsyncioHost

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
        object _microtasks       # deque of callables
        object _tasks            # deque of (callable, args): tasks of other task sources
        bint _in_checkpoint
        int _current_nesting     # timer nesting level of the running task (§8.6 step 3)

    cdef int _init_clock(self, object clock) except -1
    cdef inline double _now(self) except? -1.0
    cdef inline double _to_clock(self, double active_ms) noexcept
    cdef inline double _to_active(self, double clock_ms) noexcept
    cdef inline int _check_open(self) except -1
    cdef inline int _check_thread(self) except -1
    cdef int _wrong_thread(self) except -1
    cdef inline int _wake_before(self, double deadline) except -1
    cdef int _checkpoint(self) except -1
    cdef int _queue_task(self, object callback, tuple args) except -1
    cdef Py_ssize_t _run_queued_tasks(self) except -1
