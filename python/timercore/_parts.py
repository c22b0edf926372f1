"""ScopePart: the base of the parts that GlobalScope and Window are made of (idle.py,
introspection.py, promises.py, threads.py, dialogs.py, printing.py) as the type checker
sees it: a part may use the compiled core (ScopeCore, typed in _core.pyi), the event
target and the attributes declared here. At run time ScopePart is ``object``: the parts
are plain classes, and GlobalScope / Window put them together."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from timercore._core import ScopeCore
    from timercore.aio import AsyncioHost
    from timercore.events import EventTarget
    from timercore.timers import ActiveTimers

    class ScopePart(ScopeCore, EventTarget):
        _host: AsyncioHost | None
        @property
        def active_timers(self) -> ActiveTimers: ...
        # Window's (set in window.py, used by dialogs.py and printing.py)
        dialogs: Any
        printer: Any
        sandboxed_modals: bool
        termination_nesting_level: int
        document: Any
else:
    ScopePart = object
