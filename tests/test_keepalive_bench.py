"""The servers-at-scale scenario's parts (timercore.bench.keepalive): the client answers
a websockets server's pings, the open-file limit is raised or the reason said, results
summarize to median and range. The full run (processes, real time) is the bench's."""
import asyncio
import resource

import pytest

from timercore import aio
from timercore.bench import keepalive as ka

websockets = pytest.importorskip("websockets")


def test_the_client_completes_the_handshake_and_answers_pings():
    from websockets.asyncio.server import serve

    async def main():
        latencies = []
        answered = asyncio.get_running_loop().create_future()

        async def handler(ws):
            for _ in range(3):
                pong = await ws.ping()
                latencies.append(await pong)
            answered.set_result(None)
            await ws.close()

        async with serve(handler, "127.0.0.1", 0, ping_interval=None) as server:
            port = server.sockets[0].getsockname()[1]
            loop = asyncio.get_running_loop()
            ready = loop.create_future()
            transport, client = await loop.create_connection(
                lambda: ka._Client(ready, f"127.0.0.1:{port}"), "127.0.0.1", port)
            await ready
            assert client.open
            await answered                  # the handler's three pings, each answered
            transport.close()
        return latencies

    loop = aio.new_event_loop()
    try:
        assert len(loop.run_until_complete(main())) == 3
    finally:
        loop.close()


def test_a_limit_that_cannot_be_raised_is_said_not_hidden(monkeypatch):
    def refuse(what, limits):
        raise ValueError("not allowed")

    monkeypatch.setattr(resource, "getrlimit", lambda what: (1024, 4096))
    monkeypatch.setattr(resource, "setrlimit", refuse)
    problem = ka.raise_open_files(101_024)
    assert "cannot raise the open-file limit to 101024" in problem and "smaller N" in problem
    assert ka.raise_open_files(1000) is None          # already enough: nothing to do


def test_rounds_summarize_to_median_and_range_and_render():
    rounds = [ka.KeepaliveResult("timercore", 10_000, cpu, 16_000.0, 5000.0, p50, 9.0, 2.0, 0)
              for cpu, p50 in ((0.30, 1.0), (0.20, 3.0), (0.25, 2.0))]
    row = ka.summarize(rounds)
    assert row["cpu_per_s"] == {"median": 0.25, "min": 0.20, "max": 0.30}
    assert row["lateness_p50_ms"]["median"] == 2.0 and row["rounds"] == 3
    table = ka.markdown([row], 2.0)
    assert "| timercore | 10,000 | 0.250 (0.200-0.300) | 15.6 (15.6-15.6) KB |" in table


def test_every_server_loop_name_makes_a_loop_when_installed():
    import importlib.util
    for name in ka.SERVER_LOOPS:
        module = name.rpartition("/")[2] or name
        if importlib.util.find_spec(module) is None:
            continue
        loop = ka.loop_factory(name)()
        try:
            assert isinstance(loop, asyncio.AbstractEventLoop)
            if name.startswith("timercore"):
                assert type(loop).__module__.startswith("timercore")
        finally:
            loop.close()
