"""The scope classes users construct: Window and WorkerGlobalScope."""
from __future__ import annotations

from timercore.scope import GlobalScope


class WorkerGlobalScope(GlobalScope):
    """A worker's global scope: timers, microtasks, events; no dialogs or print."""


class Window(GlobalScope):
    """A Window global with its own event loop: timers, microtasks and events."""

    def _default_namespace(self) -> dict:
        ns = super()._default_namespace()
        ns["window"] = self
        return ns
