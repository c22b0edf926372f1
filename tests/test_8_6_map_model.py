"""The map of active timers (§8.6) against a plain dict (Hypothesis, stateful).

timercore files each numeric id at its home slot (id % capacity) when that is free, and
lists the others as displaced; ids come in sequence, so the machine also jumps the
sequence (as a long-running scope's ids do when they wrap at 2**31 - 1) to make homes
collide, and holds run-steps keys that take slots of their own. Whatever the layout, the
map must hold exactly the ids the model holds: unique while live, each one clearable,
refreshable and unref-able, and a cleared or fired id names nothing.
"""
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import timercore

TIMEOUTS = st.sampled_from([0, 1, 5, 10, 100, 10_000])


class MapOfActiveTimers(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.clock = timercore.VirtualClock()
        self.w = timercore.Window(clock=self.clock)
        self.live = {}           # id -> (due, repeat, timeout): the model
        self.keys = {}           # run-steps key -> due
        self.gone = []           # ids cleared or fired (stale: must name nothing)
        self.fired = []

    def _callback(self):
        def cb():
            self.fired.append(cb.id)
        return cb

    def _set(self, timeout, repeat):
        cb = self._callback()
        set_timer = self.w.setInterval if repeat else self.w.setTimeout
        cb.id = set_timer(cb, timeout)
        assert cb.id not in self.live and 0 < cb.id < 2**31
        self.live[cb.id] = (self.clock.now() + timeout, repeat, timeout)

    @rule(timeout=TIMEOUTS)
    def set_timeout(self, timeout):
        self._set(timeout, False)

    @rule(timeout=st.sampled_from([1, 10, 100]))
    def set_interval(self, timeout):
        self._set(timeout, True)

    @rule(n=st.integers(1, 300), timeout=TIMEOUTS)
    def set_many(self, n, timeout):          # enough to grow the table
        for _ in range(n):
            self._set(timeout, False)

    @rule(next_id=st.one_of(st.integers(1, 400), st.integers(2**31 - 300, 2**31 - 1)))
    def jump_the_id_sequence(self, next_id):
        self.w._set_next_id(next_id)

    @rule(timeout=TIMEOUTS)
    def run_steps(self, timeout):
        key = self.w.run_steps_after_timeout("model", timeout, lambda: None)
        self.keys[key] = self.clock.now() + timeout

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def clear_a_live_id(self, data):
        ident = data.draw(st.sampled_from(sorted(self.live)))
        self.w.clearTimeout(ident)
        del self.live[ident]
        self.gone.append(ident)

    @precondition(lambda self: self.gone)
    @rule(data=st.data())
    def clear_a_stale_id(self, data):
        ident = data.draw(st.sampled_from(self.gone))
        self.w.clearTimeout(ident)             # names nothing, or a newer timer of that id
        self.live.pop(ident, None)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def refresh_unref_ref(self, data):
        ident = data.draw(st.sampled_from(sorted(self.live)))
        assert self.w.refresh(ident)
        _, repeat, timeout = self.live[ident]
        self.live[ident] = (self.clock.now() + timeout, repeat, timeout)
        assert self.w.unref(ident) and not self.w.has_ref(ident)
        assert self.w.ref(ident) and self.w.has_ref(ident)

    @rule(ms=st.sampled_from([0.5, 3, 20, 20_000]))
    def run_for(self, ms):
        self.fired.clear()
        self.w.run_for(ms)
        for ident in self.fired:
            assert ident in self.live, f"id {ident} ran, but was not in the map"
            if not self.live[ident][1]:
                del self.live[ident]
                self.gone.append(ident)
        for ident, (due, repeat, _) in self.live.items():
            assert repeat or due > self.clock.now() - 1, f"id {ident} is overdue"
        self.keys = {k: due for k, due in self.keys.items() if due > self.clock.now()}

    @invariant()
    def the_map_holds_what_the_model_holds(self):
        self.w._check()
        numeric = [k for k in self.w._active_keys() if isinstance(k, int)]
        assert sorted(numeric) == sorted(self.live)
        assert self.w._active_len() == len(self.live) + len(
            [k for k in self.w._active_keys() if not isinstance(k, int)])
        for ident in self.live:
            assert self.w.has_ref(ident)
        for ident in self.gone[-20:]:
            if ident not in self.live:
                assert not self.w.has_ref(ident) and not self.w.refresh(ident)


MapOfActiveTimers.TestCase.settings = settings(max_examples=60, stateful_step_count=40,
                                               deadline=None)
test_8_6_map_of_active_timers_matches_a_dict = MapOfActiveTimers.TestCase
