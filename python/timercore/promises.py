"""Awaitable timers on a scope hosted on asyncio (Node's ``timers/promises``):
``await w.sleep(ms, value)`` and ``async for _ in w.interval(ms)``. Both are ordinary
scope timers (same ids, ordering, clamping and clock), and cancelling the awaiting
asyncio task clears them. Also the asyncio tasks of ``async def`` handlers. The state is
a part the scope owns (``GlobalScope._awaitables``), closed with it."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, AsyncIterator, Coroutine, TypeVar

from timercore._core import ScopeCore

if TYPE_CHECKING:
    from timercore.scope import GlobalScope

T = TypeVar("T")


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


class Awaitables:
    """What a hosted scope's asyncio side waits on: the futures of sleep() and interval(),
    and the tasks of ``async def`` handlers (asyncio keeps only weak references)."""

    def __init__(self, scope: GlobalScope) -> None:
        self._scope = scope
        self._futures: set[asyncio.Future[Any]] = set()
        self.tasks: set[asyncio.Task[Any]] = set()

    def run_coroutine(self, coro: Coroutine[Any, Any, Any]) -> None:
        """A timer callback returned a coroutine (an ``async def`` handler): run it as an
        asyncio task on the hosting loop; its exception is reported like a callback's."""
        host = self._scope._host
        if host is None:
            ScopeCore._run_coroutine(self._scope, coro)     # the core's refusal
            return
        task = host.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            if isinstance(exc, Exception):
                self._scope.report_exception(exc)

    def close(self) -> None:
        """The scope closed: nothing it would have resolved waits forever."""
        for future in self._futures:
            if not future.done():
                future.set_exception(RuntimeError("the scope was closed"))
        self._futures = set()

    def _hosted_loop(self, what: str) -> asyncio.AbstractEventLoop:
        host = self._scope._host
        if host is None:
            raise RuntimeError(f"{what}() needs a scope hosted on asyncio: "
                               "Window(loop=asyncio.get_running_loop())")
        return host.loop

    def _future(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
        future = loop.create_future()
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)
        return future

    async def sleep(self, ms: float, value: T) -> T:
        """GlobalScope.sleep."""
        scope = self._scope
        future: asyncio.Future[T] = self._future(self._hosted_loop("sleep"))
        id = scope.setTimeout(_resolve, ms, future, value)
        try:
            return await future
        finally:
            scope.clearTimeout(id)

    async def interval(self, ms: float, value: T) -> AsyncIterator[T]:
        """GlobalScope.interval."""
        scope = self._scope
        loop = self._hosted_loop("interval")
        ticks = 0
        waiter: asyncio.Future[None] | None = None

        def tick() -> None:
            nonlocal ticks
            ticks += 1
            if waiter is not None:
                _resolve(waiter, None)

        id = scope.setInterval(tick, ms)
        try:
            while True:
                if not ticks:
                    waiter = self._future(loop)
                    await waiter
                    waiter = None
                ticks -= 1
                yield value
        finally:
            scope.clearInterval(id)
