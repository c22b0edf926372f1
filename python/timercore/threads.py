"""Threads: a scope belongs to the thread that created it (the compiled core checks
every call: RuntimeError from any other thread), and worker threads hand it timers in
bulk through ``schedule_threadsafe``: the batch is staged under a lock and merged into
the wheel at the loop's next turn, with one wake-up for the whole batch."""
from __future__ import annotations

import concurrent.futures
import threading
from typing import Any, Iterable
from timercore.scope_base import ScopeBase


class ThreadSafeScheduling(ScopeBase):
    """schedule_threadsafe: the link of the scope chain after ScopeBase."""

    _staged: list[tuple[list[tuple[Any, ...]], concurrent.futures.Future[list[int]]]]

    def _init_threads(self) -> None:
        self._staged = []
        self._staged_lock = threading.Lock()
        self._staged_event = threading.Event()    # wakes a run() sleeping on a real clock

    def schedule_threadsafe(self, batch: Iterable[tuple[Any, ...]]
                            ) -> concurrent.futures.Future[list[int]]:
        """From any thread: set a timer for each ``(handler, timeout, *arguments)`` of
        ``batch``, at the scope's next loop turn, all or none. Returns a
        ``concurrent.futures.Future`` of their ids, in order (its exception is the
        conversion error of a bad item, and then no timer of the batch is set)."""
        items = list(batch)
        for n, item in enumerate(items):
            if not isinstance(item, tuple) or not item:
                raise TypeError(f"batch[{n}] must be a tuple (handler, timeout, *arguments), "
                                f"not {type(item).__name__}")
        future: concurrent.futures.Future[list[int]] = concurrent.futures.Future()
        with self._staged_lock:
            first = not self._staged
            self._staged.append((items, future))
        if first:
            self._wake_owner()
        return future

    def _wake_owner(self) -> None:
        host = self._host
        if host is not None:
            try:
                host.loop.call_soon_threadsafe(host._wake)
            except RuntimeError:        # the loop is closed: merged if it ever runs again
                pass
        self._staged_event.set()

    def _merge_staged(self) -> int:
        """In the owner thread, at the top of a loop turn: set the staged timers."""
        if not self._staged:           # unlocked peek: a batch staged now waits a turn
            return 0
        with self._staged_lock:
            staged, self._staged = self._staged, []
        merged = 0
        for items, future in staged:
            ids: list[int] = []
            try:
                for item in items:
                    ids.append(self.setTimeout(*item))
            except BaseException as exc:
                for id in ids:
                    self.clearTimeout(id)
                future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                future.set_result(ids)
                merged += len(ids)
        return merged

    def _fail_staged(self) -> None:
        with self._staged_lock:
            staged, self._staged = self._staged, []
        for _, future in staged:
            future.set_exception(RuntimeError("the scope was closed"))

    def _sleep_until_woken(self, seconds: float) -> None:
        """A real-clock wait that a staged batch cuts short."""
        if self._staged_event.wait(seconds):
            self._staged_event.clear()
