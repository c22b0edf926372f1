"""The scope classes users construct: Window and WorkerGlobalScope, the top of the
house (Window -> GlobalScope -> the compiled ScopeCore: see timercore.scope)."""
from __future__ import annotations

import functools
from typing import Any

from timercore import dialogs as _dialogs, printing as _printing
from timercore.events import _handler_attribute
from timercore.printing import Document
from timercore.scope import GlobalScope

_WINDOW_FUNCTIONS = ("alert", "confirm", "prompt", "print")


class WorkerGlobalScope(GlobalScope):
    """A worker's global scope: timers, microtasks, idle callbacks (an extension) and
    events; no dialogs or print."""


class Window(GlobalScope):
    """A Window global with its own event loop: timers, microtasks, idle callbacks,
    events, simple dialogs (``dialogs``: a provider) and print (``printer``)."""

    onbeforeprint = _handler_attribute("onbeforeprint")
    onafterprint = _handler_attribute("onafterprint")

    # HTML §8.8: the steps live in dialogs.py and printing.py, one function each.
    alert = _dialogs.alert
    confirm = _dialogs.confirm
    prompt = _dialogs.prompt
    alert_async = _dialogs.alert_async
    confirm_async = _dialogs.confirm_async
    prompt_async = _dialogs.prompt_async
    print = _printing.window_print

    def __init__(self, *, dialogs: Any = None, printer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dialogs = _dialogs.default_provider() if dialogs is None else dialogs
        self.printer = printer
        self.sandboxed_modals = False
        self.termination_nesting_level = 0
        self.document = Document(_on_loaded=functools.partial(_printing.printing_steps, self))

    def _global_names(self) -> tuple[str, ...]:
        return super()._global_names() + _WINDOW_FUNCTIONS

    def _default_namespace(self) -> dict[str, Any]:
        ns = super()._default_namespace()
        ns["window"] = self
        return ns
