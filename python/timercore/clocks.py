"""Clocks (milliseconds, float): MonotonicClock and VirtualClock, compiled in core/clock.pyx."""
from timercore._core import Clock, MonotonicClock, VirtualClock, as_clock

__all__ = ["Clock", "MonotonicClock", "VirtualClock", "as_clock"]
