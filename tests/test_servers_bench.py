"""The servers-at-scale scenarios' parts (timercore.bench.servers): the clients answer a
websockets server's pings and get uvicorn's responses, the open-file limit is raised or
the reason said, results summarize to median and range. The full runs (processes, real
time) are the bench's."""
import asyncio
import resource

import pytest

from timercore import aio
from timercore.bench import servers as ka

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
    rounds = [ka.ScaleResult("keepalive", "timercore", 10_000, cpu, 50.0, 16_000.0, 5000.0, p50,
                             9.0, 2.0) for cpu, p50 in ((0.30, 1.0), (0.20, 3.0), (0.25, 2.0))]
    row = ka.summarize(rounds)
    assert row["cpu_per_s"] == {"median": 0.25, "min": 0.20, "max": 0.30}
    assert row["lateness_p50_ms"]["median"] == 2.0 and row["rounds"] == 3
    table = ka.markdown([row], 2.0)
    assert ("| timercore | 10,000 | 0.250 (0.200-0.300) | 50.0 (50.0-50.0) | "
            "15.6 (15.6-15.6) KB |") in table


def test_every_server_loop_name_makes_a_loop_when_installed():
    import importlib.util
    for name in ka.SERVER_LOOPS:
        module = name.rpartition("/")[2] or name
        if importlib.util.find_spec(module) is None:
            continue
        loop = ka.loop_factory(name)()
        try:
            # (rsloop's Loop duck-types asyncio's, without subclassing AbstractEventLoop)
            assert all(callable(getattr(loop, m, None))
                       for m in ("run_until_complete", "call_later", "create_server"))
            if name.startswith("timercore"):
                assert type(loop).__module__.startswith("timercore")
        finally:
            loop.close()


def test_the_http_client_keeps_its_connection_and_counts_responses():
    # The http scenario's client against a keep-alive HTTP/1.1 responder on timercore's
    # loop that writes head and body apart, as uvicorn does: requests back to back while
    # running, each response counted once.
    async def respond(reader, writer):
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
                writer.write(b"ok")
        except (asyncio.IncompleteReadError, ConnectionError):   # the client hung up
            served.set_result(None)
            writer.close()

    class Counting(ka._HttpClient):
        def data_received(self, data):
            super().data_received(data)
            if self.responses >= 50 and not fifty.done():
                self.running = False
                fifty.set_result(self.responses)

    async def main():
        nonlocal fifty, served
        loop = asyncio.get_running_loop()
        fifty, served = loop.create_future(), loop.create_future()
        server = await asyncio.start_server(respond, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        ready = loop.create_future()
        transport, client = await loop.create_connection(lambda: Counting(ready, "x"),
                                                         "127.0.0.1", port)
        await ready                               # the first response
        client.running = True
        transport.write(ka._GET)
        count = await fifty
        transport.close()
        await served
        server.close()
        return count

    fifty = served = None
    loop = aio.new_event_loop()
    try:
        assert loop.run_until_complete(main()) == 50
    finally:
        loop.close()
