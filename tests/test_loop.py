"""The scope's event loop: run / run_for / run_until, clocks, suspend/resume, close,
re-entrancy, KeyboardInterrupt, several scopes on one clock, constructor input."""
import math

import pytest

import timercore
from timercore import MonotonicClock, VirtualClock, Window, WorkerGlobalScope


def test_run_moves_a_virtual_clock_from_expiry_to_expiry(scope, clock):
    seen = []
    for t in (100, 5, 5000):
        scope.setTimeout(lambda: seen.append(clock.now()), t)
    scope.run()
    assert seen == [5.0, 100.0, 5000.0]
    assert clock.now() == 5000.0


def test_run_with_nothing_pending_returns_and_leaves_the_clock(scope, clock):
    scope.run()
    assert clock.now() == 0.0


def test_run_for_stops_at_the_end_time_and_leaves_later_timers(scope, clock):
    log = []
    scope.setTimeout(lambda: log.append("a"), 10)
    scope.setTimeout(lambda: log.append("b"), 30)
    scope.run_for(20)
    assert log == ["a"] and clock.now() == 20.0
    scope.run_for(10)
    assert log == ["a", "b"] and clock.now() == 30.0


def test_run_until_includes_timers_due_exactly_at_the_end(scope, clock):
    log = []
    scope.setTimeout(lambda: log.append("a"), 10)
    scope.run_until(10)
    assert log == ["a"] and clock.now() == 10.0


def test_run_until_in_the_past_runs_what_is_due_and_keeps_time(scope, clock):
    clock.advance(50)
    log = []
    scope.setTimeout(lambda: log.append("due"), 0)
    scope.run_until(10)
    assert log == ["due"] and clock.now() == 50.0


def test_interval_under_run_for_runs_the_right_number_of_times(scope, clock):
    count = []
    scope.setInterval(lambda: count.append(clock.now()), 10)
    scope.run_for(55)
    assert count == [10.0, 20.0, 30.0, 40.0, 50.0]


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (math.nan, ValueError),
                                      ("5", TypeError), (None, TypeError)])
def test_run_for_bad_input(scope, bad, exc):
    with pytest.raises(exc, match="ms"):
        scope.run_for(bad)


def test_virtual_clock_advance_only_moves_forward(clock):
    clock.advance(5)
    assert clock.now() == 5.0
    for bad in (-1, math.nan, math.inf):
        with pytest.raises(ValueError, match="ms"):
            clock.advance(bad)
    assert clock.now() == 5.0
    with pytest.raises(ValueError, match="start_ms"):
        VirtualClock(math.nan)


def test_virtual_clock_advance_runs_nothing(scope, clock):
    log = []
    scope.setTimeout(lambda: log.append(1), 1)
    clock.advance(100)
    assert log == []
    scope.run()
    assert log == [1]


def test_run_inside_a_callback_is_a_RuntimeError(scope):
    scope.setTimeout(scope.run, 1)
    scope.run()
    assert [type(e) for e in scope.errors] == [RuntimeError]
    assert "already running" in str(scope.errors[0])


def test_keyboard_interrupt_propagates_and_run_again_loses_nothing(scope):
    log = []

    def interrupt():
        log.append("interrupt")
        raise KeyboardInterrupt

    for i in range(3):
        scope.setTimeout(log.append, 10, i)
    scope.setTimeout(interrupt, 10)
    for i in range(3, 6):
        scope.setTimeout(log.append, 10, i)
    scope.setTimeout(log.append, 20, "later")
    with pytest.raises(KeyboardInterrupt):
        scope.run()
    assert log == [0, 1, 2, "interrupt"]
    scope.run()
    assert log == [0, 1, 2, "interrupt", 3, 4, 5, "later"]
    assert len(scope.active_timers) == 0


def test_system_exit_in_a_microtask_propagates_and_the_rest_stay_queued(scope):
    log = []

    def leave():
        raise SystemExit(3)

    scope.queueMicrotask(leave)
    scope.queueMicrotask(lambda: log.append("kept"))
    with pytest.raises(SystemExit):
        scope.run()
    scope.run()
    assert log == ["kept"]


def test_interval_interrupted_is_still_scheduled(scope):
    runs = []

    def tick():
        runs.append(1)
        if len(runs) == 2:
            raise KeyboardInterrupt
        if len(runs) == 4:
            scope.clearInterval(handle)

    handle = scope.setInterval(tick, 5)
    with pytest.raises(KeyboardInterrupt):
        scope.run()
    scope.run()
    assert len(runs) == 4


def test_suspend_stops_time_for_timers_and_resume_shifts_expiries(scope, clock):
    log = []
    t = scope.setTimeout(lambda: log.append(clock.now()), 100)
    scope.run_for(40)
    scope.suspend()
    scope.run_for(1000)                  # suspended: nothing fires, time passes
    assert log == [] and clock.now() == 1040.0
    scope.resume()
    assert scope.active_timers[t] == 1100.0
    scope.run()
    assert log == [1100.0]


def test_suspend_resume_is_idempotent(scope, clock):
    scope.suspend()
    scope.suspend()
    clock.advance(10)
    scope.resume()
    scope.resume()
    t = scope.setTimeout(lambda: None, 5)
    assert scope.active_timers[t] == 15.0


def test_close_clears_everything_and_later_calls_raise(scope):
    log = []
    scope.setTimeout(lambda: log.append(1), 1)
    scope.run_steps_after_timeout("x", 1, lambda: log.append(2))
    scope.queueMicrotask(lambda: log.append(3))
    scope.close()
    assert len(scope.active_timers) == 0
    for call in (lambda: scope.setTimeout(lambda: None, 1), scope.run,
                 lambda: scope.queueMicrotask(lambda: None), scope.suspend):
        with pytest.raises(RuntimeError, match="closed"):
            call()
    scope.clearTimeout(1)                 # harmless
    scope.close()                         # idempotent
    assert log == []


def test_close_inside_a_callback_stops_the_batch(scope):
    log = []
    scope.setTimeout(lambda: (log.append("a"), scope.close()), 5)
    scope.setTimeout(lambda: log.append("b"), 5)
    scope.run()
    assert log == ["a"] and scope.closed


def test_scopes_sharing_a_clock_have_their_own_ids_and_maps(clock):
    a, b = Window(clock=clock), WorkerGlobalScope(clock=clock)
    log = []
    ta = a.setTimeout(lambda: log.append("a"), 10)
    tb = b.setTimeout(lambda: log.append("b"), 5)
    assert ta == tb == 1
    a.clearTimeout(1)
    assert 1 in b.active_timers and 1 not in a.active_timers
    b.run()
    assert log == ["b"] and clock.now() == 5.0


def test_clock_never_moves_backwards_for_a_second_scope(clock):
    a, b = Window(clock=clock), Window(clock=clock)
    b.setTimeout(lambda: None, 5)
    a.setTimeout(lambda: None, 50)
    a.run()
    assert clock.now() == 50.0
    log = []
    b.setTimeout(lambda: log.append(clock.now()), 0)
    b.run()                               # b's 5 ms timer is late, never early
    assert clock.now() == 50.0 and log == [50.0]


def test_monotonic_clock_smoke_order_only():
    w = Window(clock=MonotonicClock())
    log = []
    w.setTimeout(log.append, 2, "b")
    w.setTimeout(log.append, 0, "a")
    w.queueMicrotask(lambda: log.append("micro"))
    w.run()
    assert log == ["micro", "a", "b"]
    assert isinstance(w.clock, MonotonicClock)


def test_default_clock_is_monotonic():
    assert isinstance(Window().clock, MonotonicClock)


def test_foreign_clock_objects_with_now_are_accepted():
    class Manual:
        t = 0.0

        def now(self):
            return self.t

    c = Manual()
    w = Window(clock=c)
    log = []
    w.setTimeout(log.append, 10, "x")
    c.t = 10.0
    w.run()
    assert log == ["x"]


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"clock": object()}, TypeError, "clock"),
    ({"resolution_ms": 0}, ValueError, "resolution_ms"),
    ({"resolution_ms": "1"}, TypeError, "resolution_ms"),
    ({"string_handlers": "yes"}, TypeError, "string_handlers"),
    ({"namespace": []}, TypeError, "namespace"),
])
def test_constructor_bad_input(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        Window(**kwargs)


def test_namespace_default_has_the_timer_functions_and_can_be_supplied(clock):
    w = Window(clock=clock)
    assert {"setTimeout", "setInterval", "clearTimeout", "clearInterval",
            "queueMicrotask", "window", "self"} <= set(w.namespace)
    mine = {"x": []}
    w2 = Window(clock=clock, namespace=mine)
    w2.setTimeout("x.append(1)", 0)
    w2.run()
    assert mine["x"] == [1]


def test_worker_scope_has_no_window_name(clock):
    wk = WorkerGlobalScope(clock=clock)
    assert "window" not in wk.namespace and wk.namespace["self"] is wk


def test_public_names():
    for name in ("Window", "WorkerGlobalScope", "VirtualClock", "MonotonicClock", "Event",
                 "ErrorEvent", "TimerWheel", "CompileStringsError", "TimeoutOverflowWarning"):
        assert hasattr(timercore, name)
