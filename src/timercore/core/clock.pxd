cdef class Clock:
    cdef double now_ms(self) except? -1.0
    cdef void jump_to(self, double t_ms) noexcept


cdef class MonotonicClock(Clock):
    pass


cdef class VirtualClock(Clock):
    cdef double _t


cdef class ForeignClock(Clock):
    cdef object _now
