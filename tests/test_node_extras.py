"""Node-style extensions on a scope: refresh(id), unref(id) / ref(id) (not in the HTML
Standard; documented as extensions in docs/porting-js.md)."""
import pytest


def test_refresh_rearms_from_now_with_the_original_timeout(scope, clock):
    fired = []
    t = scope.setTimeout(lambda: fired.append(scope.now()), 100)
    scope.run_for(60)
    assert scope.refresh(t) is True
    scope.run()
    assert fired == [160.0]


def test_refresh_keeps_the_id_and_orders_as_if_set_now(scope):
    order = []
    a = scope.setTimeout(order.append, 50, "a")
    scope.run_for(10)
    scope.setTimeout(order.append, 50, "b")     # due at 60
    assert scope.refresh(a)                     # due at 60 too, and now after b
    assert scope.active_timers[a] == 60.0
    scope.setTimeout(order.append, 50, "c")     # due at 60, after a
    scope.run()
    assert order == ["b", "a", "c"]


def test_refresh_of_a_stale_or_unknown_id_returns_false(scope):
    t = scope.setTimeout(lambda: None, 10)
    scope.run()
    assert scope.refresh(t) is False            # fired: gone from the map
    u = scope.setTimeout(lambda: None, 10)
    scope.clearTimeout(u)
    assert scope.refresh(u) is False
    assert scope.refresh(0) is False and scope.refresh(2**40) is False
    assert scope.count_timers() == 0


def test_refresh_of_an_interval_resets_its_period(scope):
    times = []
    i = scope.setInterval(lambda: times.append(scope.now()), 100)
    scope.run_for(150)
    scope.refresh(i)                            # next run at 250, then every 100
    scope.run_for(200)
    scope.clearInterval(i)
    assert times == [100.0, 250.0, 350.0]


def test_refresh_keeps_the_nesting_clamp(scope):
    # A timer set at nesting level > 5 with timeout 0 got 4: refresh uses the 4.
    depth, ids = [0], []

    def nest():
        depth[0] += 1
        if depth[0] < 7:
            ids.append(scope.setTimeout(nest, 0))

    scope.setTimeout(nest, 0)
    scope.run_for(0)
    while depth[0] < 6:
        scope.run_next()
    last = ids[-1]
    start = scope.now()
    assert scope.refresh(last)
    assert scope.active_timers[last] == start + 4


def test_refresh_rejects_a_non_integer_id(scope):
    with pytest.raises(TypeError, match="id"):
        scope.refresh("1")
    with pytest.raises(TypeError, match="id"):
        scope.unref(1.5)


def test_unref_timers_do_not_hold_run(scope, clock):
    fired = []
    scope.setTimeout(fired.append, 100, "ref'd")
    u = scope.setInterval(fired.append, 30, "unref'd")
    assert scope.unref(u) is True and scope.has_ref(u) is False
    scope.run()
    # The unref'd interval ran while the loop was alive for the ref'd timer, no longer.
    assert fired == ["unref'd", "unref'd", "unref'd", "ref'd"]
    assert clock.now() == 100.0
    assert scope.count_timers() == 1 and u in scope.active_timers


def test_run_returns_at_once_when_every_timer_is_unrefd(scope, clock):
    fired = []
    u = scope.setTimeout(fired.append, 10, "x")
    scope.unref(u)
    scope.run()
    assert fired == [] and clock.now() == 0.0
    scope.run_for(10)                  # run_for runs to its end: unref'd timers fire
    assert fired == ["x"]


def test_ref_undoes_unref(scope):
    fired = []
    u = scope.setTimeout(fired.append, 10, "x")
    scope.unref(u)
    assert scope.ref(u) is True and scope.has_ref(u)
    scope.run()
    assert fired == ["x"]
    assert scope.ref(u) is False and scope.unref(u) is False   # fired: not live


def test_unref_survives_interval_rounds_and_clear_forgets_it(scope):
    u = scope.setInterval(lambda: None, 10)
    scope.unref(u)
    k = scope.setTimeout(lambda: None, 35)
    scope.run()
    assert not scope.has_ref(u) and scope.now() == 35.0
    scope.clearInterval(u)
    assert not scope._waits_for_timers() and scope.count_timers() == 0
    r = scope.setTimeout(lambda: None, 5)
    assert scope._waits_for_timers()     # the cleared unref'd timer no longer counts
    del k, r


def test_unrefd_timer_does_not_hold_run_async(clock):
    import asyncio
    import timercore

    async def main():
        w = timercore.Window(clock=clock, loop=asyncio.get_running_loop())
        fired = []
        w.unref(w.setTimeout(fired.append, 1000, "late"))
        w.setTimeout(fired.append, 10, "soon")
        await w.run_async()
        w.close()
        return fired

    assert asyncio.run(main()) == ["soon"]


def test_refresh_many_is_refresh_for_each_id(scope):
    import numpy as np
    fired = []
    ids = [scope.setTimeout(fired.append, 100, n) for n in range(5)]
    scope.run_for(40)
    stale = scope.setTimeout(lambda: None, 1)
    scope.run_for(1)                                # `stale` fired: no longer pending
    assert scope.refresh_many(np.array([ids[1], ids[3], stale, 0, -5, 2**40])) == 2
    assert scope.refresh_many([ids[0]]) == 1 and scope.refresh_many([]) == 0
    scope.run()
    assert fired == [2, 4, 1, 3, 0]                 # 1 and 3 at 141, then 0 at 141 after them
    assert [scope.now()] == [141.0]


def test_refresh_many_rejects_non_integer_ids(scope):
    import numpy as np
    import pytest
    with pytest.raises(TypeError, match="ids"):
        scope.refresh_many(np.array([1.5]))
    with pytest.raises(TypeError, match="ids"):
        scope.refresh_many([[1, 2]])


def test_refresh_of_an_interval_from_its_own_task_returns_false(scope):
    # While its task runs the interval is not pending in the wheel (it re-arms itself when
    # the task ends), so refresh has nothing to move.
    seen = []

    def tick():
        seen.append(scope.refresh(i))
        if len(seen) == 2:
            scope.clearInterval(i)
    i = scope.setInterval(tick, 100)
    scope.run_for(250)
    assert seen == [False, False] and scope.errors == []
    assert scope.count_timers() == 0


def test_a_timer_queued_in_the_same_batch_is_not_pending_to_refresh_clear_or_snapshot(scope):
    # Due together: when the first task runs, the second has fired and its task is queued
    # (the wheel leaves a fired timer's tag as it was; the scope knows it fired). It is no
    # pending timer then: refresh and refresh_many say so, the snapshot does not list it,
    # and it still runs once, unless cleared.
    seen = {}
    log = []

    def first():
        seen["refresh"] = scope.refresh(second)
        seen["refresh_many"] = scope.refresh_many([second])
        seen["snapshot"] = scope.timers_snapshot().ids.tolist()
        scope._check()
        log.append("first")

    scope.setTimeout(first, 10)
    second = scope.setTimeout(lambda: log.append("second"), 10)
    third = scope.setTimeout(lambda: log.append("third"), 500)
    scope.run()
    assert seen == {"refresh": False, "refresh_many": 0, "snapshot": [third]}
    assert log == ["first", "second", "third"]
    scope._check()


def test_an_interval_pending_again_after_its_task_is_cleared_from_another_timer(scope):
    # Its task re-arms it (filed again: pending in the wheel), so a clear from a later
    # timer takes it out of the wheel, and the scope's invariants hold throughout.
    ticks = []
    iv = scope.setInterval(lambda: ticks.append(scope.now()), 10)
    scope.setTimeout(lambda: (scope.clearInterval(iv), scope._check()), 25)
    scope.run()
    assert ticks == [10.0, 20.0]
    scope._check()


def test_a_timer_queued_in_the_same_batch_cleared_by_an_earlier_task_leaves_the_wheel_whole(
        scope):
    # Its slot fired (the wheel left its tag as it was), so the clear must not cancel it in
    # the wheel: the scope's invariants hold at once, and the timers after it still run.
    log = []

    def first():
        scope.clearTimeout(second)
        scope._check()
        scope.setTimeout(lambda: log.append("later"), 5)
        log.append("first")

    scope.setTimeout(first, 10)
    second = scope.setTimeout(lambda: log.append("second"), 10)
    for delay in range(20, 100, 10):
        scope.setTimeout(lambda d=delay: log.append(d), delay)
    scope.run()
    scope._check()
    assert log == ["first", "later", 20, 30, 40, 50, 60, 70, 80, 90]
