"""HTML §8.7 queueMicrotask and the event loop's microtask checkpoint."""
import pytest


def test_8_7_queueMicrotask_runs_after_the_current_task_before_the_next(scope):
    log = []

    def task(name):
        log.append(name)
        scope.queueMicrotask(lambda: log.append(f"micro after {name}"))

    scope.setTimeout(task, 0, "t1")
    scope.setTimeout(task, 0, "t2")
    scope.run()
    assert log == ["t1", "micro after t1", "t2", "micro after t2"]


def test_8_7_microtasks_queued_by_microtasks_run_in_the_same_checkpoint(scope):
    log = []

    def micro(n):
        log.append(n)
        if n < 3:
            scope.queueMicrotask(lambda: micro(n + 1))

    scope.setTimeout(lambda: scope.queueMicrotask(lambda: micro(0)), 0)
    scope.setTimeout(lambda: log.append("next task"), 0)
    scope.run()
    assert log == [0, 1, 2, 3, "next task"]


def test_8_7_top_level_microtasks_run_at_the_start_of_run_before_timers(scope):
    log = []
    scope.setTimeout(lambda: log.append("timer"), 0)
    scope.queueMicrotask(lambda: log.append("micro"))
    assert log == []                   # nothing runs until the loop does
    scope.run()
    assert log == ["micro", "timer"]


def test_8_7_microtask_exception_is_reported_and_the_rest_still_run(scope):
    log = []
    scope.queueMicrotask(lambda: 1 / 0)
    scope.queueMicrotask(lambda: log.append("second"))
    scope.run()
    assert log == ["second"]
    assert [type(e) for e in scope.errors] == [ZeroDivisionError]


@pytest.mark.parametrize("bad", [None, 1, "print(1)"])
def test_8_7_queueMicrotask_non_callable_is_a_TypeError(scope, bad):
    with pytest.raises(TypeError, match="callback"):
        scope.queueMicrotask(bad)


def test_8_7_checkpoint_is_not_reentrant(scope):
    """A microtask that runs the loop's checkpoint again does not recurse."""
    log = []

    def outer():
        log.append("outer")
        scope.queueMicrotask(lambda: log.append("inner"))
        scope._perform_microtask_checkpoint()       # flag set: returns at once
        log.append("outer done")

    scope.queueMicrotask(outer)
    scope.run()
    assert log == ["outer", "outer done", "inner"]
