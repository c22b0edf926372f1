"""The server workload timercore exists for, on a given asyncio loop: a loopback TCP echo
server whose every connection has an idle timeout, re-armed (cancel + call_later) on each
message. Some clients go quiet and are closed by their timeout: they say so in their first
message and get the short ``quiet_timeout``, while talking clients get ``idle_timeout``
(long), so the counts do not depend on how busy the machine is. Used by the tests (same
results on every loop) and by `timercore bench --scenario server` (CPU per message).
"""
from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class ServerResult:
    connections: int
    messages: int
    echoed: int
    timed_out: int
    cpu_s: float
    wall_s: float

    @property
    def cpu_ns_per_message(self) -> float:
        return self.cpu_s * 1e9 / max(1, self.messages)


async def _scenario(clients: int, messages: int, idle_timeout: float, quiet_timeout: float,
                    quiet_every: int, idle_timers: int,
                    start: list[tuple[resource.struct_rusage, float]]
                    ) -> tuple[int, dict[str, int]]:
    loop = asyncio.get_running_loop()
    counts = {"echoed": 0, "timed_out": 0}
    # The idle connections of a big server: their timeouts are pending all along.
    idle = [loop.call_later(3600.0 + i * 1e-3, _noop) for i in range(idle_timers)]
    start.append((resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        timer = None

        def expire() -> None:
            counts["timed_out"] += 1
            writer.close()

        timeout = idle_timeout
        try:
            while True:
                if timer is not None:
                    timer.cancel()
                timer = loop.call_later(timeout, expire)   # re-armed on every message
                line = await reader.readline()
                if not line:
                    break
                if line.startswith(b"quiet"):
                    timeout = quiet_timeout
                writer.write(line)
                counts["echoed"] += 1
        except (ConnectionError, OSError):
            pass
        finally:
            if timer is not None:
                timer.cancel()
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=clients)
    port = server.sockets[0].getsockname()[1]

    async def client(i: int) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        got = 0
        quiet = quiet_every and i % quiet_every == 0
        for m in range(1 if quiet else messages):
            writer.write(b"%s %d %d\n" % (b"quiet" if quiet else b"ping", i, m))
            if await reader.readline():
                got += 1
            await asyncio.sleep(0.001)
        if quiet:
            await reader.read()             # the server's idle timeout closes us
        writer.close()
        return got

    results = await asyncio.gather(*(client(i) for i in range(clients)))
    server.close()
    await server.wait_closed()
    for h in idle:
        h.cancel()
    return sum(results), counts


def _noop() -> None:
    pass


def run_server_scenario(loop_factory: Callable[[], asyncio.AbstractEventLoop],
                        clients: int = 2000, messages: int = 5, idle_timeout: float = 30.0,
                        quiet_timeout: float = 0.05, quiet_every: int = 10,
                        idle_timers: int = 0) -> ServerResult:
    """Run the scenario on a fresh loop from ``loop_factory``; bounded in count and time.
    CPU and wall time are counted from when the ``idle_timers`` are pending."""
    start: list[tuple[resource.struct_rusage, float]] = []
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        received, counts = runner.run(asyncio.wait_for(
            _scenario(clients, messages, idle_timeout, quiet_timeout, quiet_every,
                      idle_timers, start), timeout=300))
    usage1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    usage0, t0 = start[0]
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return ServerResult(clients, received, counts["echoed"], counts["timed_out"], cpu, t1 - t0)
