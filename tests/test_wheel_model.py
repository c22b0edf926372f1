"""The C wheel against the heap model (timercore.testing.HeapWheel), operation by
operation: fired handles and their order, len, next_expiry, deadlines and counts must
agree exactly, and the wheel's own invariant walk (_check) must pass after every step.

Run the long profile before resolving wheel changes:
    HYPOTHESIS_PROFILE=long pytest tests/test_wheel_model.py
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import (Bundle, RuleBasedStateMachine, consumes, initialize,
                                 invariant, precondition, rule)

from timercore import TimerWheel
from timercore.testing import HeapWheel

LEVEL_SPANS = [64.0 ** k for k in range(1, 7)]          # in ticks
# Offsets from now: the same few values (ties), level boundaries, huge, past.
offsets = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0, 63.0, 64.0, 65.0, 4095.0, 4096.0, 4097.0]),
    st.floats(-100.0, 100.0, allow_nan=False),
    st.floats(0.0, 5000.0, allow_nan=False),
    st.sampled_from(LEVEL_SPANS).flatmap(lambda s: st.floats(s * 0.5, s * 1.5)),
    st.floats(6.9e10, 2e12),                             # beyond level 5: the overflow list
)
steps = st.one_of(
    st.just(0.0),
    st.floats(0.0, 70.0, allow_nan=False),
    st.sampled_from([1.0, 63.0, 64.0, 4096.0, 262144.0]),
    st.sampled_from(LEVEL_SPANS).flatmap(lambda s: st.floats(0.0, s * 1.2)),
    st.floats(0.0, 3e12),
)


class WheelVersusHeap(RuleBasedStateMachine):
    handles = Bundle("handles")      # (wheel handle, model key)
    gone = Bundle("gone")            # handles that were cancelled

    @initialize(resolution=st.sampled_from([1.0, 0.25, 10.0, 3.0]),
                start=st.sampled_from([0.0, 1000.0, -50.0, 1e9]))
    def setup(self, resolution, start):
        self.wheel = TimerWheel(resolution, start)
        self.model = HeapWheel(resolution, start)
        self.by_key = {}
        self.fired = []

    def _record(self, h, k):
        self.by_key[k] = h
        return (h, k)

    @rule(target=handles, offset=offsets, ordering=st.integers(0, 3))
    def insert(self, offset, ordering):
        deadline = self.model.now + offset
        return self._record(self.wheel.insert(deadline, ordering),
                            self.model.insert(deadline, ordering))

    @rule(target=handles, offset=offsets)
    def insert_at_pending_deadline(self, offset):
        # Exact ties with a pending timer: FIFO decides.
        deadline = self.model.next_expiry()
        if deadline is None:
            deadline = self.model.now + offset
        return self._record(self.wheel.insert(deadline), self.model.insert(deadline))

    @rule(pair=consumes(handles), target=gone)
    def cancel(self, pair):
        h, k = pair
        assert self.wheel.cancel(h) == self.model.cancel(k)
        return pair

    @rule(pair=gone)
    def cancel_stale(self, pair):
        h, k = pair
        assert self.wheel.cancel(h) is False
        assert self.model.cancel(k) is False
        assert h not in self.wheel

    @rule(pair=handles, offset=offsets)
    def reschedule(self, pair, offset):
        h, k = pair
        deadline = self.model.now + offset
        assert self.wheel.reschedule(h, deadline) == self.model.reschedule(k, deadline)

    @rule(step=steps)
    def advance(self, step):
        now = self.model.now + step
        got = self.wheel.advance(now).tolist()
        want = [self.by_key[k] for k in self.model.advance(now)]
        assert got == want
        self.fired.extend(got)

    @rule()
    def advance_to_next_expiry(self):
        nxt = self.model.next_expiry()
        if nxt is not None and nxt >= self.model.now:
            got = self.wheel.advance(nxt).tolist()
            want = [self.by_key[k] for k in self.model.advance(nxt)]
            assert got == want and got

    @precondition(lambda self: self.fired)
    @rule(data=st.data())
    def cancel_fired(self, data):
        assert self.wheel.cancel(data.draw(st.sampled_from(self.fired))) is False

    @rule(target=handles, base=st.floats(-10.0, 10000.0),
          spread=st.lists(st.sampled_from([0.0, 0.0, 1.0, 64.0, 5000.0, 1e11]), max_size=20))
    def insert_many(self, base, spread):
        deadlines = np.array([self.model.now + base + s for s in spread], dtype=np.float64)
        got = self.wheel.insert_many(deadlines).tolist()
        keys = [self.model.insert(d) for d in deadlines.tolist()]
        pairs = [self._record(h, k) for h, k in zip(got, keys, strict=True)]
        return pairs[0] if pairs else self._record(self.wheel.insert(self.model.now),
                                                   self.model.insert(self.model.now))

    @rule(pairs=st.lists(consumes(handles), max_size=5))
    def cancel_many(self, pairs):
        hs = np.array([h for h, _ in pairs], dtype=np.int64)
        want = sum(self.model.cancel(k) for _, k in pairs)
        assert self.wheel.cancel_many(hs) == want

    @invariant()
    def agree(self):
        if not hasattr(self, "wheel"):
            return
        assert len(self.wheel) == len(self.model)
        assert self.wheel.next_expiry() == self.model.next_expiry()
        assert self.wheel.now == self.model.now
        for o in range(4):
            assert self.wheel.count(o) == self.model.count(o)
        self.wheel._check()


TestWheelVersusHeap = WheelVersusHeap.TestCase
