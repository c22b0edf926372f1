"""The scope classes users construct: Window and WorkerGlobalScope."""
from __future__ import annotations

from typing import Any

from timercore.dialogs import default_provider
from timercore.events import _handler_attribute
from timercore.printing import Document, Printing
from timercore.scope import GlobalScope

_WINDOW_FUNCTIONS = ("alert", "confirm", "prompt", "print")


class WorkerGlobalScope(GlobalScope):
    """A worker's global scope: timers, microtasks, idle callbacks (an extension) and
    events; no dialogs or print."""


class Window(Printing):
    """A Window global with its own event loop: timers, microtasks, idle callbacks,
    events, simple dialogs (``dialogs``: a provider) and print (``printer``)."""

    onbeforeprint = _handler_attribute("onbeforeprint")
    onafterprint = _handler_attribute("onafterprint")

    def __init__(self, *, dialogs: Any = None, printer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dialogs = default_provider() if dialogs is None else dialogs
        self.printer = printer
        self.sandboxed_modals = False
        self.termination_nesting_level = 0
        self.document = Document(_on_loaded=self._printing_steps)

    def _global_names(self) -> tuple[str, ...]:
        return super()._global_names() + _WINDOW_FUNCTIONS

    def _default_namespace(self) -> dict[str, Any]:
        ns = super()._default_namespace()
        ns["window"] = self
        return ns
