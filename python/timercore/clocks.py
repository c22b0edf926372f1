"""Clocks (milliseconds, float): MonotonicClock and VirtualClock, compiled in _clock.pyx."""
from timercore._clock import Clock, MonotonicClock, VirtualClock, as_clock

__all__ = ["Clock", "MonotonicClock", "VirtualClock", "as_clock"]
