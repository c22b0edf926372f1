import logging
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def clock():
    import timercore
    return timercore.VirtualClock()


@pytest.fixture(params=["Window", "WorkerGlobalScope"])
def scope(request, clock):
    """A scope of each kind on a VirtualClock; errors are collected in scope.errors."""
    import timercore
    s = getattr(timercore, request.param)(clock=clock)
    s.errors = []

    def on_error(event):
        s.errors.append(event.error)
        event.preventDefault()

    s.addEventListener("error", on_error)
    yield s
    if not s.closed:
        s.close()


@pytest.fixture
def window(clock):
    import timercore
    w = timercore.Window(clock=clock)
    yield w
    if not w.closed:
        w.close()


@pytest.fixture
def timercore_log(caplog):
    caplog.set_level(logging.ERROR, logger="timercore")
    return caplog


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def doc_blocks():
    """The ```python blocks of a Markdown file of the repo, in order."""
    def blocks(relpath):
        text = (ROOT / relpath).read_text()
        return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    return blocks
