"""Virtual-time helpers on a scope: count_timers, run_next, run_to_last, run_all (with a
loop limit), jump — the names sinon's fake timers use."""
import pytest

from timercore import LoopLimitError


def test_count_timers_counts_the_map_of_active_timers(scope):
    scope.setTimeout(lambda: None, 5)
    scope.setInterval(lambda: None, 5)
    scope.run_steps_after_timeout("x", 5, lambda: None)
    assert scope.count_timers() == 3


def test_run_next_runs_up_to_the_next_timer_only(scope, clock):
    log = []
    scope.setTimeout(log.append, 10, "a")
    scope.setTimeout(log.append, 10, "a2")
    scope.setTimeout(log.append, 20, "b")
    assert scope.run_next() == 10.0 and log == ["a", "a2"]
    assert scope.run_next() == 20.0 and log == ["a", "a2", "b"]
    assert scope.run_next() == 20.0          # nothing pending: time stays


def test_run_to_last_stops_at_the_last_timer_pending_now(scope, clock):
    log = []
    scope.setTimeout(lambda: scope.setTimeout(log.append, 100, "later"), 5)
    scope.setTimeout(log.append, 30, "last")
    assert scope.run_to_last() == 30.0
    assert log == ["last"] and scope.count_timers() == 1


def test_run_all_catches_a_runaway_interval(scope):
    handle = scope.setInterval(lambda: None, 10)
    with pytest.raises(LoopLimitError) as info:
        scope.run_all(loop_limit=50)
    assert handle in info.value.active and info.value.loop_limit == 50
    assert "still active" in str(info.value)


def test_run_next_after_run_all_hit_its_limit_runs_the_held_task_now(scope, clock):
    # run_all stops before a task whose timer has fired: that task is due now, so the
    # next run_next runs it at once, not up to the next timer pending in the wheel (which
    # would let the interval fire every 10 ms for 2**31 ms).
    ticks = []
    scope.setInterval(lambda: ticks.append(scope.now()), 10)
    scope.setTimeout(lambda: None, 2 ** 31 - 1)
    with pytest.raises(LoopLimitError):
        scope.run_all(loop_limit=3)
    stopped_at = scope.now()
    assert ticks and stopped_at == ticks[-1] + 10      # its task was held back
    assert scope.run_next() == stopped_at and ticks[-1] == stopped_at


def test_run_all_runs_everything_that_ends(scope, clock):
    log = []

    def chain(n):
        log.append(n)
        if n < 20:
            scope.setTimeout(chain, 7, n + 1)

    scope.setTimeout(chain, 7, 1)
    assert scope.run_all() == 140.0 and log == list(range(1, 21))


def test_run_all_bad_loop_limit(scope):
    for bad in (0, -1, 1.5, "10"):
        with pytest.raises(ValueError, match="loop_limit"):
            scope.run_all(loop_limit=bad)


def test_jump_fires_each_due_timer_at_most_once(scope, clock):
    runs = []
    scope.setInterval(lambda: runs.append(clock.now()), 10)
    scope.setTimeout(lambda: runs.append(("t", clock.now())), 25)
    assert scope.jump(100) == 100.0
    assert runs == [100.0, ("t", 100.0)]           # the interval did not catch up
    scope.run_next()
    assert runs[-1] == 110.0


def test_jump_needs_a_virtual_clock():
    import timercore
    w = timercore.Window(clock=timercore.MonotonicClock())
    with pytest.raises(RuntimeError, match="VirtualClock"):
        w.jump(10)
