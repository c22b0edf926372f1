"""The workloads every benchmark and stress script of timercore shares: deadlines as users
have them (random over a minute, as idle timeouts are), the idle-timeout mix (insert N,
re-arm half, cancel 40 %, fire the rest), and the refresh orders.

Used by ``timercore bench``, ``bench/soak.py`` and ``bench/memcheck_stress.py``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")

SPAN_MS = 60_000.0          # deadlines spread over a minute, as idle timeouts are
REFRESH_MS = 1_000.0        # the refresh scenarios re-arm timers 1 s later
HOT_FRACTION = 0.01         # "refresh (1 % active)": the connections that talk


def deadlines_ms(n: int, seed: int = 0, span_ms: float = SPAN_MS) -> list[float]:
    """n float deadlines (ms), uniform over (1, span_ms]: what real code passes."""
    values: list[float] = np.random.default_rng(seed).uniform(1.0, span_ms, n).tolist()
    return values


@dataclass
class IdleMix:
    """Insert N, re-arm half (1 s later), cancel 40 %, fire the rest (disjoint roles)."""
    deadlines: np.ndarray       # ms
    rearm: np.ndarray           # indices
    cancel: np.ndarray          # indices

    @property
    def fired(self) -> int:
        return len(self.deadlines) - len(self.cancel)


def idle_mix(n: int, seed: int = 3) -> IdleMix:
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    cancel = order[: int(n * 0.4)]
    rearm = order[int(n * 0.4): int(n * 0.4) + n // 2]
    return IdleMix(rng.uniform(1.0, SPAN_MS, n), rearm, cancel)


def refresh_order(n: int, hot: bool) -> list[int]:
    """Which timer each of n re-arms hits: each once in random order, or n re-arms spread
    over a random 1 % (the busy connections among a million mostly idle ones)."""
    rng = random.Random(1)
    if not hot:
        order = list(range(n))
        rng.shuffle(order)
        return order
    active = rng.sample(range(n), max(1, int(n * HOT_FRACTION)))
    return [active[rng.randrange(len(active))] for _ in range(n)]


def shuffled(items: list[T], seed: int = 1) -> list[T]:
    """A copy in random order: cancels come in the order connections go quiet."""
    out = list(items)
    random.Random(seed).shuffle(out)
    return out
