"""timercore: the web platform's timer APIs for Python, on a C hierarchical timing wheel."""
from timercore._core import IdleDeadline, LatenessStats, TimerWheel, WheelSnapshot
from timercore.clocks import Clock, MonotonicClock, VirtualClock
from timercore.dialogs import (ConsoleDialogs, DialogProvider, HeadlessDialogs,
                               ScriptedDialogs)
from timercore.events import ErrorEvent, Event, EventTarget
from timercore.introspection import TimersSnapshot
from timercore.scope import LoopLimitError
from timercore.printing import Document, RecordingPrinter, SystemPrinter, TextPrinter
from timercore.timers import CompileStringsError
from timercore.webidl import TimeoutOverflowWarning
from timercore.window import Window, WorkerGlobalScope

__all__ = [
    "Clock", "CompileStringsError", "ConsoleDialogs", "DialogProvider", "Document",
    "ErrorEvent", "Event", "EventTarget", "HeadlessDialogs", "IdleDeadline", "LatenessStats",
    "LoopLimitError", "MonotonicClock", "RecordingPrinter", "ScriptedDialogs", "SystemPrinter",
    "TextPrinter", "TimeoutOverflowWarning", "TimerWheel", "get_include", "TimersSnapshot",
    "WheelSnapshot", "VirtualClock", "Window", "WorkerGlobalScope",
]
__version__ = "0.2.0"


def get_include() -> str:
    """The directory of timercore's C headers, for an extension that cimports the wheel
    (``from timercore._core cimport TimerWheel``): pass it as an include directory, as
    with ``numpy.get_include()``. The .pxd files are installed in the package itself."""
    import os

    from timercore import _core
    return os.path.join(os.path.dirname(_core.__file__), "include")
