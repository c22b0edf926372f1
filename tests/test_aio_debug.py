"""Debug mode on timercore's loops, as on the loop each one stands in for: a finished handle
keeps nothing alive, the same thread check, one slow-callback warning in the base loop's
words, source tracebacks. (uvloop's and anyio's own suites check the same from outside:
.ci/peer_suites.py.)"""
import contextvars
import logging
import re
import sys
import weakref

import pytest

# Each timercore loop and the loop it must behave like.
PAIRS = [("asyncio", "wheel"), ("uvloop", "wheel-uvloop"), ("rloop", "wheel-rloop")]


class Payload:
    def method(self, *args):
        pass


@pytest.fixture
def debug_loop(make_loop, request):
    loops = []

    def make(variant):
        loop = make_loop(variant)
        loop.set_debug(True)
        loops.append(loop)
        return loop
    yield make
    for loop in loops:
        if not loop.is_closed():
            loop.close()


@pytest.mark.parametrize("outcome", ["cancelled", "ran"])
def test_a_finished_handle_holds_nothing_and_still_says_what_it_was(wheel_loop, outcome):
    wheel_loop.set_debug(True)
    payload, arg, ctx = Payload(), Payload(), contextvars.copy_context()
    refs = [weakref.ref(payload), weakref.ref(arg), weakref.ref(ctx)]
    h = wheel_loop.call_later(0 if outcome == "ran" else 60, payload.method, arg, context=ctx)
    del payload, arg, ctx
    if outcome == "ran":
        done = wheel_loop.create_future()
        wheel_loop.call_later(0, done.set_result, None)      # runs after h (FIFO ties)
        wheel_loop.run_until_complete(done)
    else:
        h.cancel()
    assert [r() for r in refs] == [None, None, None]      # no garbage collection needed
    assert h._callback is None and h._args is None and h.get_context() is None
    text = repr(h)
    assert "Payload.method" in text and "created at" in text and __file__ in text
    assert ("cancelled" in text) == (outcome == "cancelled")
    assert h._source_traceback and h._source_traceback[-1][0] == __file__


@pytest.mark.parametrize("variant", ["wheel", "wheel-uvloop", "wheel-rloop"])
def test_debug_mode_checks_the_thread_as_asyncio_and_uvloop_do(debug_loop, variant):
    loop = debug_loop(variant)
    errors = []

    def from_another_thread():
        for schedule in (lambda: loop.call_later(60, print),
                         lambda: loop.call_at(loop.time() + 60, print)):
            try:
                schedule()
            except RuntimeError as e:
                errors.append(str(e))

    async def main():                      # the loop runs while the other thread calls
        await loop.run_in_executor(None, from_another_thread)
    loop.run_until_complete(main())
    assert errors == ["Non-thread-safe operation invoked on an event loop other than the "
                      "current one"] * 2
    assert loop.pending_timers() == 0
    loop.call_later(60, print)             # the loop's own thread, loop not running: fine


def slow_warnings(loop, caplog, coro):
    """The slow-callback warnings while running coro, every callback counting as slow."""
    loop.slow_callback_duration = -1.0
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        caplog.clear()
        loop.run_until_complete(coro)
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Executing")]


@pytest.mark.parametrize("base, ours", PAIRS[:2])
def test_one_slow_timer_warning_in_the_base_loops_words(debug_loop, caplog, base, ours):
    def timer_warnings(variant):
        loop = debug_loop(variant)

        async def main():
            loop.call_later(0.001, Payload().method)
            done = loop.create_future()
            loop.call_later(0.001, done.set_result, None)    # due with it, runs after it
            await done
        return [m for m in slow_warnings(loop, caplog, main()) if "Payload.method" in m]

    want, got = timer_warnings(base), timer_warnings(ours)
    assert len(got) == len(want) == 1
    assert got[0].startswith("Executing <TimerHandle when=")


def test_a_slow_task_step_is_named_by_its_task(debug_loop, caplog):
    async def step():
        pass

    def task_warnings(variant):
        # A handle made from C code (a future's callback) was "created at" the innermost
        # Python frame: on asyncio's loop its Handle._run, where timercore's compiled run
        # has none (the loop's run_forever then). Frames inside asyncio are not compared.
        loop = debug_loop(variant)
        return [re.sub(r"created at \S+/asyncio/\S+:\d+>", "created at <asyncio>>",
                       re.sub(r"Task-\d+", "Task-N", m.split(" took ")[0]))
                for m in slow_warnings(loop, caplog, step())]

    want = task_warnings("asyncio")
    assert any(m.startswith("Executing <Task finished name='Task-N'") for m in want)
    assert task_warnings("wheel") == want


@pytest.mark.parametrize("base, ours", PAIRS[:2])
def test_source_tracebacks_end_where_the_timer_was_scheduled(debug_loop, base, ours):
    lines = []
    for variant in (base, ours):
        loop = debug_loop(variant)
        h = loop.call_later(60, print)
        frame = h._source_traceback[-1]
        lines.append((frame[0], frame[2]))
        h.cancel()
    assert lines[0] == lines[1] == (__file__, sys._getframe().f_code.co_name)
