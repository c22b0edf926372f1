"""timercore: the web platform's timer APIs for Python, on a C hierarchical timing wheel."""
from timercore._wheel import TimerWheel
from timercore.clocks import Clock, MonotonicClock, VirtualClock
from timercore.events import ErrorEvent, Event, EventTarget
from timercore.idle import IdleDeadline
from timercore.timers import CompileStringsError
from timercore.webidl import TimeoutOverflowWarning
from timercore.window import Window, WorkerGlobalScope

__all__ = [
    "Clock", "CompileStringsError", "ErrorEvent", "Event", "EventTarget", "IdleDeadline", "MonotonicClock",
    "TimeoutOverflowWarning", "TimerWheel", "VirtualClock", "Window", "WorkerGlobalScope",
]
__version__ = "0.1.0"
