"""Reference models for tests and benchmarks: simple, obviously right, slow.

HeapWheel has TimerWheel's semantics on a binary heap with lazy deletion; tests drive
both with the same operations and require identical answers, order included.
"""
from __future__ import annotations

import heapq
import itertools
import math


class HeapWheel:
    """TimerWheel's contract on ``heapq``: (deadline, insertion sequence) order."""

    def __init__(self, resolution_ms: float = 1.0, start_ms: float = 0.0) -> None:
        self.now = float(start_ms)
        self._heap: list[tuple[float, int, int]] = []
        self._pending: dict[int, tuple[float, int, int]] = {}  # key -> (deadline, seq, ordering)
        self._seq = itertools.count()
        self._keys = itertools.count(1)

    def _push(self, key: int, deadline_ms: float, ordering_id: int) -> None:
        if not math.isfinite(deadline_ms):
            raise ValueError("deadline_ms must be finite")
        row = (float(deadline_ms), next(self._seq), key)
        heapq.heappush(self._heap, row)
        self._pending[key] = (row[0], row[1], ordering_id)

    def insert(self, deadline_ms: float, ordering_id: int = 0) -> int:
        key = next(self._keys)
        self._push(key, deadline_ms, ordering_id)
        return key

    def cancel(self, key: int) -> bool:
        return self._pending.pop(key, None) is not None

    def reschedule(self, key: int, deadline_ms: float) -> bool:
        if key not in self._pending:
            return False
        self._push(key, deadline_ms, self._pending[key][2])
        return True

    def _live_top(self) -> tuple[float, int, int] | None:
        """The heap's first row that is still a key's current (deadline, seq)."""
        while self._heap:
            deadline, seq, key = self._heap[0]
            if self._pending.get(key, (None, None))[:2] == (deadline, seq):
                return self._heap[0]
            heapq.heappop(self._heap)
        return None

    def advance(self, now_ms: float) -> list[int]:
        if now_ms < self.now:
            raise ValueError("now_ms is before now")
        self.now = float(now_ms)
        fired = []
        while (top := self._live_top()) is not None and top[0] <= now_ms:
            heapq.heappop(self._heap)
            del self._pending[top[2]]
            fired.append(top[2])
        return fired

    def next_expiry(self) -> float | None:
        top = self._live_top()
        return None if top is None else top[0]

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, key: int) -> bool:
        return key in self._pending

    def deadline(self, key: int) -> float:
        return self._pending[key][0]

    def count(self, ordering_id: int = 0) -> int:
        return sum(1 for *_, o in self._pending.values() if o == ordering_id)
