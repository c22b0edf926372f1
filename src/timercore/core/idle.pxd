# W3C requestIdleCallback, whole: the lists of idle request and runnable callbacks, idle
# periods, timeouts, IdleDeadline (core/idle.pyx). A part of ScopeCore with its own state:
# a typed, final field (ScopeCore._idle), closed by name in ScopeCore.close.

cdef class ScopeCore


@cython.final
cdef class IdleCallbacks:
    cdef:
        ScopeCore _scope         # the scope whose loop starts the idle periods
        # Both lists of the spec in one queue, in posting order: entries [head, split) are
        # the runnable idle callbacks, [split, len) the idle request callbacks; a removed
        # entry is a None callback. Handles increase, so a handle is found by bisection.
        list _callbacks
        int64_t *_handles
        size_t _handles_cap
        Py_ssize_t _head
        Py_ssize_t _split
        Py_ssize_t _live         # entries in [head, len) not removed
        dict _timeouts           # handle -> run-steps key of its timeout
        long long _identifier
        double _cap              # the last idle period's start + 50 ms (-inf: none yet)

    cdef int64_t _request(self, object callback, object options, object timeout) except -1
    cdef int _cancel(self, object handle) except -1
    cdef int _close(self) except -1
    cdef Py_ssize_t _find(self, long long handle)
    cdef object _take(self, Py_ssize_t i)
    cdef inline bint _has_work(self) noexcept
    cdef inline double _deadline(self, double cap) except? -1.0
    cdef double _blocked_until(self) except? -1.0
    cdef bint _start_period(self) except -1


@cython.final
cdef class IdleDeadline:
    cdef IdleCallbacks _idle
    cdef double _cap          # the period's start + 50 ms, or the fixed deadline
    cdef bint _fixed          # a timeout's deadline: now at its invocation
    cdef bint _did_timeout
