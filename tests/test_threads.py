"""Threads: a scope belongs to its creating thread; schedule_threadsafe stages timers
from worker threads and merges them at the loop's next turn."""
import asyncio
import threading

import pytest

import timercore


def in_thread(fn):
    box = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as exc:       # noqa: BLE001 - carried back to the test
            box["error"] = exc
    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


@pytest.mark.parametrize("call", [
    lambda w: w.setTimeout(lambda: None, 1),
    lambda w: w.setInterval(lambda: None, 1),
    lambda w: w.clearTimeout(1),
    lambda w: w.queueMicrotask(lambda: None),
    lambda w: w.requestIdleCallback(lambda d: None),
    lambda w: w.refresh(1),
    lambda w: w.unref(1),
    lambda w: w.run_steps_after_timeout("x", 1, lambda: None),
    lambda w: w.run(),
])
def test_calls_from_another_thread_raise(scope, call):
    scope.setTimeout(lambda: None, 5)
    with pytest.raises(RuntimeError, match="belongs to the thread that created it"):
        in_thread(lambda: call(scope))
    assert scope.count_timers() == 1       # nothing changed


def test_schedule_threadsafe_merges_at_the_next_turn(scope):
    fired = []
    future = in_thread(lambda: scope.schedule_threadsafe(
        [(fired.append, 10, "a"), (fired.append, 5, "b")]))
    assert not future.done() and scope.count_timers() == 0      # staged, not yet merged
    scope.run()
    ids = future.result(timeout=0)
    assert fired == ["b", "a"] and len(ids) == 2 and all(isinstance(i, int) for i in ids)


def test_schedule_threadsafe_is_all_or_nothing(scope):
    future = in_thread(lambda: scope.schedule_threadsafe(
        [(lambda: None, 10), (lambda: None, object())]))
    scope.run()
    with pytest.raises(TypeError, match="timeout"):
        future.result(timeout=0)
    assert scope.count_timers() == 0


def test_schedule_threadsafe_checks_the_shape_in_the_caller(scope):
    with pytest.raises(TypeError, match=r"batch\[1\]"):
        scope.schedule_threadsafe([(print, 1), "not a tuple"])


def test_many_threads_post_batches_and_nothing_is_lost(scope):
    fired = []
    futures = []
    lock = threading.Lock()

    def worker(k):
        f = scope.schedule_threadsafe([(fired.append, (k * 7 + j) % 50, (k, j))
                                       for j in range(100)])
        with lock:
            futures.append(f)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    scope.run()
    assert sorted(fired) == sorted((k, j) for k in range(8) for j in range(100))
    assert sum(len(f.result(timeout=0)) for f in futures) == 800


def test_one_wakeup_for_a_batch_on_a_real_clock():
    """A run() sleeping on a real clock is woken by the batch, not by a poll."""
    w = timercore.Window()                       # MonotonicClock
    fired = []
    w.setTimeout(fired.append, 60_000, "far")    # run() would sleep a minute
    started = threading.Event()
    w.setTimeout(started.set, 0)

    def post():
        started.wait()
        w.schedule_threadsafe([(fired.append, 0, "posted"), (w.clearTimeout, 0, 1)])

    t = threading.Thread(target=post)
    t.start()
    w.run()                                       # returns once "far" is cleared
    t.join()
    assert fired == ["posted"]
    w.close()


def test_hosted_scope_is_woken_through_the_loop(clock):
    async def main():
        w = timercore.Window(clock=clock, loop=asyncio.get_running_loop())
        fired = []
        done = asyncio.get_running_loop().create_future()
        w.setTimeout(lambda: None, 0)
        await asyncio.to_thread(lambda: w.schedule_threadsafe(
            [(fired.append, 5, "x"), (done.set_result, 5, None)]))
        await done
        w.close()
        return fired
    assert asyncio.run(main()) == ["x"]


def test_close_fails_staged_batches(scope):
    future = in_thread(lambda: scope.schedule_threadsafe([(print, 1)]))
    scope.close()
    with pytest.raises(RuntimeError, match="closed"):
        future.result(timeout=0)
