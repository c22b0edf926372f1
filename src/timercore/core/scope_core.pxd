# ScopeCore, the core's third and last level (ScopeState -> Timers -> ScopeCore): the
# event loop of one global scope, and its composed parts (core/scope_core.pyx).

cdef class ScopeCore(Timers):
    cdef:
        IdleCallbacks _idle      # requestIdleCallback (core/idle.pyx), closed in close()
        bint _running
        readonly long long timer_tasks_run   # timer tasks run so far (run_all's loop limit)
        long long _task_limit    # run_all: stop (TaskLimitReached) when timer_tasks_run hits it

    cdef inline bint _has_tasks(self)
    cdef Py_ssize_t _run_due_timers(self, double jump_until) except -1
    cdef Py_ssize_t _run_batch(self) except -1
    cdef inline void _prefetch_tasks(self, size_t pos) noexcept
