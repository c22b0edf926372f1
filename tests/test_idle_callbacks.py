"""W3C requestIdleCallback and the idle periods of a scope's loop
(../shared/spec/event-loop-idle-dialogs.md), step by step, on a VirtualClock."""
import pytest

import timercore
from timercore import IdleDeadline


def record(scope, log, name):
    def cb(deadline):
        log.append((name, scope.now(), deadline.timeRemaining(), deadline.didTimeout))
    return cb


def test_ric_step3_handles_start_at_1_and_are_unique(scope):
    hs = [scope.requestIdleCallback(lambda d: None) for _ in range(3)]
    scope.cancelIdleCallback(hs[1])
    hs.append(scope.requestIdleCallback(lambda d: None))
    assert hs == [1, 2, 3, 4]


def test_ric_step4_callbacks_run_in_fifo_order_in_one_idle_period(scope):
    log = []
    for name in "abc":
        scope.requestIdleCallback(record(scope, log, name))
    scope.run()
    assert [(n, t) for n, t, *_ in log] == [("a", 0.0), ("b", 0.0), ("c", 0.0)]


def test_ric_idle_deadline_is_capped_at_50_ms(scope):
    log = []
    scope.requestIdleCallback(record(scope, log, "a"))
    scope.run()
    assert log == [("a", 0.0, 50.0, False)]


def test_ric_deadline_is_bounded_by_the_nearest_active_timer(scope):
    log = []
    scope.setTimeout(lambda: log.append("timer"), 30)
    scope.requestIdleCallback(record(scope, log, "idle"))
    scope.run()
    assert log == [("idle", 0.0, 30.0, False), "timer"]


def test_ric_deadline_is_bounded_by_a_run_steps_after_timeout_key(scope):
    log = []
    scope.run_steps_after_timeout("other-spec", 12, lambda: log.append("steps"))
    scope.requestIdleCallback(record(scope, log, "idle"))
    scope.run()
    assert log == [("idle", 0.0, 12.0, False), "steps"]


def test_ric_timer_set_inside_an_idle_callback_shortens_the_deadline(scope):
    seen = []

    def cb(deadline):
        before = deadline.timeRemaining()
        scope.setTimeout(lambda: None, 5)
        seen.append((before, deadline.timeRemaining()))

    scope.requestIdleCallback(cb)
    scope.run()
    assert seen == [(50.0, 5.0)]


def test_ric_deadline_counts_down_as_time_passes_in_the_callback(scope, clock):
    seen = []

    def cb(deadline):
        clock.advance(20)
        seen.append(deadline.timeRemaining())
        clock.advance(40)
        seen.append(deadline.timeRemaining())

    scope.requestIdleCallback(cb)
    scope.run()
    assert seen == [30.0, 0.0]


def test_ric_invoke_runs_one_callback_per_task_so_timers_and_microtasks_interleave(scope, clock):
    log = []

    def first(deadline):
        log.append("idle 1")
        scope.queueMicrotask(lambda: log.append("micro"))
        scope.setTimeout(lambda: log.append("timer"), 0)

    scope.requestIdleCallback(first)
    scope.requestIdleCallback(lambda d: log.append(("idle 2", d.timeRemaining())))
    scope.run()
    # The timer set in the first callback makes the deadline now: the period ends, the
    # timer runs, and the second callback waits for the next idle period.
    assert log == ["idle 1", "micro", "timer", ("idle 2", 50.0)]


def test_ric_callbacks_posted_during_a_period_wait_for_the_next_one(scope):
    log = []

    def first(deadline):
        log.append(("first", scope.now()))
        scope.requestIdleCallback(lambda d: log.append(("posted inside", scope.now())))

    scope.requestIdleCallback(first)
    scope.requestIdleCallback(lambda d: log.append(("second", scope.now())))
    scope.run()
    # The next period cannot start before the last one's deadline (50 ms).
    assert log == [("first", 0.0), ("second", 0.0), ("posted inside", 50.0)]


def test_ric_reposting_callbacks_take_turns_round_robin(scope):
    log = []

    def worker(name, left):
        def cb(deadline):
            log.append(name)
            if left[0] > 1:
                left[0] -= 1
                scope.requestIdleCallback(cb)
        return cb

    scope.requestIdleCallback(worker("a", [3]))
    scope.requestIdleCallback(worker("b", [3]))
    scope.run()
    assert log == ["a", "b", "a", "b", "a", "b"]


def test_ric_timeout_fires_with_didTimeout_while_the_loop_is_busy(scope, clock):
    log = []

    def busy():
        clock.advance(100)          # a long task: no idle period meanwhile
        scope.setTimeout(busy2, 0)

    def busy2():
        clock.advance(100)

    scope.setTimeout(busy, 0)
    scope.requestIdleCallback(record(scope, log, "late"), {"timeout": 50})
    scope.run()
    assert log == [("late", 100.0, 0.0, True)]


def test_ric_timeout_option_forms(scope):
    class Opts:
        timeout = 10

    for options, kw in (({"timeout": 10}, {}), (Opts(), {}), (None, {"timeout": 10})):
        h = scope.requestIdleCallback(lambda d: None, options, **kw)
        keys = [k for k in scope.active_timers if not isinstance(k, int)]
        assert len(keys) == 1 and scope.active_timers[keys[0]] == 10.0
        scope.cancelIdleCallback(h)
        assert len(scope.active_timers) == 0


def test_ric_zero_timeout_means_no_timeout(scope):
    scope.requestIdleCallback(lambda d: None, {"timeout": 0})
    assert len(scope.active_timers) == 0


def test_ric_run_by_an_idle_period_drops_its_timeout(scope):
    log = []
    scope.requestIdleCallback(record(scope, log, "a"), timeout=1000)
    scope.run()
    assert log == [("a", 0.0, 50.0, False)]
    assert len(scope.active_timers) == 0 and scope.now() == 0.0


def test_ric_cancel_from_the_pending_list(scope):
    log = []
    h = scope.requestIdleCallback(record(scope, log, "a"))
    scope.requestIdleCallback(record(scope, log, "b"))
    scope.cancelIdleCallback(h)
    scope.run()
    assert [n for n, *_ in log] == ["b"]


def test_ric_cancel_from_the_runnable_list_inside_another_callback(scope):
    log = []
    handles = {}

    def first(deadline):
        log.append("first")
        scope.cancelIdleCallback(handles["second"])     # already moved to runnable

    scope.requestIdleCallback(first)
    handles["second"] = scope.requestIdleCallback(lambda d: log.append("second"),
                                                  timeout=20)
    scope.run()
    assert log == ["first"] and len(scope.active_timers) == 0


def test_ric_cancel_unknown_handles_is_ignored(scope):
    for h in (0, 99, None, "x", 1.5):
        scope.cancelIdleCallback(h)
    assert scope.requestIdleCallback(lambda d: None) == 1


def test_ric_exception_is_reported_and_later_callbacks_still_run(scope):
    log = []
    scope.requestIdleCallback(lambda d: 1 / 0)
    scope.requestIdleCallback(lambda d: log.append("after"))
    scope.requestIdleCallback(lambda d: 1 / 0, timeout=1)
    scope.run()
    assert log == ["after"]
    assert [type(e) for e in scope.errors] == [ZeroDivisionError, ZeroDivisionError]


@pytest.mark.parametrize("args, kwargs, exc, word", [
    ((None,), {}, TypeError, "callback"),
    ((lambda d: None, 5), {}, TypeError, "options"),
    ((lambda d: None, {"timeout": "x"}), {}, TypeError, "timeout"),
    ((lambda d: None, {"timeout": 1}), {"timeout": 1}, TypeError, "timeout"),
])
def test_ric_bad_input(scope, args, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        scope.requestIdleCallback(*args, **kwargs)


def test_ric_no_idle_period_while_suspended(scope, clock):
    log = []
    scope.suspend()
    scope.requestIdleCallback(lambda d: log.append(1))
    scope.run_for(100)
    assert log == []
    scope.resume()
    scope.run()
    assert log == [1]


def test_ric_idle_deadline_aliases_and_no_public_constructor(scope):
    seen = []
    scope.requestIdleCallback(lambda d: seen.append(
        (d.time_remaining(), d.timeRemaining(), d.did_timeout, d.didTimeout)))
    scope.run()
    assert seen == [(50.0, 50.0, False, False)]
    with pytest.raises(TypeError):
        IdleDeadline()


def test_ric_real_clock_smoke_order_only():
    w = timercore.Window(clock=timercore.MonotonicClock())
    log = []
    w.setTimeout(lambda: log.append("timer"), 0)
    w.requestIdleCallback(lambda d: log.append(("idle", d.timeRemaining() > 0)))
    w.run()
    assert log == ["timer", ("idle", True)]


def test_ric_many_callbacks_cancelled_at_random_run_the_rest_in_posting_order(scope):
    # Thousands of entries, about a quarter cancelled (before and during the period):
    # the queue drops its done front as it goes and keeps FIFO order throughout.
    import random
    rng = random.Random(7)
    ran = []
    handles = {}
    cancelled = set()

    def cancel_some_later(d):           # runs first, while the rest are runnable
        for n in range(4000, 5000, 3):
            scope.cancelIdleCallback(handles[n])
            cancelled.add(n)
    scope.requestIdleCallback(cancel_some_later)
    for n in range(5000):
        handles[n] = scope.requestIdleCallback(lambda d, n=n: ran.append(n))
    for n in rng.sample(range(5000), 1000):
        scope.cancelIdleCallback(handles[n])
        cancelled.add(n)
    later = [scope.requestIdleCallback(lambda d, n=n: ran.append(n)) for n in range(5000, 5100)]
    scope.run()
    expected = [n for n in range(5100) if n not in cancelled]
    assert ran == expected
    assert scope.requestIdleCallback(lambda d: None) == later[-1] + 1


@pytest.mark.parametrize("handle", [0, -1, 2 ** 70, 10 ** 6, 2.5, "1", None])
def test_ric_cancel_of_a_handle_never_issued_is_ignored(scope, handle):
    ran = []
    scope.requestIdleCallback(lambda d: ran.append(1))
    if handle in (-1, 2 ** 70):     # WebIDL unsigned long wraps them (to 2**32 - 1, 0)
        with pytest.warns(timercore.TimeoutOverflowWarning, match="handle="):
            scope.cancelIdleCallback(handle)
    else:
        scope.cancelIdleCallback(handle)
    scope.run()
    assert ran == [1]


def test_ric_cancel_converts_the_handle_as_a_webidl_unsigned_long(scope):
    # cancelIdleCallback(unsigned long handle): 2**32 + 1 wraps to 1, as in a browser
    # (and as clearTimeout converts its id as a long).
    ran = []
    scope.requestIdleCallback(lambda d: ran.append(1))
    scope.requestIdleCallback(lambda d: ran.append(2))
    with pytest.warns(timercore.TimeoutOverflowWarning, match="wrapped to 1"):
        scope.cancelIdleCallback(2 ** 32 + 1)
    scope.cancelIdleCallback(2.9)
    scope.run()
    assert ran == []


def test_close_drops_queued_idle_callbacks(scope):
    # close() ran the timers' close only: the idle queue kept its callbacks, and run()
    # still had idle work to wait for.
    import weakref

    class Callback:
        def __call__(self, deadline):
            ran.append(deadline)
    ran, callback = [], Callback()
    ref = weakref.ref(callback)
    scope.requestIdleCallback(callback, {"timeout": 100})
    del callback
    scope.close()
    assert ref() is None and not scope._waits()
    assert ran == []
