"""HR-Time's ``performance`` object of a scope: ``performance.now()`` is the milliseconds
since the scope's time origin on the scope's own clock (a VirtualClock's time included),
and ``performance.timeOrigin`` that origin as a Unix time in milliseconds."""
from __future__ import annotations

import time

from timercore._core import ScopeCore


class Performance:
    """``performance`` of a Window or WorkerGlobalScope (``now()``, ``timeOrigin``)."""

    __slots__ = ("_scope", "_origin", "timeOrigin")

    def __init__(self, scope: ScopeCore) -> None:
        self._scope = scope
        self._origin = scope.now()
        self.timeOrigin = time.time() * 1000.0

    def now(self) -> float:
        """Milliseconds since the scope's time origin, on the scope's clock."""
        return self._scope.now() - self._origin

    @property
    def time_origin(self) -> float:
        return self.timeOrigin

    def __repr__(self) -> str:
        return f"<Performance now={self.now():.3f} timeOrigin={self.timeOrigin:.3f}>"
