"""The one validation vocabulary (core/validate.pyx): a conversion that names the
argument (TypeError), then one constraint (ValueError), used by every entry point."""
import math

import pytest

from timercore import TimeoutOverflowWarning, TimerWheel, VirtualClock, Window
from timercore._core import Constraint, check_ms

C = Constraint


@pytest.mark.parametrize("constraint, good, bad", [
    (C.FINITE, [-1.5, 0, 2 ** 60], [math.inf, -math.inf, math.nan]),
    (C.NOT_NAN, [math.inf, -math.inf, -1], [math.nan]),
    (C.NON_NEGATIVE, [0, 0.5, 2 ** 60], [-1e-9, math.inf, math.nan]),
    (C.POSITIVE, [1e-9, 1], [0, -1, math.inf]),
    (C.CLOCK_TIME, [-2.0 ** 53, 2.0 ** 53], [2.0 ** 53 + 2, -2.0 ** 54, math.inf]),
    (C.CLOCK_SPAN, [0, 2.0 ** 53], [-1, 2.0 ** 53 + 2, math.nan]),
])
def test_each_constraint_accepts_and_refuses_naming_the_argument(constraint, good, bad):
    for value in good:
        assert check_ms(value, "span_ms", constraint) == float(value)
    for value in bad:
        with pytest.raises(ValueError, match="^span_ms must"):
            check_ms(value, "span_ms", constraint)


@pytest.mark.parametrize("value", ["5", b"5", None, object(), [1]])
def test_a_non_number_is_a_type_error_naming_the_argument(value):
    with pytest.raises(TypeError, match="^span_ms must be a number of milliseconds"):
        check_ms(value, "span_ms")


def test_the_entry_points_speak_the_same_vocabulary():
    import timercore
    w = timercore.Window(clock=timercore.VirtualClock())
    for call, name in [(lambda: w.run_for(-1), "ms"), (lambda: w.run_until(math.inf), "time_ms"),
                       (lambda: w.run_steps_after_timeout("o", math.nan, print), "milliseconds"),
                       (lambda: timercore.TimerWheel(0), "resolution_ms"),
                       (lambda: timercore.VirtualClock().advance(-1), "ms"),
                       (lambda: timercore.VirtualClock(math.inf), "start_ms")]:
        with pytest.raises(ValueError, match=f"^{name} must"):
            call()


# -- ids and handles: read in place up to two digits (intread.h), by the API otherwise -----

@pytest.mark.parametrize("gen", [1, 2**28 - 1, 2**28, 2**31 - 2])
def test_a_handle_names_its_timer_on_either_side_of_the_two_digit_read(gen):
    # (gen << 32) | slot: generation 2**28 puts a handle at 2**60, three 30-bit digits
    w = TimerWheel()
    w.cancel(w.insert(1.0))                 # slot 0, free again
    w._set_generation(0, gen)
    h = w.insert(5.0)
    assert h == (gen << 32)
    assert h in w and w.deadline(h) == 5.0
    assert h + (1 << 32) not in w and h - (1 << 32) not in w
    assert -h not in w and 0 not in w
    assert w.cancel(h) and not w.cancel(h)


def test_a_handle_as_an_int_subclass_or_index_is_read_the_same():
    class Sub(int):
        pass

    class Index:
        def __init__(self, v):
            self.v = v

        def __index__(self):
            return self.v

    w = TimerWheel()
    a, b = w.insert(1.0), w.insert(2.0)
    assert w.cancel(Sub(a)) and w.cancel(Index(b)) and len(w) == 0
    with pytest.raises(TypeError, match="handle"):
        w.cancel(True * 1.0)


@pytest.mark.parametrize("next_id", [2**30 - 1, 2**30, 2**31 - 1])
def test_8_6_clear_an_id_on_either_side_of_one_digit(next_id):
    scope = Window(clock=VirtualClock())
    scope._set_next_id(next_id)
    log = []
    ident = scope.setTimeout(log.append, 10, "a")
    keep = scope.setTimeout(log.append, 10, "b")
    assert ident == next_id
    with pytest.warns(TimeoutOverflowWarning, match="wrapped"):
        scope.clearTimeout(ident - 2**32)   # WebIDL long wraps modulo 2**32: the same id
    scope.clearTimeout(-keep)             # a negative id names no timer
    scope.run_for(20)
    assert log == ["b"]
