"""The HTML "map of active timers" as a read-only mapping (key -> expiry time in ms).

The timer initialization steps and "run steps after a timeout" themselves are compiled
(src/timercore/core/timers.pyx): they are the hot path.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from timercore._core import TIMER_ORDERING, CompileStringsError, ScopeCore

__all__ = ["ActiveTimers", "CompileStringsError", "TIMER_ORDERING"]


class ActiveTimers(Mapping[object, float]):
    """A live, read-only view of a scope's map of active timers: int ids of setTimeout /
    setInterval and the non-numeric keys of run_steps_after_timeout, each mapped to its
    expiry time on the scope's clock (shifted by any time spent suspended)."""

    __slots__ = ("_scope",)

    def __init__(self, scope: ScopeCore) -> None:
        self._scope = scope

    def __getitem__(self, key: object) -> float:
        return self._scope._active_get(key)

    def __iter__(self) -> Iterator[object]:
        return iter(self._scope._active_keys())

    def __len__(self) -> int:
        return self._scope._active_len()

    def __contains__(self, key: object) -> bool:
        try:
            self._scope._active_get(key)
        except (KeyError, TypeError):
            return False
        return True

    def __repr__(self) -> str:
        return f"ActiveTimers({dict(self)!r})"
