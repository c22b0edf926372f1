"""Threads: a scope belongs to the thread that created it (the compiled core checks
every call: RuntimeError from any other thread), and worker threads hand it timers in
bulk through ``schedule_threadsafe``: the batch is staged under a lock and merged into
the wheel at the loop's next turn, with one wake-up for the whole batch. The staging is
a part the scope owns (``GlobalScope._staged``), closed with it."""
from __future__ import annotations

import concurrent.futures
import threading
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from timercore.scope import GlobalScope

Batch = list[tuple[Any, ...]]


class StagedBatches:
    """Batches of timers staged by other threads for one scope."""

    def __init__(self, scope: GlobalScope) -> None:
        self._scope = scope
        self._batches: list[tuple[Batch, concurrent.futures.Future[list[int]]]] = []
        self._lock = threading.Lock()
        self._event = threading.Event()       # wakes a run() sleeping on a real clock

    def stage(self, batch: Iterable[tuple[Any, ...]]) -> concurrent.futures.Future[list[int]]:
        """GlobalScope.schedule_threadsafe, from any thread."""
        items = list(batch)
        for n, item in enumerate(items):
            if not isinstance(item, tuple) or not item:
                raise TypeError(f"batch[{n}] must be a tuple (handler, timeout, *arguments), "
                                f"not {type(item).__name__}")
        future: concurrent.futures.Future[list[int]] = concurrent.futures.Future()
        with self._lock:
            first = not self._batches
            self._batches.append((items, future))
        if first:
            self._wake_owner()
        return future

    def _wake_owner(self) -> None:
        host = self._scope._host
        if host is not None:
            try:
                host.loop.call_soon_threadsafe(host._wake)
            except RuntimeError:        # the loop is closed: merged if it ever runs again
                pass
        self._event.set()

    def merge(self) -> int:
        """In the owner thread, at the top of a loop turn: set the staged timers, each
        batch all or none. Returns how many were set."""
        if not self._batches:           # unlocked peek: a batch staged now waits a turn
            return 0
        with self._lock:
            batches, self._batches = self._batches, []
        merged = 0
        scope = self._scope
        for items, future in batches:
            ids: list[int] = []
            try:
                for item in items:
                    ids.append(scope.setTimeout(*item))
            except BaseException as exc:
                for id in ids:
                    scope.clearTimeout(id)
                future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                future.set_result(ids)
                merged += len(ids)
        return merged

    def wait(self, seconds: float) -> None:
        """A real-clock wait of the owner thread that a staged batch cuts short."""
        if self._event.wait(seconds):
            self._event.clear()

    def close(self) -> None:
        """The scope closed: every batch still staged fails."""
        with self._lock:
            batches, self._batches = self._batches, []
        for _, future in batches:
            future.set_exception(RuntimeError("the scope was closed"))
