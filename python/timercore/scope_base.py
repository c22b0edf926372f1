"""ScopeBase: the first link of the façade's chain of scope classes, the compiled core
(timercore._core.ScopeCore and its own chain) with the DOM event target:

    ScopeBase -> ThreadSafeScheduling (threads.py) -> Awaitables (promises.py)
      -> Introspection (introspection.py) -> GlobalScope (scope.py) -> WorkerGlobalScope
                                                 -> SimpleDialogs (dialogs.py)
                                                   -> Printing (printing.py) -> Window

Each link uses only what the links before it provide."""
from __future__ import annotations

from typing import TYPE_CHECKING

from timercore._core import ScopeCore
from timercore.events import EventTarget

if TYPE_CHECKING:
    from timercore.aio import AsyncioHost


class ScopeBase(ScopeCore, EventTarget):
    """The compiled scope, an event target (its report_exception fires ErrorEvents)."""

    _host: AsyncioHost | None       # set by GlobalScope: the asyncio host, if hosted

    # The core's upcall, overridden here (ScopeCore comes first in the MRO, so its
    # logging default would otherwise win): report through an ErrorEvent.
    report_exception = EventTarget.report_exception
