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
from typing import Any, Callable, NamedTuple

import numpy as np

from timercore._core import LatenessStats
from timercore.promises import Awaitables

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


class Introspection(Awaitables):
    """The scope's pending timers as data: the link after Awaitables."""

    debug: bool
    _sites: dict[Any, str]

    def _init_debug(self, debug: bool) -> None:
        if not isinstance(debug, bool):
            raise TypeError(f"debug must be a bool, not {type(debug).__name__}")
        self.debug = debug
        self._sites = {}
        if debug:
            for name in _RECORDED:
                recording = self._recording(getattr(self, name))
                setattr(self, name, recording)
                snake = {"setTimeout": "set_timeout", "setInterval": "set_interval"}.get(name)
                if snake:
                    setattr(self, snake, recording)

    def _recording(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            key = method(*args, **kwargs)
            self._sites[key] = creation_site()
            if len(self._sites) > 2 * self._active_len() + 1024:
                self._prune_sites()
            return key
        record.__doc__ = method.__doc__
        record.__name__ = getattr(method, "__name__", "record")
        return record

    def _prune_sites(self) -> None:
        active = set(self._active_keys())
        self._sites = {k: v for k, v in self._sites.items() if k in active}

    def timers_snapshot(self) -> TimersSnapshot:
        """Every timer pending in the wheel (not yet fired), in firing order, as numpy
        arrays read from C. With ``debug=True``, ``sites`` names where each was created."""
        ids, deadlines, ordering_ids = self._snapshot_arrays()
        sites = None
        if self.debug:
            self._prune_sites()
            by_id = self._sites
            sites = [by_id.get(int(i)) for i in ids]
        return TimersSnapshot(ids, deadlines, ordering_ids, self._ordering_names(), sites)

    def creation_sites(self) -> collections.Counter[str]:
        """Active timers counted by creation site (``debug=True`` scopes only): the first
        thing to look at when pending timers pile up."""
        if not self.debug:
            raise RuntimeError("creation sites are recorded only on scopes made with debug=True")
        self._prune_sites()
        return collections.Counter(self._sites.values())

    def lateness_stats(self, ordering_identifier: str | None = None
                       ) -> LatenessStats | dict[str, LatenessStats]:
        """How late timer tasks started, in ms after their expiry: ``LatenessStats(count,
        p50, p99, max, mean)`` for one ordering identifier, or a dict of every identifier
        that has run a task since the last ``reset_lateness_stats()``."""
        if ordering_identifier is not None:
            if not isinstance(ordering_identifier, str):
                raise TypeError("ordering_identifier must be a str, "
                                f"not {type(ordering_identifier).__name__}")
            return self._lateness_of(ordering_identifier)
        stats = {name: self._lateness_of(name) for name in self._ordering_names()}
        return {name: s for name, s in stats.items() if s.count}
