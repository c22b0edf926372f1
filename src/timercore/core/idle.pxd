# W3C requestIdleCallback, whole: the lists of idle request and runnable callbacks, idle
# periods, timeouts, IdleDeadline (core/idle.pyx).

cdef class IdleCallbacks(NodeTimers):
    cdef:
        object _idle_pending     # OrderedDict handle -> callback: idle request callbacks
        object _idle_runnable    # OrderedDict handle -> callback: runnable idle callbacks
        dict _idle_timeouts      # handle -> run-steps key of its timeout
        long long _idle_identifier
        double _idle_cap         # the last idle period's start + 50 ms (-inf: none yet)

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
