# W3C requestIdleCallback, whole: the lists of idle request and runnable callbacks, idle
# periods, timeouts, IdleDeadline (core/idle.pyx).

cdef class IdleCallbacks(NodeTimers):
    cdef:
        # Both lists of the spec in one queue, in posting order: entries [head, split) are
        # the runnable idle callbacks, [split, len) the idle request callbacks; a removed
        # entry is a None callback. Handles increase, so a handle is found by bisection.
        list _idle_callbacks
        int64_t *_idle_handles
        size_t _idle_handles_cap
        Py_ssize_t _idle_head
        Py_ssize_t _idle_split
        Py_ssize_t _idle_live    # entries in [head, len) not removed
        dict _idle_timeouts      # handle -> run-steps key of its timeout
        long long _idle_identifier
        double _idle_cap         # the last idle period's start + 50 ms (-inf: none yet)

    cdef Py_ssize_t _idle_find(self, long long handle)
    cdef object _idle_take(self, Py_ssize_t i)
    cdef inline bint _has_idle_work(self)
    cdef inline double _idle_deadline(self, double cap) except? -1.0
    cdef double _idle_blocked_until(self) except? -1.0
    cdef bint _start_idle_period(self) except -1


@cython.final
cdef class IdleDeadline:
    cdef IdleCallbacks _scope
    cdef double _cap          # the period's start + 50 ms, or the fixed deadline
    cdef bint _fixed          # a timeout's deadline: now at its invocation
    cdef bint _did_timeout
