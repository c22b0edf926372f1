"""Introspection for operating a scope with a million timers: snapshots, counts,
lateness statistics, and (with ``debug=True``) where each pending timer was created.

Snapshots and counts come from C (numpy arrays, no Python object per timer); lateness
is a histogram per ordering identifier kept by the core as each timer task starts.
Creation sites are the one debug-only cost: a dict entry per timer.
"""
from __future__ import annotations

import collections
import os
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

import numpy as np

from timercore._core import LatenessStats

if TYPE_CHECKING:
    from timercore.scope import GlobalScope

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_RECORDED = ("setTimeout", "setInterval", "run_steps_after_timeout")


class TimersSnapshot(NamedTuple):
    """The timers pending in a scope, in firing order."""

    ids: np.ndarray            # int64 timer ids; 0 for run-steps entries (non-numeric keys)
    deadlines: np.ndarray      # float64 expiry times, ms on the scope's clock
    ordering_ids: np.ndarray   # uint16 index into ``orderings``
    orderings: tuple[str, ...]  # ordering identifiers ("setTimeout/setInterval", ...)
    sites: list[str | None] | None  # creation sites (debug=True), else None


def creation_site() -> str:
    """The innermost caller outside timercore, as "file:line in function"."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


class CreationSites:
    """Where each active timer was created (``debug=True``): a part the scope owns
    (``GlobalScope._sites``). It records by wrapping the scope's timer-creating methods
    on the instance, so scopes without debug pay nothing."""

    def __init__(self, scope: GlobalScope, debug: bool) -> None:
        if not isinstance(debug, bool):
            raise TypeError(f"debug must be a bool, not {type(debug).__name__}")
        self._scope = scope
        self.enabled = debug
        self._sites: dict[Any, str] = {}
        if debug:
            for name in _RECORDED:
                recording = self._recording(getattr(scope, name))
                setattr(scope, name, recording)
                snake = {"setTimeout": "set_timeout", "setInterval": "set_interval"}.get(name)
                if snake:
                    setattr(scope, snake, recording)

    def _recording(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            key = method(*args, **kwargs)
            self._sites[key] = creation_site()
            if len(self._sites) > 2 * self._scope._active_len() + 1024:
                self._prune()
            return key
        record.__doc__ = method.__doc__
        record.__name__ = getattr(method, "__name__", "record")
        return record

    def _prune(self) -> None:
        active = set(self._scope._active_keys())
        self._sites = {k: v for k, v in self._sites.items() if k in active}

    def of(self, ids: np.ndarray) -> list[str | None]:
        """The creation site of each id (None: not recorded)."""
        self._prune()
        return [self._sites.get(int(i)) for i in ids]

    def counted(self) -> collections.Counter[str]:
        """GlobalScope.creation_sites."""
        if not self.enabled:
            raise RuntimeError("creation sites are recorded only on scopes made with debug=True")
        self._prune()
        return collections.Counter(self._sites.values())


def timers_snapshot(scope: GlobalScope) -> TimersSnapshot:
    """GlobalScope.timers_snapshot."""
    ids, deadlines, ordering_ids = scope._snapshot_arrays()
    sites = scope._sites.of(ids) if scope._sites.enabled else None
    return TimersSnapshot(ids, deadlines, ordering_ids, scope._ordering_names(), sites)


def lateness_stats(scope: GlobalScope, ordering_identifier: str | None = None
                   ) -> LatenessStats | dict[str, LatenessStats]:
    """GlobalScope.lateness_stats."""
    if ordering_identifier is not None:
        if not isinstance(ordering_identifier, str):
            raise TypeError("ordering_identifier must be a str, "
                            f"not {type(ordering_identifier).__name__}")
        return scope._lateness_of(ordering_identifier)
    stats = {name: scope._lateness_of(name) for name in scope._ordering_names()}
    return {name: s for name, s in stats.items() if s.count}
