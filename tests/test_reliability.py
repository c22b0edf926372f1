"""Reliability: capacity limits, allocation failures, re-entrancy. Nothing crashes,
nothing pending is lost, no timer runs twice, and the wheel's invariants hold."""
import random

import numpy as np
import pytest

import timercore
from timercore._core import _fail_allocation_after


# -- capacity ------------------------------------------------------------------------

def test_wheel_max_timers_raises_overflow_and_keeps_what_is_pending():
    w = timercore.TimerWheel(max_timers=3)
    hs = [w.insert(d) for d in (1.0, 2.0, 3.0)]
    with pytest.raises(OverflowError, match="max_timers=3"):
        w.insert(4.0)
    with pytest.raises(OverflowError, match="max_timers=3"):
        w.insert_many(np.array([5.0]))
    assert len(w) == 3 and all(h in w for h in hs)
    w._check()
    assert w.advance(10.0).tolist() == hs
    w.insert(4.0)                                 # room again


@pytest.mark.parametrize("bad", [-1, 1.5, None, "3"])
def test_max_timers_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="max_timers"):
        timercore.TimerWheel(max_timers=bad)
    with pytest.raises(ValueError, match="max_timers"):
        timercore.Window(max_timers=bad)


def test_scope_max_timers():
    clock = timercore.VirtualClock()
    w = timercore.WorkerGlobalScope(clock=clock, max_timers=2)
    fired = []
    a = w.setTimeout(fired.append, 10, "a")
    w.setInterval(fired.append, 4, "i")
    with pytest.raises(OverflowError, match="max_timers=2"):
        w.setTimeout(fired.append, 1, "refused")
    with pytest.raises(OverflowError):
        w.run_steps_after_timeout("x", 1, lambda: None)
    assert w.count_timers() == 2 and a in w.active_timers
    w.run_for(10)
    # The interval kept running at the limit (re-arming is not a new timer).
    assert fired == ["i", "i", "a"]
    w.setTimeout(fired.append, 1, "room again")
    w.close()


# -- allocation failures ---------------------------------------------------------------

def _ops(seed):
    rng = random.Random(seed)
    for _ in range(300):
        yield rng.choice(["insert", "insert", "insert_many", "cancel", "reschedule",
                          "advance"]), rng


@pytest.mark.parametrize("seed", range(20))
def test_wheel_survives_allocation_failures_without_losing_a_timer(seed):
    """Inject a failure at every k-th allocation during random operations: each op
    either completes or raises MemoryError leaving the wheel as it was; at the end every
    inserted timer has fired or been cancelled exactly once, in deadline order per
    advance, and the invariants held after every step."""
    w = timercore.TimerWheel()
    live, fired, cancelled, now = {}, [], set(), 0.0
    try:
        for op, rng in _ops(seed):
            _fail_allocation_after(rng.randrange(4))
            try:
                if op == "insert":
                    d = now + rng.choice([0, 1, 63, 64, 4095, 1e6, 1e12])
                    live[w.insert(d)] = d
                elif op == "insert_many":
                    ds = now + np.array([rng.uniform(0, 5e3) for _ in range(rng.randrange(1, 300))])
                    live.update(zip(w.insert_many(ds).tolist(), ds.tolist(), strict=True))
                elif op == "cancel" and live:
                    h = rng.choice(list(live))
                    assert w.cancel(h)
                    del live[h]
                    cancelled.add(h)
                elif op == "reschedule" and live:
                    h = rng.choice(list(live))
                    d = now + rng.uniform(0, 1e4)
                    assert w.reschedule(h, d)
                    live[h] = d
                elif op == "advance":
                    now += rng.choice([0.5, 1, 70, 5000])
                    got = w.advance(now).tolist()
                    assert [live[h] for h in got] == sorted(live[h] for h in got)
                    for h in got:
                        assert live.pop(h) <= now
                    fired.extend(got)
            except MemoryError:
                pass
            _fail_allocation_after(-1)
            w._check()
            assert len(w) == len(live) and all(h in w for h in live)
    finally:
        _fail_allocation_after(-1)
    while len(w):
        fired.extend(w.advance(w.next_expiry()).tolist())
    assert len(fired) == len(set(fired)) and not set(fired) & cancelled


def test_scope_allocation_failure_loses_nothing(clock):
    w = timercore.WorkerGlobalScope(clock=clock)
    fired = []
    for k in range(200):
        _fail_allocation_after(k % 3)
        try:
            w.setTimeout(fired.append, k % 17, k)
        except MemoryError:
            pass
        finally:
            _fail_allocation_after(-1)
    pending = w.count_timers()
    w.run()
    assert len(fired) == pending == len(set(fired))
    w.close()


# -- re-entrancy -----------------------------------------------------------------------

def test_close_inside_a_callback_stops_the_batch(scope):
    ran = []
    scope.setTimeout(lambda: (ran.append(1), scope.close()), 5)
    scope.setTimeout(ran.append, 5, 2)
    scope.run()
    assert ran == [1] and scope.closed
    with pytest.raises(RuntimeError, match="closed"):
        scope.setTimeout(lambda: None, 1)


def test_clearing_every_timer_from_inside_one(scope):
    ran, ids = [], []

    def clear_all():
        ran.append("clear")
        for i in ids:
            scope.clearTimeout(i)

    ids.append(scope.setTimeout(clear_all, 5))
    ids += [scope.setTimeout(ran.append, 5, n) for n in range(100)]
    scope.setTimeout(ran.append, 6, "later")
    scope.run()
    # The batch was already fired by the wheel: 9.1 aborts each cleared task.
    assert ran == ["clear", "later"] and scope.count_timers() == 0


def test_a_callback_that_clears_itself_and_sets_new_ones(scope):
    order = []

    def tick():
        order.append(scope.now())
        scope.clearInterval(me)
        if len(order) < 3:
            scope.setTimeout(tick_again, 0)

    def tick_again():
        order.append(("again", scope.now()))

    me = scope.setInterval(tick, 10)
    scope.run()
    assert order == [10.0, ("again", 10.0)] and scope.count_timers() == 0


# run() inside a callback and KeyboardInterrupt halfway through a batch: tests/test_loop.py


def test_del_of_a_handler_that_reenters_the_scope(scope):
    """An object whose __del__ sets a timer, dropped when its timer's slot is released."""
    ran = []

    class Reenter:
        def __call__(self):
            ran.append("call")

        def __del__(self):
            if not scope.closed:
                scope.setTimeout(ran.append, 1, "from __del__")

    scope.setTimeout(Reenter(), 1)
    scope.run()
    assert ran == ["call", "from __del__"]
