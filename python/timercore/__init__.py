"""timercore: the web platform's timer APIs for Python, on a C hierarchical timing wheel."""
from timercore._wheel import LatenessStats, TimerWheel, WheelSnapshot
from timercore.clocks import Clock, MonotonicClock, VirtualClock
from timercore.dialogs import (ConsoleDialogs, DialogProvider, HeadlessDialogs,
                               ScriptedDialogs)
from timercore.events import ErrorEvent, Event, EventTarget
from timercore.idle import IdleDeadline
from timercore.introspection import TimersSnapshot
from timercore.scope import LoopLimitError
from timercore.printing import Document, RecordingPrinter, SystemPrinter, TextPrinter
from timercore.timers import CompileStringsError
from timercore.webidl import TimeoutOverflowWarning
from timercore.window import Window, WorkerGlobalScope

__all__ = [
    "Clock", "CompileStringsError", "ConsoleDialogs", "DialogProvider", "Document",
    "ErrorEvent", "Event", "EventTarget", "HeadlessDialogs", "IdleDeadline", "LatenessStats", "LoopLimitError", "MonotonicClock",
    "RecordingPrinter", "ScriptedDialogs", "SystemPrinter", "TextPrinter",
    "TimeoutOverflowWarning", "TimerWheel", "TimersSnapshot", "WheelSnapshot", "VirtualClock", "Window", "WorkerGlobalScope",
]
__version__ = "0.2.0"
