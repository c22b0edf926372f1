"""timercore's pytest plugin (registered through the ``pytest11`` entry point, so
installing timercore is enough): fixtures for testing timer code in virtual time.

- ``virtual_clock``: a fresh ``VirtualClock`` at 0 ms.
- ``window`` / ``worker_scope``: a ``Window`` / ``WorkerGlobalScope`` on that clock,
  closed after the test. An exception from a timer callback that nobody handled (no
  ``error`` listener called ``preventDefault()``) fails the test at teardown.
- ``virtual_loop``: a ``WheelEventLoop`` on that clock (a one-hour ``asyncio.sleep``
  takes no real time). In a plain test, drive it with ``run_until_complete``. For an
  ``async def`` test run by pytest-asyncio to run *on* it, enable the opt-in plugin
  ``timercore.pytest_asyncio_loop`` (see that module).

This plugin is loaded in every pytest run of every project where timercore is installed,
so it implements no hook that acts on tests which do not request its fixtures: those run
exactly as they would without timercore.
"""
from __future__ import annotations

import inspect
from typing import Any, Iterator

import pytest

import timercore
from timercore import aio

# The running test's clock and loop. pytest-asyncio asks its loop factory for the loop
# without telling which test item it is for, and may ask before or after the fixtures
# run; whoever comes first creates them, the other finds them here.
_current: dict[str, Any] = {}

ASYNCIO_PLUGIN = "timercore.pytest_asyncio_loop"


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
def virtual_clock() -> Iterator[timercore.VirtualClock]:
    """A VirtualClock at 0 ms: time moves only when a scope's loop or a test moves it."""
    clock: timercore.VirtualClock = _current.setdefault("clock", timercore.VirtualClock())
    yield clock
    _current.clear()


@pytest.fixture
def window(virtual_clock: timercore.VirtualClock) -> Iterator[timercore.Window]:
    """A Window on ``virtual_clock``; unhandled callback exceptions fail the test."""
    yield from _scope_fixture(timercore.Window, virtual_clock)


@pytest.fixture
def worker_scope(virtual_clock: timercore.VirtualClock) -> Iterator[timercore.WorkerGlobalScope]:
    """A WorkerGlobalScope on ``virtual_clock``; unhandled callback exceptions fail the test."""
    yield from _scope_fixture(timercore.WorkerGlobalScope, virtual_clock)


def shared_virtual_loop() -> aio.WheelEventLoop:
    """The running test's virtual-time loop, created on first use (also the loop factory
    that ``timercore.pytest_asyncio_loop`` hands to pytest-asyncio)."""
    loop = _current.get("loop")
    if not isinstance(loop, aio.WheelEventLoop) or loop.is_closed():
        loop = _current["loop"] = aio.WheelEventLoop(
            clock=_current.setdefault("clock", timercore.VirtualClock()))
    return loop


@pytest.fixture
def virtual_loop(request: pytest.FixtureRequest,
                 virtual_clock: timercore.VirtualClock) -> Iterator[aio.WheelEventLoop]:
    """A WheelEventLoop in virtual time on ``virtual_clock``."""
    if (inspect.iscoroutinefunction(getattr(request.node, "function", None))
            and not request.config.pluginmanager.has_plugin(ASYNCIO_PLUGIN)):
        # pytest-asyncio (or anyio) would run this test on a loop of its own, and the
        # test would silently not run in virtual time.
        pytest.fail(
            f"{request.node.nodeid}: an async test that requests virtual_loop runs on it "
            f"only with the opt-in plugin {ASYNCIO_PLUGIN!r} (pytest-asyncio >= 1.4): add "
            f'pytest_plugins = ["{ASYNCIO_PLUGIN}"] to your top-level conftest.py', pytrace=False)
    loop = shared_virtual_loop()
    yield loop
    if not loop.is_closed() and not loop.is_running():
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
