# HTML §8.7 microtasks, the task queue of the other task sources, and the one place that
# runs a callback as a task does: call it, report its exception (core/microtasks.pyx).

cdef class Microtasks(ScopeState):
    cdef:
        object _microtasks       # deque of callables
        object _tasks            # deque of (callable, args): tasks of other task sources
        bint _in_checkpoint
        int _current_nesting     # timer nesting level of the running task (§8.6 step 3)

    cdef int _checkpoint(self) except -1
    cdef int _queue_task(self, object callback, tuple args) except -1
    cdef Py_ssize_t _run_queued_tasks(self) except -1
