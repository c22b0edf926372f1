# TimerWheel: the Python face of the C wheel. Its c_* methods are also timercore's public
# C API: another extension does `from timercore._core cimport TimerWheel` and calls them
# with no Python call per timer, on the process's one copy of the C core (see
# docs/architecture.md, "C API"; tests/test_c_api.py builds such an extension).
cdef class TimerWheel:
    cdef:
        tw_wheel _w          # the C wheel, embedded: one allocation fewer, no pointer chase
        tw_out _out          # advance's output buffer, reused between calls

    # Add a timer due at deadline_ms (finite); its handle (> 0). OverflowError at
    # max_timers, MemoryError.
    cdef int64_t c_insert(self, double deadline_ms, int ordering_id) except -1
    # Cancel a pending timer: True if it was pending (stale handles: False).
    cdef bint c_cancel(self, int64_t handle) noexcept
    # Move a pending timer to a new deadline: 1 if moved, 0 if not pending.
    cdef int c_reschedule(self, int64_t handle, double deadline_ms) except -1
    # The earliest pending deadline into *deadline_ms: False when the wheel is empty.
    cdef bint c_next_expiry(self, double *deadline_ms) noexcept
    # Fire every timer due by now_ms (>= the wheel's now); their count. The handles, in
    # (deadline, insertion) order, are c_fired()[0:count] until the next c_advance.
    # release=False keeps the fired slots reserved until tw_release (the scope's way).
    cdef int64_t c_advance(self, double now_ms, bint release=*) except -1
    cdef const int64_t *c_fired(self) noexcept

    cdef tuple _snapshot(self)


cdef object lateness_stats(const tc_lat *h)
