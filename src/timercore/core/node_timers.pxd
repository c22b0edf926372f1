# Node-style timer extensions: refresh, unref, ref (core/node_timers.pyx).

cdef class NodeTimers(Timers):
    cdef int32_t _live_slot(self, object id) except -2
    cdef inline bint _only_unrefd(self)
    cdef inline bint _has_ref_timers(self)
