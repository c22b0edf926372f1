"""Introspection: snapshots from C, counts and lateness per ordering identifier, and
creation sites on debug scopes."""
import numpy as np
import pytest

import timercore

TIMERS = "setTimeout/setInterval"


def test_wheel_snapshot_is_every_pending_timer_in_firing_order():
    w = timercore.TimerWheel()
    h = [w.insert(d, o) for d, o in [(5.0, 1), (1.0, 0), (3.0, 2), (3.0, 0), (9.0, 0)]]
    w.cancel(h[4])
    snap = w.snapshot()
    assert snap.handles.dtype == np.int64 and snap.deadlines.dtype == np.float64
    assert snap.handles.tolist() == [h[1], h[2], h[3], h[0]]     # FIFO among the 3.0s
    assert snap.deadlines.tolist() == [1.0, 3.0, 3.0, 5.0]
    assert snap.ordering_ids.tolist() == [0, 2, 0, 1]
    w.advance(3.0)
    assert w.snapshot().handles.tolist() == [h[0]]
    assert len(timercore.TimerWheel().snapshot().handles) == 0


def test_wheel_snapshot_agrees_with_the_wheel_at_scale():
    rng = np.random.default_rng(7)
    w = timercore.TimerWheel()
    handles = w.insert_many(rng.uniform(0, 1e6, 100_000))
    w.cancel_many(handles[::3])
    snap = w.snapshot()
    assert len(snap.handles) == len(w)
    assert np.all(np.diff(snap.deadlines) >= 0)
    assert set(snap.handles.tolist()) == set(np.delete(handles, np.s_[::3]).tolist())


def test_wheel_lateness_is_advance_time_minus_deadline_per_ordering_id():
    w = timercore.TimerWheel()
    for d in (0.0, 0.0, 0.0, 90.0):
        w.insert(d, 0)
    w.insert(50.0, 3)
    w.advance(100.0)
    s0, s3 = w.lateness(0), w.lateness(3)
    assert s0.count == 4 and s0.max == 100.0 and s0.mean == pytest.approx(77.5)
    assert s0.p50 == pytest.approx(100.0, rel=0.07) and s0.p99 == 100.0
    assert s3.count == 1 and s3.max == 50.0
    w.reset_lateness()
    assert w.lateness(0).count == 0
    assert timercore.TimerWheel(lateness=False).lateness(0).count == 0


def test_scope_timers_snapshot_ids_deadlines_orderings(scope):
    a = scope.setTimeout(lambda: None, 30)
    b = scope.setInterval(lambda: None, 10)
    key = scope.run_steps_after_timeout("test-ordering", 20, lambda: None)
    snap = scope.timers_snapshot()
    assert snap.ids.tolist() == [b, 0, a]                # run-steps entries have id 0
    assert snap.deadlines.tolist() == [10.0, 20.0, 30.0]
    assert [snap.orderings[o] for o in snap.ordering_ids] == [TIMERS, "test-ordering", TIMERS]
    assert snap.sites is None
    assert scope.timer_counts() == {TIMERS: 2, "test-ordering": 1}
    del key


def test_scope_snapshot_deadlines_follow_suspension(scope, clock):
    scope.setTimeout(lambda: None, 100)
    scope.suspend()
    clock.advance(40)
    scope.resume()
    assert scope.timers_snapshot().deadlines.tolist() == [140.0]
    assert list(scope.active_timers.values()) == [140.0]


def test_scope_lateness_measures_how_late_each_task_started(scope, clock):
    def busy():
        clock.advance(25)              # a callback that takes 25 ms

    scope.setTimeout(busy, 10)
    scope.setTimeout(lambda: None, 10)   # due at 10, starts at 35: 25 late
    scope.setTimeout(lambda: None, 100)  # on time
    scope.run()
    stats = scope.lateness_stats(TIMERS)
    assert stats.count == 3 and stats.max == 25.0
    assert stats.p50 == 0.0 and stats.p99 == pytest.approx(25.0, rel=0.07)
    assert scope.lateness_stats() == {TIMERS: stats}
    scope.reset_lateness_stats()
    assert scope.lateness_stats() == {}
    assert scope.lateness_stats("never used").count == 0
    with pytest.raises(TypeError, match="ordering_identifier"):
        scope.lateness_stats(3)


def test_debug_scope_records_creation_sites(clock):
    w = timercore.Window(clock=clock, debug=True)

    def make_connection():
        return w.setTimeout(lambda: None, 1000)

    for _ in range(3):
        make_connection()
    w.set_interval(lambda: None, 50)
    sites = w.creation_sites()
    assert sum(sites.values()) == 4
    top, count = sites.most_common(1)[0]
    assert count == 3 and top.endswith("in make_connection") and __file__ in top
    snap = w.timers_snapshot()
    assert len(snap.sites) == 4 and all(s is not None for s in snap.sites)
    w.run_for(1000)
    w.clearInterval(4)
    assert w.creation_sites() == {}          # fired and cleared timers are forgotten
    w.close()


def test_debug_string_handlers_see_the_recording_functions(clock):
    w = timercore.Window(clock=clock, debug=True)
    w.setTimeout("setTimeout(lambda: None, 5)", 0)
    w.run_for(1)
    assert sum(w.creation_sites().values()) == 1
    w.close()


def test_creation_sites_need_debug(scope):
    with pytest.raises(RuntimeError, match="debug=True"):
        scope.creation_sites()
    with pytest.raises(TypeError, match="debug"):
        timercore.Window(debug="yes")


def test_a_bare_scope_core_works_with_the_cores_defaults(caplog):
    # The core's upcalls (report_exception, _run_coroutine) have core defaults: a bare
    # ScopeCore, constructible from _core.pyi, reports instead of raising AttributeError.
    import logging

    from timercore import VirtualClock
    from timercore._core import ScopeCore

    async def coro():
        pass

    caplog.set_level(logging.ERROR, logger="timercore")
    core = ScopeCore(clock=VirtualClock())
    log = []
    core.queueMicrotask(lambda: 1 / 0)
    core.queueMicrotask(lambda: coro())    # a plain function that returns a coroutine
    core.queueMicrotask(lambda: log.append("after"))
    core._perform_microtask_checkpoint()
    assert log == ["after"]
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["Uncaught ZeroDivisionError", "Uncaught TypeError"]
    assert "only run on a scope hosted on asyncio" in str(caplog.records[1].exc_info[1])


def test_the_house_has_three_levels_on_each_side():
    # Window -> GlobalScope over the compiled ScopeCore -> Timers -> ScopeState; parts
    # with their own state are owned objects, each closed by name (docs/architecture.md).
    from timercore.introspection import CreationSites
    from timercore.promises import Awaitables
    from timercore.threads import StagedBatches

    assert [c.__name__ for c in timercore.Window.__mro__] == [
        "Window", "GlobalScope", "ScopeCore", "Timers", "ScopeState", "EventTarget", "object"]
    w = timercore.Window(clock=timercore.VirtualClock())
    assert isinstance(w._staged, StagedBatches)
    assert isinstance(w._awaitables, Awaitables)
    assert isinstance(w._sites, CreationSites)
    w.close()
