"""The server scenario (timercore.server_scenario) gives the same results on asyncio's
loop and on WheelEventLoop: every message echoed, exactly the quiet clients timed out."""
import asyncio

import pytest

from timercore import aio
from timercore.server_scenario import run_server_scenario


@pytest.mark.parametrize("factory", [asyncio.new_event_loop, aio.new_event_loop],
                         ids=["asyncio", "wheel"])
def test_idle_timeout_server_with_thousands_of_connections(factory):
    r = run_server_scenario(factory, clients=2000, messages=5, quiet_every=10)
    quiet = 200
    assert r.messages == (2000 - quiet) * 5 + quiet
    assert r.echoed == r.messages
    assert r.timed_out == quiet
