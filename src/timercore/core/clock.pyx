# Clocks: milliseconds as float. MonotonicClock reads CLOCK_MONOTONIC directly (no
# Python call on the hot path); VirtualClock is moved only by advance() and by the scopes
# that run on it, and never backwards.


# Past 2**53 ms (~285,000 years) adding a millisecond no longer changes a double: an
# interval would come due at the same instant forever. Times at the API stop there.
MAX_TIME_MS = 2.0 ** 53
cdef double MAX_TIME_MS_C = MAX_TIME_MS


cdef class Clock:
    """Base of timercore's clocks: ``now()`` in ms."""

    cdef double now_ms(self) except? -1.0:
        raise NotImplementedError

    cdef void jump_to(self, double t_ms) noexcept:
        pass        # real clocks cannot be moved: the loop sleeps instead

    def now(self):
        """The current time in milliseconds (float)."""
        return self.now_ms()

    @property
    def is_virtual(self):
        return False


cdef class MonotonicClock(Clock):
    """The system's monotonic clock (``time.monotonic_ns``'s source), in ms."""

    cdef double now_ms(self) except? -1.0:
        cdef timespec ts
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6

    def __repr__(self):
        return "MonotonicClock()"


cdef class VirtualClock(Clock):
    """Deterministic time for tests: starts at ``start_ms`` and moves only forward, by
    ``advance(ms)`` (time passing inside a busy task) or by a scope's loop jumping to its
    next timer. Several scopes may share one."""

    def __init__(self, start_ms=0.0):
        self._t = as_ms(start_ms, "start_ms")

    cdef double now_ms(self) except? -1.0:
        return self._t

    cdef void jump_to(self, double t_ms) noexcept:
        if t_ms > self._t:
            self._t = t_ms

    def advance(self, ms):
        """Move time forward by ``ms`` (>= 0). It runs nothing: the scopes' loops do."""
        cdef double d = as_ms(ms, "ms", NON_NEGATIVE)
        if self._t + d > MAX_TIME_MS:
            raise ValueError(f"ms={ms!r} would take the clock past 2**53 ms, where a "
                             "millisecond no longer changes a float and timers stop advancing")
        self._t += d

    @property
    def is_virtual(self):
        return True

    def __repr__(self):
        return f"VirtualClock(now={self._t!r})"


cdef class ForeignClock(Clock):
    """Adapts any object with a ``now()`` method returning ms."""

    def __init__(self, clock):
        if not callable(getattr(clock, "now", None)):
            raise TypeError(f"clock must have a now() method, not {type(clock).__name__}")
        self._now = clock.now

    cdef double now_ms(self) except? -1.0:
        return float(self._now())


def as_clock(clock):
    """A Clock for ``clock``: None -> MonotonicClock(), Clock as is, else ForeignClock."""
    if clock is None:
        return MonotonicClock()
    if isinstance(clock, Clock):
        return clock
    return ForeignClock(clock)
