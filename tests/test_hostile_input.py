"""Hostile input: arbitrary Python objects thrown at every public function of the core
and the façade. Allowed outcomes: the defined result, a TypeError/ValueError naming the
argument, or the hostile object's own exception propagating (WebIDL rethrows it); never
a crash, and the invariants (a _check() walk of the wheel, the id map and the slots)
hold after every step. Long run: HYPOTHESIS_PROFILE=long (100,000 examples)."""
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import timercore

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
pytestmark = pytest.mark.filterwarnings("ignore::timercore.TimeoutOverflowWarning")


class Hostile(Exception):
    """Raised by the hostile objects themselves."""


class BadIndex(int):
    def __index__(self):
        raise Hostile("__index__")

    def __int__(self):
        raise Hostile("__int__")


class BadFloat(float):
    def __float__(self):
        raise Hostile("__float__")


class BadStr(str):
    def __str__(self):
        raise Hostile("__str__")


class HugeIndex:
    def __index__(self):
        return 2 ** 200


class WrongIndex:
    def __index__(self):
        return "not an int"


class RaisingCall:
    def __call__(self, *args):
        raise Hostile("called")


class Unstringable:
    def __str__(self):
        raise Hostile("__str__")


numbers = st.one_of(
    st.integers(min_value=-2 ** 70, max_value=2 ** 70),
    st.sampled_from([0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, -2 ** 31 - 1, 2 ** 64, 2 ** 200]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324, True, False]),
    st.builds(BadIndex, st.integers(0, 100)), st.builds(BadFloat, st.floats(0, 100)),
    st.builds(HugeIndex), st.builds(WrongIndex), st.just(np.float64("nan")),
    st.just(np.int64(7)), st.just(np.uint64(2 ** 63)),
)
anything = st.one_of(
    numbers, st.none(), st.text(max_size=5), st.binary(max_size=3),
    st.builds(BadStr, st.text(max_size=3)), st.builds(Unstringable), st.builds(object),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=2), numbers, max_size=2),
)
ALLOWED = (TypeError, ValueError, Hostile, OverflowError)


def attempt(fn, *args, names=(), **kwargs):
    """Call fn; our own TypeError/ValueError must name one of the arguments."""
    try:
        return fn(*args, **kwargs)
    except Hostile:
        return None
    except (TypeError, ValueError, OverflowError) as exc:
        text = str(exc)
        if names and type(exc) is not OverflowError and "__index__" not in text:
            assert any(n in text for n in names), f"{type(exc).__name__} names no argument: {text}"
        return None


def _small(ms):
    try:
        return not float(ms) > 10_000
    except Exception:                   # noqa: BLE001 - the conversion error is the point
        return True


class HostileWheel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.w = timercore.TimerWheel(max_timers=500)
        self.handles = []

    @rule(deadline=anything, ordering=anything)
    def insert(self, deadline, ordering):
        h = attempt(self.w.insert, deadline, ordering, names=("deadline_ms", "ordering_id"))
        if h is not None:
            assert h > 0 and h in self.w
            self.handles.append(h)

    @rule(deadline=numbers)
    def insert_plain(self, deadline):
        h = attempt(self.w.insert, deadline, names=("deadline_ms",))
        if h is not None:
            self.handles.append(h)

    @rule(handle=anything, pick=st.integers(0, 10 ** 6))
    def cancel(self, handle, pick):
        if self.handles and pick % 2:
            handle = self.handles[pick % len(self.handles)]
        attempt(self.w.cancel, handle, names=("handle",))

    @rule(handle=anything, deadline=anything, pick=st.integers(0, 10 ** 6))
    def reschedule(self, handle, deadline, pick):
        if self.handles and pick % 2:
            handle = self.handles[pick % len(self.handles)]
        attempt(self.w.reschedule, handle, deadline, names=("handle", "deadline_ms"))

    @rule(handle=anything)
    def lookups(self, handle):
        attempt(lambda: handle in self.w, names=("handle",))
        try:
            attempt(self.w.deadline, handle, names=("handle",))
        except KeyError:
            pass
        attempt(self.w.count, handle, names=("ordering_id",))

    @rule(now=anything)
    def advance(self, now):
        out = attempt(self.w.advance, now, names=("now_ms",))
        if out is not None:
            assert out.dtype == np.int64

    @rule(values=st.lists(numbers, max_size=20), as_array=st.booleans(), other=anything)
    def bulk(self, values, as_array, other):
        data = values
        if as_array:
            try:
                data = np.array(values)
            except (TypeError, ValueError, OverflowError, Hostile):
                data = values
        attempt(self.w.insert_many, data, names=("deadlines",))
        attempt(self.w.insert_many, other, names=("deadlines",))
        attempt(self.w.cancel_many, data, names=("handles",))
        attempt(self.w.cancel_many, other, names=("handles",))

    @invariant()
    def consistent(self):
        self.w._check()


class HostileScope(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.clock = timercore.VirtualClock()
        self.w = timercore.Window(clock=self.clock, max_timers=300)
        self.w.addEventListener("error", lambda e: e.preventDefault())
        self.ids = []

    def handler(self, kind):
        w = self.w
        ids = self.ids
        if kind == "clear self":
            box = []

            def clear_self():
                if box:
                    w.clearTimeout(box[0])
            return clear_self, box
        if kind == "clear all":
            return (lambda: [w.clearTimeout(i) for i in list(ids)]), None
        if kind == "close":
            return w.close, None
        if kind == "raise":
            return RaisingCall(), None
        if kind == "nest":
            return (lambda: w.setTimeout(lambda: None, 0)), None
        if kind == "run inside":
            return w.run, None
        if kind == "del reenters":
            class Reenter:
                def __call__(self):
                    pass

                def __del__(self):
                    if not w.closed:
                        try:
                            w.setTimeout(lambda: None, 1)
                        except (RuntimeError, OverflowError):
                            pass
            return Reenter(), None
        return (lambda: None), None

    @rule(kind=st.sampled_from(["noop", "clear self", "clear all", "close", "raise", "nest",
                                "run inside", "del reenters"]),
          timeout=anything, repeat=st.booleans(), string=st.booleans())
    def set_timer(self, kind, timeout, repeat, string):
        if self.w.closed:
            return
        handler, box = self.handler(kind)
        if string:
            handler = "x = 1"
        fn = self.w.setInterval if repeat else self.w.setTimeout
        try:
            id = attempt(fn, handler, timeout, names=("timeout",))
        except RuntimeError:
            return
        if id is not None:
            assert isinstance(id, int) and id > 0
            self.ids.append(id)
            if box is not None:
                box.append(id)

    @rule(handler=anything, timeout=anything)
    def set_hostile_handler(self, handler, timeout):
        if not self.w.closed:
            attempt(self.w.setTimeout, handler, timeout, names=("timeout", "handler"))

    @rule(id=anything, pick=st.integers(0, 10 ** 6), op=st.sampled_from(
        ["clearTimeout", "clearInterval", "refresh", "unref", "ref", "has_ref"]))
    def by_id(self, id, pick, op):
        if self.ids and pick % 2:
            id = self.ids[pick % len(self.ids)]
        if not self.w.closed or op.startswith("clear"):
            attempt(getattr(self.w, op), id, names=("id",))

    @rule(callback=anything, options=anything)
    def idle(self, callback, options):
        if self.w.closed:
            return
        attempt(self.w.requestIdleCallback, callback, names=("callback",))
        attempt(self.w.requestIdleCallback, lambda d: d.timeRemaining(), options,
                names=("options", "timeout"))
        attempt(self.w.cancelIdleCallback, callback, names=("handle",))

    @rule(callback=anything)
    def microtask(self, callback):
        if not self.w.closed:
            attempt(self.w.queueMicrotask, callback, names=("callback",))

    @rule(ms=anything, ordering=anything)
    def run_steps(self, ms, ordering):
        if not self.w.closed:
            attempt(self.w.run_steps_after_timeout, ordering if isinstance(ordering, str) else "o",
                    ms, lambda: None, names=("milliseconds", "ordering_identifier"))

    @rule(ms=anything, how=st.sampled_from(["run_for", "jump", "run_next", "run_all"]))
    def move(self, ms, how):
        if self.w.closed:
            return
        try:
            if how == "run_for":
                if _small(ms):       # run_for(1e300) with an interval set runs forever, rightly
                    attempt(self.w.run_for, ms, names=("ms",))
            elif how == "jump":
                attempt(self.w.jump, ms, names=("ms",))
            elif how == "run_next":
                self.w.run_next()
            else:
                self.w.run_all(loop_limit=200)
        except timercore.LoopLimitError:
            pass

    @invariant()
    def consistent(self):
        if not self.w.closed:
            self.w._check()
            assert self.w.count_timers() == len(self.w.active_timers)

    def teardown(self):
        if not self.w.closed:
            self.w.run_for(10)
            self.w._check()
            self.w.close()


settings_ = settings(max_examples=100_000 if LONG else 150, stateful_step_count=25,
                     deadline=None, suppress_health_check=list(HealthCheck))
TestHostileWheel = HostileWheel.TestCase
TestHostileWheel.settings = settings_
TestHostileScope = HostileScope.TestCase
TestHostileScope.settings = settings_
