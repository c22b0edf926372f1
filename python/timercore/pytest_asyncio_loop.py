"""Opt-in pytest plugin: async tests that request ``virtual_loop`` run *on* it under
pytest-asyncio (1.4 or later, whose ``pytest_asyncio_loop_factories`` hook this uses).

Enable it in the project's top-level ``conftest.py``::

    pytest_plugins = ["timercore.pytest_asyncio_loop"]

It is not loaded automatically because pytest-asyncio applies the hook to *every* async
test once any plugin implements it. Tests that request ``virtual_loop`` get timercore's
virtual-time loop; every other async test gets ``asyncio.new_event_loop`` (which follows
the current event loop policy, as pytest-asyncio does without the hook), unless a hook of
the project's own returns factories for it (this one runs last).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version

import pytest

from timercore.pytest_plugin import shared_virtual_loop

MIN_PYTEST_ASYNCIO = (1, 4)


def _pytest_asyncio_version() -> tuple[int, ...]:
    try:
        text = version("pytest-asyncio")
    except PackageNotFoundError:
        return ()
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def pytest_configure(config: pytest.Config) -> None:
    found = _pytest_asyncio_version()
    if found < MIN_PYTEST_ASYNCIO:
        have = ".".join(map(str, found)) if found else "not installed"
        raise pytest.UsageError(
            "timercore.pytest_asyncio_loop needs pytest-asyncio >= 1.4 (its "
            f"pytest_asyncio_loop_factories hook); pytest-asyncio is {have}")


@pytest.hookimpl(trylast=True)
def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item
                                  ) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]] | None:
    if "virtual_loop" in getattr(item, "fixturenames", ()):
        return {"timercore-virtual": shared_virtual_loop}
    # trylast: a hook of the project's own ran first and returned None for this item.
    return {"asyncio": asyncio.new_event_loop}
