"""call_soon on timercore's asyncio loop (WheelEventLoop): a compiled Handle on asyncio's
ready queue. Each behaviour is checked on asyncio's own loop too, so the two agree."""
import asyncio
import contextvars
import gc
import threading
import weakref

import pytest

from timercore import VirtualClock, _core, aio


@pytest.fixture(params=["asyncio", "wheel"])
def loop(request, make_loop):
    loop = make_loop(request.param)
    yield loop
    loop.close()


def run_ready(loop):
    """One turn: what is on the ready queue now runs."""
    loop.call_soon(loop.stop)
    loop.run_forever()


def test_call_soon_runs_in_fifo_order_with_the_other_ready_handles(loop):
    log = []
    for i in range(5):
        loop.call_soon(log.append, i)
        loop.call_soon_threadsafe(log.append, f"t{i}")     # asyncio's own Handle
    run_ready(loop)
    assert log == [0, "t0", 1, "t1", 2, "t2", 3, "t3", 4, "t4"]


def test_the_wheel_loops_call_soon_handle_is_compiled_and_not_tracked_by_the_gc():
    loop = aio.new_event_loop()
    h = loop.call_soon(print)
    assert type(h) is _core.Handle
    assert not gc.is_tracked(h)
    assert isinstance(loop.call_later(1, print), _core.LoopCallback)  # what both share
    assert isinstance(h, _core.LoopCallback)
    loop.close()


def test_a_handle_can_be_weakly_referenced(loop):
    h = loop.call_soon(print)
    handles = weakref.WeakValueDictionary(h=h)       # as asyncio's (uvloop's suite does it)
    assert handles["h"] is h


def test_a_handle_cancelled_before_its_turn_never_runs_and_lets_its_callback_go(loop):
    class Callback:
        def __call__(self):
            ran.append(1)

    ran, cb = [], Callback()
    alive = weakref.ref(cb)
    h = loop.call_soon(cb)
    del cb
    assert not h.cancelled()
    h.cancel()
    h.cancel()                                                   # twice: no effect
    assert h.cancelled()
    assert "cancelled" in repr(h)
    gc.collect()
    assert alive() is None or loop.get_debug()                   # asyncio: dropped too
    run_ready(loop)
    assert ran == []


def test_a_cycle_through_a_handle_that_ran_is_freed(make_loop):
    loop = make_loop("wheel")

    class Callback:
        def __call__(self):
            pass

    cb = Callback()
    cb.handle = loop.call_soon(cb)           # callback -> handle -> callback
    alive = weakref.ref(cb)
    del cb
    run_ready(loop)
    gc.collect()
    assert alive() is None
    loop.close()


def test_call_soon_runs_in_a_copy_of_the_context_it_was_called_in(loop):
    var = contextvars.ContextVar("var", default="unset")
    seen = []

    def callback():
        seen.append(var.get())
        var.set("set by the callback")

    token = var.set("at call_soon")
    loop.call_soon(callback)
    var.reset(token)                              # changed after: the copy keeps its value
    loop.call_soon(callback)
    ctx = contextvars.copy_context()
    ctx.run(var.set, "given")
    loop.call_soon(callback, context=ctx)
    run_ready(loop)
    assert seen == ["at call_soon", "unset", "given"]
    assert var.get() == "unset"                   # nothing a callback set leaked out
    assert ctx[var] == "set by the callback"      # a given context is run in, as asyncio


def test_a_callbacks_exception_goes_to_the_handler_and_the_queue_goes_on(loop):
    contexts, log = [], []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))
    h = loop.call_soon(lambda: 1 / 0)
    loop.call_soon(log.append, "next")
    run_ready(loop)
    (ctx,) = contexts
    assert isinstance(ctx["exception"], ZeroDivisionError)
    assert ctx["message"].startswith("Exception in callback test_a_callbacks_exception")
    assert ".<lambda>() at " in ctx["message"]
    assert ctx["handle"] is h
    assert log == ["next"]


def test_keyboard_interrupt_propagates_and_the_rest_runs_next_time(loop):
    log = []

    def interrupt():
        raise KeyboardInterrupt

    loop.call_soon(interrupt)
    loop.call_soon(log.append, "after")
    with pytest.raises(KeyboardInterrupt):
        loop.run_forever()
    run_ready(loop)
    assert log == ["after"]


def test_the_handle_reads_as_asyncios(make_loop):
    def callback(x):
        pass

    reprs = []
    for variant in ("asyncio", "wheel"):
        loop = make_loop(variant)
        h = loop.call_soon(callback, 1)
        reprs.append(repr(h).split(" at ")[0])
        assert h._callback is callback and h._args == (1,)
        assert isinstance(h._context, contextvars.Context)
        assert h._loop is loop
        loop.close()
    assert reprs[0] == reprs[1]      # (the arguments shown only in debug mode from 3.14)
    assert reprs[1].startswith("<Handle test_the_handle_reads_as_asyncios.<locals>.callback(")


def test_call_soon_on_a_closed_loop_raises(loop):
    loop.close()
    with pytest.raises(RuntimeError, match="Event loop is closed"):
        loop.call_soon(print)


def test_debug_mode_checks_the_callback_and_the_thread(loop):
    loop.set_debug(True)

    async def coroutine_function():
        pass

    with pytest.raises(TypeError, match="a callable object was expected by call_soon"):
        loop.call_soon(42)
    with pytest.raises(TypeError, match="coroutines cannot be used with call_soon"):
        loop.call_soon(coroutine_function)
    errors = []

    async def main():
        def other_thread():
            try:
                loop.call_soon(print)
            except RuntimeError as exc:
                errors.append(str(exc))
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()

    loop.run_until_complete(main())
    assert len(errors) == 1 and "thread" in errors[0]
    h = loop.call_soon(print)
    assert h._source_traceback[-1].name == "test_debug_mode_checks_the_callback_and_the_thread"


def test_futures_and_tasks_wake_through_it(loop):
    async def main():
        fut = loop.create_future()
        loop.call_soon(fut.set_result, "woken")
        return await fut

    assert loop.run_until_complete(main()) == "woken"


def test_a_subclass_that_overrides_a_loop_method_keeps_its_own():
    calls = []

    class LoggingLoop(aio.WheelEventLoop):
        def call_soon(self, callback, *args, context=None):
            calls.append("call_soon")
            return super().call_soon(callback, *args, context=context)

        def call_later(self, delay, callback, *args, context=None):
            calls.append("call_later")
            return super().call_later(delay, callback, *args, context=context)

    loop = LoggingLoop(clock=VirtualClock())            # the sleep takes no real time
    loop.run_until_complete(asyncio.sleep(1))
    assert "call_soon" in calls and "call_later" in calls
    assert type(loop.call_at(loop.time() + 1, print)) is _core.TimerHandle   # not overridden
    assert loop.call_soon.__func__ is LoggingLoop.call_soon
    loop.close()


@pytest.mark.parametrize("method", ["call_soon", "call_later", "call_at"])
def test_a_context_that_is_no_context_is_a_type_error_at_the_call(make_loop, method):
    loop = make_loop("wheel")
    args = {"call_soon": (), "call_later": (0,), "call_at": (loop.time(),)}[method]
    for bad in (1, {}, "ctx"):
        with pytest.raises(TypeError, match="context must be a contextvars.Context or None"):
            getattr(loop, method)(*args, print, context=bad)
    assert len(loop._ready) == 0 and loop.pending_timers() == 0      # nothing was queued
    loop.close()
