"""asyncio integration.

Hosting a scope on a running asyncio loop (``Window(loop=loop)``): the scope keeps one
``loop.call_at`` handle for its next wake-up (the wheel's next expiry, or the end of an
idle period), whatever the number of pending timers, plus at most one ``call_soon`` while
tasks or microtasks are queued. Each turn runs, in spec order, a microtask checkpoint,
the queued tasks, the due timers (one task each, a checkpoint after each), and when
nothing is runnable and the asyncio loop has nothing ready either, an idle period.

Simple dialogs are synchronous, as in browsers: on a hosted scope, ``alert()`` and
friends block the asyncio thread and so every scope on it. ``await w.alert_async(...)``,
``confirm_async`` and ``prompt_async`` instead run the provider in a worker thread and
pause only this scope (no task, timer or microtask of it runs until the answer comes;
other scopes and coroutines go on).
"""
from __future__ import annotations

import asyncio
import contextvars
import math
import selectors as _selectors
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, Coroutine, TypeVar, TypeVarTuple, Unpack

from timercore._core import TaskLimitReached, TimerHandle, WheelTimers, selector_run_once

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


IDLE_RETRY_MS = 1.0    # how soon to look again for an idle asyncio loop


class AsyncioHost:
    """Drives one scope from an asyncio loop (created by the scope for ``loop=``)."""

    def __init__(self, scope: Any, loop: asyncio.AbstractEventLoop) -> None:
        if not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"loop must be an asyncio event loop, not {type(loop).__name__}")
        self.scope = scope
        self.loop = loop
        self._timer: asyncio.TimerHandle | None = None
        self._soon: asyncio.Handle | None = None
        self._in_turn = False
        self._paused = 0
        self._waiters: list[asyncio.Future[None]] = []
        # A virtual-time WheelEventLoop on the scope's own VirtualClock moves that clock
        # itself, from timer to timer, the scope's wake-ups and the loop's own timers
        # (asyncio.sleep, ...) in one order: the scope then never jumps it.
        self._loop_moves_clock = getattr(loop, "_virtual", None) is scope.clock
        scope._set_host(self._wake)
        self._wake()

    # -- scheduling ----------------------------------------------------------------------

    def _wake(self) -> None:
        """Something became runnable sooner than planned: take a turn soon."""
        if self._in_turn or self._soon is not None or self._paused or self.scope.closed:
            return
        self._soon = self.loop.call_soon(self._turn)

    def _turn(self) -> None:
        self._soon = None
        if self._paused or self.scope.closed:
            return
        self._in_turn = True
        did_work = True
        try:
            did_work = self.scope._host_turn(self._loop_is_idle())
        except TaskLimitReached as exc:      # run_async(loop_limit=...) ran out: it raises
            self._finish_waiters(exc)
        finally:
            self._in_turn = False
            self._rearm(did_work)

    def _loop_is_idle(self) -> bool:
        ready = getattr(self.loop, "_ready", None)    # asyncio's run queue (not uvloop's)
        return ready is None or len(ready) == 0

    def _rearm(self, did_work: bool = False) -> None:
        scope = self.scope
        if scope.closed:
            self._cancel()
            self._finish_waiters()
            return
        wake = scope._next_turn_at(did_work, IDLE_RETRY_MS)
        if wake == -math.inf:
            # Runnable now, or idle callbacks wait and an idle period may start once the
            # work just done is over: take another turn before time moves on.
            scope._set_armed(-math.inf)
            if self._soon is None:
                self._soon = self.loop.call_soon(self._turn)
            return
        if not scope._waits():
            self._finish_waiters()     # only unref'd timers are left: they stay armed
        if wake is None:
            self._cancel_timer()
            scope._set_armed(math.inf)
            return
        scope._set_armed(wake)
        if scope.clock.is_virtual and not self._loop_moves_clock:
            # Virtual time on a real loop: nothing else can make time pass, so jump, but
            # only once asyncio has nothing ready (coroutines woken by the last turn run
            # first, at the time they were woken).
            if self._loop_is_idle():
                scope._jump_clock(wake)
            self._cancel_timer()
            if self._soon is None:
                self._soon = self.loop.call_soon(self._turn)
            return
        if self._loop_moves_clock:
            # Loop time is the clock's time in seconds: arm at a `when` the loop's jump
            # (when * 1000 ms) does not round below the wake-up, or no time would pass.
            when = wake / 1000.0
            while when * 1000.0 < wake:
                when = math.nextafter(when, math.inf)
        else:
            when = self.loop.time() + max(0.0, wake - scope.now()) / 1000.0
        if self._timer is not None and not self._timer.cancelled() and \
                abs(self._timer.when() - when) < 1e-6:
            return
        self._cancel_timer()
        self._timer = self.loop.call_at(when, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None          # not armed any more: _rearm must arm again
        self._turn()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _cancel(self) -> None:
        self._cancel_timer()
        if self._soon is not None:
            self._soon.cancel()
            self._soon = None

    def scheduled_handles(self) -> int:
        """How many asyncio handles the scope holds now (0, 1 or 2)."""
        return sum(h is not None and not h.cancelled() for h in (self._timer, self._soon))

    # -- waiting and pausing ---------------------------------------------------------------

    def _finish_waiters(self, exc: BaseException | None = None) -> None:
        waiters, self._waiters = self._waiters, []
        for f in waiters:
            if not f.done():
                if exc is None:
                    f.set_result(None)
                else:
                    f.set_exception(exc)

    async def run_async(self) -> None:
        """Wait until nothing is pending in the scope."""
        future = self.loop.create_future()
        self._waiters.append(future)
        self._wake()
        await future

    async def in_thread(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run ``fn(*args)`` in a worker thread with this scope paused meanwhile."""
        self._paused += 1
        self._cancel()
        try:
            return await self.loop.run_in_executor(None, fn, *args)
        finally:
            self._paused -= 1
            if not self._paused:
                self._rearm()

    def close(self) -> None:
        self._cancel()
        self._finish_waiters()


# -- loops whose timers run on the wheel ----------------------------------------------------

IO_LOOPS = ("asyncio", "uvloop", "rloop")


def _attach(loop: Any, timers: WheelTimers, own_clock: bool = False,
            own_ready: bool = False) -> None:
    """Make the wheel the loop's timers: its call_at / call_later (with ``own_clock`` its
    time, with ``own_ready`` its call_soon onto asyncio's ready queue) become the compiled
    methods of ``timers`` (instance attributes, so no Python frame runs in between). A
    method a subclass of the loop overrides stays the subclass's."""
    loop._wheel_timers = timers
    compiled: dict[str, Callable[..., Any]] = {"call_at": timers.call_at,
                                               "call_later": timers.call_later}
    if own_clock:
        compiled["time"] = timers.time
    if own_ready:
        compiled["call_soon"] = timers.call_soon
    for name, method in compiled.items():
        if not _overridden(type(loop), name):
            setattr(loop, name, method)


def _overridden(cls: type, name: str) -> bool:
    """Whether a subclass of one of timercore's loop classes defines ``name``."""
    for c in cls.__mro__:
        if c.__module__ == __name__:
            return False             # timercore's own class reached first
        if name in vars(c):
            return True
    return False


if TYPE_CHECKING:
    _LoopBase = asyncio.BaseEventLoop       # what the mixin is mixed into, for mypy
else:
    _LoopBase = object


class _WheelTimersMixin(_LoopBase):
    """What every timercore loop adds to its base loop (the I/O is the base's)."""

    _wheel_timers: WheelTimers | None = None    # None while the base loop initialises

    def call_at(self, when: float, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts],
                context: contextvars.Context | None = None) -> TimerHandle:
        """As asyncio's call_at, on the wheel: O(1). (Each loop's own ``call_at`` is the
        compiled ``WheelTimers.call_at``; this is for calls through the class.)"""
        return self._timers().call_at(when, callback, *args, context=context)

    def call_later(self, delay: float, callback: Callable[[Unpack[_Ts]], object],
                   *args: Unpack[_Ts], context: contextvars.Context | None = None
                   ) -> TimerHandle:
        """As asyncio's call_later, on the wheel: O(1)."""
        return self._timers().call_later(delay, callback, *args, context=context)

    def _timers(self) -> WheelTimers:
        assert self._wheel_timers is not None
        return self._wheel_timers

    def pending_timers(self) -> int:
        """How many timers are pending (cancelled ones are not counted)."""
        return len(self._timers())

    def set_debug(self, enabled: bool) -> None:
        super().set_debug(enabled)
        if self._wheel_timers is not None:
            self._wheel_timers.debug = bool(enabled)

    def close(self) -> None:
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        # Cancels every pending timer and lets go of the loop: a closed loop is freed by
        # reference counting, as asyncio's is.
        if self._wheel_timers is not None:
            self._wheel_timers.close()
        super().close()


class WheelEventLoop(_WheelTimersMixin, asyncio.SelectorEventLoop):
    """A drop-in asyncio event loop whose call_at / call_later (and so asyncio.sleep,
    wait_for, asyncio.timeout, ...) run on timercore's timing wheel, compiled end to end;
    the I/O is asyncio's selector loop.

    Differences from asyncio's loop, all deliberate (see docs/asyncio.md):
    - timers with equal ``when`` run in the order they were scheduled (asyncio leaves it
      undefined), and never before ``when`` (asyncio runs them up to one clock
      resolution early);
    - ``handle.cancel()`` marks the handle and drops its callback; the wheel's cancelled
      entries go in one pass once they outnumber the live ones (asyncio's rule);
    - handles are ``timercore._core.TimerHandle`` and, from ``call_soon``,
      ``timercore._core.Handle`` (duck-typed like asyncio's, as uvloop's are), not
      instances of ``asyncio.TimerHandle`` / ``asyncio.Handle``; a handle drops its
      callback once it has run;
    - with ``clock=VirtualClock()``, ``time()`` is virtual and the loop jumps to the next
      timer whenever no I/O is ready and nothing is runnable.
    """

    _run_once = selector_run_once      # compiled: asyncio's iteration, the wheel for the heap

    def __init__(self, selector: _selectors.BaseSelector | None = None, *,
                 clock: Any = None) -> None:
        from timercore.clocks import VirtualClock
        super().__init__(selector)
        if clock is not None and not isinstance(clock, VirtualClock):
            self.close()
            raise TypeError("clock must be a timercore.VirtualClock (or None for real "
                            f"time), not {type(clock).__name__}")
        self._virtual = clock
        _attach(self, WheelTimers(self, clock=clock), own_clock=True, own_ready=True)

    def time(self) -> float:
        return self._timers().time()


_foreign_classes: dict[str, type] = {}


def _foreign_loop_class(io: str) -> type:
    """A loop class of ``io``'s (uvloop, rloop) whose timers run on the wheel, driven by
    one native timer of that loop armed at the wheel's next expiry."""
    cls = _foreign_classes.get(io)
    if cls is not None:
        return cls
    try:
        if io == "uvloop":
            import uvloop
            base: Any = uvloop.Loop
        else:
            import rloop
            base = rloop.RLoop
    except ImportError:
        raise ImportError(f"io={io!r} needs {io}: pip install {io}") from None
    native_call_later = base.call_later
    # uvloop's time() is CLOCK_MONOTONIC cached once per iteration in whole milliseconds,
    # so a timer set from it can run up to a millisecond before its delay has passed. The
    # same clock read afresh (as asyncio's loop reads it) keeps every timer at or after
    # its delay. rloop's clock has an epoch of its own: its time() stays.
    precise = io == "uvloop"

    def __init__(self: Any) -> None:
        base.__init__(self)
        _attach(self, WheelTimers(self, time_fn=None if precise else self.time,
                                  native_call_later=native_call_later), own_clock=precise)

    cls = type(f"Wheel{base.__name__}", (_WheelTimersMixin, base), {
        "__init__": __init__, "__module__": __name__,
        "__doc__": f"{base.__module__}.{base.__name__} with its timers on timercore's wheel."})
    _foreign_classes[io] = cls
    return cls


def new_event_loop(*, clock: Any = None, io: str = "asyncio") -> asyncio.AbstractEventLoop:
    """A new event loop whose timers run on the wheel, on the I/O of ``io``: "asyncio"
    (a WheelEventLoop; ``clock=VirtualClock()`` for virtual time), "uvloop" or "rloop"
    (installed with the extras of those names)."""
    if io == "asyncio":
        return WheelEventLoop(clock=clock)
    if io not in IO_LOOPS:
        raise ValueError(f"io must be one of {', '.join(map(repr, IO_LOOPS))}, not {io!r}")
    if clock is not None:
        raise ValueError(f"clock= (virtual time) needs io='asyncio', not io={io!r}")
    loop: asyncio.AbstractEventLoop = _foreign_loop_class(io)()
    return loop


def new_uvloop_event_loop() -> asyncio.AbstractEventLoop:
    """``new_event_loop(io="uvloop")`` as a zero-argument factory (for ``uvicorn --loop``)."""
    return new_event_loop(io="uvloop")


def new_rloop_event_loop() -> asyncio.AbstractEventLoop:
    """``new_event_loop(io="rloop")`` as a zero-argument factory (for ``uvicorn --loop``)."""
    return new_event_loop(io="rloop")


def run(main: Coroutine[Any, Any, _T], *, debug: bool | None = None, clock: Any = None,
        io: str = "asyncio") -> _T:
    """Like asyncio.run / uvloop.run, on a loop from ``new_event_loop(clock=, io=)``."""
    with asyncio.Runner(debug=debug,
                        loop_factory=lambda: new_event_loop(clock=clock, io=io)) as runner:
        return runner.run(main)


def __getattr__(name: str) -> Any:
    # The policy class is made on first use only: asyncio's policy system is deprecated
    # from Python 3.14 and gone from 3.16, and nothing else in timercore touches it.
    if name == "EventLoopPolicy":
        with warnings.catch_warnings():       # asyncio's warning names a class the user
            warnings.simplefilter("ignore", DeprecationWarning)     # never wrote
            base = getattr(asyncio, "DefaultEventLoopPolicy", None)
        if base is None:
            raise AttributeError(
                f"module {__name__!r} has no attribute 'EventLoopPolicy': this Python's "
                "asyncio has no event-loop policies; pass "
                "loop_factory=timercore.aio.new_event_loop to asyncio.run() or "
                "asyncio.Runner() instead", name=name, obj=sys.modules[__name__])
        if sys.version_info >= (3, 14):
            warnings.warn(
                "timercore.aio.EventLoopPolicy: asyncio's event-loop policies are deprecated "
                "since Python 3.14 and removed in 3.16; pass "
                "loop_factory=timercore.aio.new_event_loop to asyncio.run() or "
                "asyncio.Runner() instead", DeprecationWarning, stacklevel=2)

        class EventLoopPolicy(base):  # type: ignore[valid-type,misc]
            """An event-loop policy whose new loops are WheelEventLoops (deprecated with
            asyncio's policies: use ``loop_factory=timercore.aio.new_event_loop``)."""

            def new_event_loop(self) -> asyncio.AbstractEventLoop:
                return new_event_loop()

        globals()[name] = EventLoopPolicy      # made, and warned about, once
        return EventLoopPolicy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
