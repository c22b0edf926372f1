"""The one validation vocabulary (core/validate.pyx): a conversion that names the
argument (TypeError), then one constraint (ValueError), used by every entry point."""
import math

import pytest

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
