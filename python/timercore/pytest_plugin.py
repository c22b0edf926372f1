"""timercore's pytest plugin (registered through the ``pytest11`` entry point, so
installing timercore is enough): fixtures for testing timer code in virtual time.

- ``virtual_clock``: a fresh ``VirtualClock`` at 0 ms.
- ``window`` / ``worker_scope``: a ``Window`` / ``WorkerGlobalScope`` on that clock,
  closed after the test. An exception from a timer callback that nobody handled (no
  ``error`` listener called ``preventDefault()``) fails the test at teardown.
- ``virtual_loop``: a ``WheelEventLoop`` on that clock (a one-hour ``asyncio.sleep``
  takes no real time). In a plain test, drive it with ``run_until_complete``; an
  ``async def`` test run by pytest-asyncio (>= 1.1) that requests it runs *on* it.
"""
from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest

import timercore
from timercore import aio

_LOOP = pytest.StashKey[dict]()


def _unhandled_errors(scope: Any) -> list[Any]:
    events: list[Any] = []
    scope.addEventListener("error", events.append)
    return events


def _scope_fixture(cls: type, clock: Any) -> Iterator[Any]:
    scope = cls(clock=clock)
    events = _unhandled_errors(scope)
    yield scope
    if not scope.closed:
        scope.close()
    unhandled = [e for e in events if not e.defaultPrevented]
    if unhandled:
        raise pytest.fail.Exception(
            f"{len(unhandled)} unhandled exception(s) in timer callbacks, the first: "
            f"{unhandled[0].error!r}", pytrace=False) from unhandled[0].error


@pytest.fixture
def virtual_clock() -> timercore.VirtualClock:
    """A VirtualClock at 0 ms: time moves only when a scope's loop or a test moves it."""
    return timercore.VirtualClock()


@pytest.fixture
def window(virtual_clock: timercore.VirtualClock) -> Iterator[timercore.Window]:
    """A Window on ``virtual_clock``; unhandled callback exceptions fail the test."""
    yield from _scope_fixture(timercore.Window, virtual_clock)


@pytest.fixture
def worker_scope(virtual_clock: timercore.VirtualClock) -> Iterator[timercore.WorkerGlobalScope]:
    """A WorkerGlobalScope on ``virtual_clock``; unhandled callback exceptions fail the test."""
    yield from _scope_fixture(timercore.WorkerGlobalScope, virtual_clock)


def _shared_loop(node: Any, clock: Any) -> aio.WheelEventLoop:
    """One virtual-time loop per test, whoever asks first (the fixture or pytest-asyncio)."""
    holder = node.stash.setdefault(_LOOP, {})
    loop = holder.get("loop")
    if loop is None or loop.is_closed():
        loop = holder["loop"] = aio.new_event_loop(clock=clock)
    return loop


@pytest.fixture
def virtual_loop(request: pytest.FixtureRequest,
                 virtual_clock: timercore.VirtualClock) -> Iterator[aio.WheelEventLoop]:
    """A WheelEventLoop in virtual time on ``virtual_clock``."""
    holder = request.node.stash.setdefault(_LOOP, {})
    holder["clock"] = virtual_clock
    loop = _shared_loop(request.node, virtual_clock)
    yield loop
    if not loop.is_closed() and not loop.is_running():
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.hookimpl(optionalhook=True)
def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item
                                  ) -> dict[str, Any] | None:
    """pytest-asyncio: an async test that requests ``virtual_loop`` runs on it."""
    if "virtual_loop" not in getattr(item, "fixturenames", ()):
        return None

    def factory() -> asyncio.AbstractEventLoop:
        holder = item.stash.setdefault(_LOOP, {})
        clock = holder.setdefault("clock", timercore.VirtualClock())
        return _shared_loop(item, clock)

    return {"timercore-virtual": factory}
