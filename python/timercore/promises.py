"""Awaitable timers on a scope hosted on asyncio (Node's ``timers/promises``):
``await w.sleep(ms, value)`` and ``async for _ in w.interval(ms)``. Both are ordinary
scope timers (same ids, ordering, clamping and clock), and cancelling the awaiting
asyncio task clears them."""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Coroutine, TypeVar, overload
from timercore.threads import ThreadSafeScheduling

T = TypeVar("T")


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


class Awaitables(ThreadSafeScheduling):
    """await w.sleep(), async for _ in w.interval(): the link after ThreadSafeScheduling."""

    def _init_awaitables(self) -> None:
        self._awaiting: set[asyncio.Future[Any]] = set()
        self._coroutines: set[asyncio.Task[Any]] = set()   # asyncio keeps only weak refs

    def _run_coroutine(self, coro: Coroutine[Any, Any, Any]) -> None:
        """A timer callback returned a coroutine (an ``async def`` handler): run it as an
        asyncio task on the hosting loop; its exception is reported like a callback's."""
        if self._host is None:
            super()._run_coroutine(coro)        # the core's refusal (a TypeError)
            return
        task = self._host.loop.create_task(coro)
        self._coroutines.add(task)
        task.add_done_callback(self._coroutine_done)

    def _coroutine_done(self, task: asyncio.Task[Any]) -> None:
        self._coroutines.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            if isinstance(exc, Exception):
                self.report_exception(exc)

    def _fail_awaiting(self) -> None:
        """The scope closed: nothing it would have resolved waits forever."""
        for future in self._awaiting:
            if not future.done():
                future.set_exception(RuntimeError("the scope was closed"))
        self._awaiting = set()

    def _awaitable(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
        future = loop.create_future()
        self._awaiting.add(future)
        future.add_done_callback(self._awaiting.discard)
        return future

    def _hosted_loop(self, what: str) -> asyncio.AbstractEventLoop:
        if self._host is None:
            raise RuntimeError(f"{what}() needs a scope hosted on asyncio: "
                               "Window(loop=asyncio.get_running_loop())")
        return self._host.loop

    @overload
    async def sleep(self, ms: float = 0) -> None: ...
    @overload
    async def sleep(self, ms: float, value: T) -> T: ...

    async def sleep(self, ms: float = 0, value: T | None = None) -> T | None:
        """Wait ``ms`` (a setTimeout on this scope), then return ``value``."""
        future: asyncio.Future[T | None] = self._awaitable(self._hosted_loop("sleep"))
        id = self.setTimeout(_resolve, ms, future, value)
        try:
            return await future
        finally:
            self.clearTimeout(id)

    @overload
    def interval(self, ms: float = 0) -> AsyncIterator[None]: ...
    @overload
    def interval(self, ms: float, value: T) -> AsyncIterator[T]: ...

    async def interval(self, ms: float = 0, value: T | None = None
                       ) -> AsyncIterator[T | None]:
        """Yield ``value`` every ``ms`` (a setInterval on this scope). Ticks that come
        while the consumer is busy are not dropped: each is yielded in turn. The interval
        is cleared when the loop ends, breaks (once the generator is closed: use
        ``contextlib.aclosing`` to close it at once) or its task is cancelled."""
        loop = self._hosted_loop("interval")
        ticks = 0
        waiter: asyncio.Future[None] | None = None

        def tick() -> None:
            nonlocal ticks
            ticks += 1
            if waiter is not None:
                _resolve(waiter, None)

        id = self.setInterval(tick, ms)
        try:
            while True:
                if not ticks:
                    waiter = self._awaitable(loop)
                    await waiter
                    waiter = None
                ticks -= 1
                yield value
        finally:
            self.clearInterval(id)
