"""Servers at scale: a ``websockets`` server holding N idle connections, each with the
library's own keepalive (a ping every ``interval`` s, a pong expected within ``timeout``
s), on a given event loop, with a client in another process on loopback.

Per ping and connection the server's timer path is websockets' ``keepalive()``:
``asyncio.sleep(interval - latency)`` (a future and a call_later that fires), then
``asyncio.timeout(timeout)`` around the pong (a call_at that is cancelled when the pong
comes). The defaults (20 s, 20 s) are scaled down (``--interval``) so that a run lasts
seconds; the rate of pings per connection is what is scaled, not the work per ping.

Measured on the server process, over a window that starts once every connection is in
its steady keepalive cycle:
- CPU seconds per wall second (user + system), the whole server: I/O, frames, timers;
- RSS per connection (after the connections, minus before, over N);
- timer lateness: each keepalive ping's start minus when it was due (the previous ping's
  start plus ``interval``, as websockets schedules it), p50 and p99.

The server runs ``python -m timercore.bench.keepalive server``; the client (raw
asyncio protocols on uvloop when installed, answering pings with pongs: the lightest
client, so the machine's second core is not the limit) ``... client``. Each process
raises its own open-file limit, and says so if it cannot; the orchestrator ends every
process it started by its id. ``bench/keepalive.py`` runs the sweep from the command line.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

PER_PORT = 20_000           # connections per listening port (ephemeral ports: ~28k a tuple)
SERVER_LOOPS = ("asyncio", "uvloop", "rloop", "zuvloop", "rsloop",
                "timercore", "timercore/uvloop", "timercore/rloop")


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """The event loop a server named ``name`` runs on (timercore/X: timercore's timers on
    X's I/O)."""
    if name == "asyncio":
        return asyncio.new_event_loop
    if name.startswith("timercore"):
        from timercore import aio
        io = name.partition("/")[2] or "asyncio"
        return lambda: aio.new_event_loop(io=io)
    module: Any = __import__(name)
    factory: Callable[[], asyncio.AbstractEventLoop] = module.new_event_loop
    return factory


def raise_open_files(n: int) -> str | None:
    """Raise this process's open-file limit to n; None, or why it cannot."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= n:
        return None
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, max(n, hard)))
    except (ValueError, OSError) as exc:
        return (f"cannot raise the open-file limit to {n} (soft {soft}, hard {hard}): {exc}; "
                "raise it (ulimit -Hn) or use a smaller N")
    return None


def _quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


# -- the server process ---------------------------------------------------------------

def serve(loop_name: str, n: int, interval: float, timeout: float) -> None:
    from websockets.asyncio import connection
    from websockets.asyncio.server import serve as ws_serve

    problem = raise_open_files(n + 1024)
    if problem:
        print(json.dumps({"error": problem}), flush=True)
        return
    lateness: list[float] = []
    last_ping: dict[int, float] = {}
    original_ping = connection.Connection.ping

    async def ping(self: Any, data: Any = None) -> Any:
        if data is None:                         # keepalive's own pings
            now = time.monotonic()
            prev = last_ping.get(id(self))
            if prev is not None:
                lateness.append(now - prev - interval)
            last_ping[id(self)] = now
        return await original_ping(self, data)

    connection.Connection.ping = ping            # type: ignore[method-assign]
    closed = [0]

    async def handler(ws: Any) -> None:
        await ws.wait_closed()
        closed[0] += 1

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [await ws_serve(handler, "127.0.0.1", 0, ping_interval=interval,
                                  ping_timeout=timeout, compression=None)
                   for _ in range(max(1, -(-n // PER_PORT)))]
        ports = [s.sockets[0].getsockname()[1] for s in servers]
        done = loop.create_future()

        def command(line: str) -> None:
            if line == "mark":
                lateness.clear()
                print(json.dumps({"ok": True}), flush=True)
            elif line == "report":
                ms = sorted(x * 1000 for x in lateness)
                print(json.dumps({"pings": len(ms), "p50_ms": _quantile(ms, 0.5),
                                  "p99_ms": _quantile(ms, 0.99), "closed": closed[0]}),
                      flush=True)
            elif not done.done():
                done.set_result(None)

        def read_commands() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(command, line.strip())
            loop.call_soon_threadsafe(command, "stop")

        threading.Thread(target=read_commands, daemon=True).start()
        print(json.dumps({"ports": ports, "pid": os.getpid()}), flush=True)
        await done

    loop = loop_factory(loop_name)()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main())
    finally:
        os._exit(0)          # 100k connections: no orderly teardown to wait for


# -- the client process ---------------------------------------------------------------

_KEY = base64.b64encode(b"timercore-bench!").decode()


class _Client(asyncio.Protocol):
    """A websocket client that only completes the handshake and answers pings."""

    def __init__(self, ready: asyncio.Future[None], host: str) -> None:
        self.ready = ready
        self.host = host
        self.buf = b""
        self.open = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(
            f"GET / HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {_KEY}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode())

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.open:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end], self.buf[end + 4:]
            self.open = head.startswith(b"HTTP/1.1 101")
            if not self.ready.done():
                if self.open:
                    self.ready.set_result(None)
                else:
                    self.ready.set_exception(ConnectionError(head[:80].decode()))
        buf = self.buf
        while len(buf) >= 2:
            length = buf[1] & 0x7F               # server frames: unmasked, control <= 125
            if length > 125 or len(buf) < 2 + length:
                break
            if buf[0] & 0x0F == 0x9:             # ping -> pong, masked (zero mask)
                self.transport.write(bytes((0x8A, 0x80 | length)) + b"\0\0\0\0"
                                     + buf[2:2 + length])
            buf = buf[2 + length:]
        self.buf = buf

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed"))


def connect(ports: list[int], n: int) -> None:
    problem = raise_open_files(n + 1024)
    if problem:
        print(json.dumps({"error": problem}), flush=True)
        return
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop
        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def main() -> None:
        start = time.perf_counter()
        opened = 0
        error = None
        sem = asyncio.Semaphore(256)

        async def one(i: int) -> None:
            nonlocal opened, error
            port = ports[i % len(ports)]
            async with sem:
                try:
                    ready = loop.create_future()
                    await loop.create_connection(lambda: _Client(ready, f"127.0.0.1:{port}"),
                                                 "127.0.0.1", port)
                    await ready
                    opened += 1
                except OSError as exc:
                    error = error or f"{type(exc).__name__}: {exc}"

        await asyncio.gather(*(one(i) for i in range(n)))
        print(json.dumps({"opened": opened, "seconds": time.perf_counter() - start,
                          "error": error}), flush=True)
        await loop.create_future()                # hold them until killed

    loop.run_until_complete(main())


# -- the orchestrator -----------------------------------------------------------------

@dataclass
class KeepaliveResult:
    loop: str
    connections: int
    cpu_per_s: float           # server CPU seconds per wall second
    rss_per_connection: float  # bytes
    pings_per_s: float
    lateness_p50_ms: float
    lateness_p99_ms: float
    connect_s: float
    closed: int                # connections the server saw close (should be 0)


def _line(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    reader.join(timeout)
    if not result or not result[0]:
        raise RuntimeError(f"process {proc.pid} said nothing within {timeout} s"
                           + (f" (exit status {proc.poll()})" if proc.poll() is not None else ""))
    out: dict[str, Any] = json.loads(result[0])
    return out


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _end(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(30)


def run_keepalive(loop: str, n: int, *, interval: float = 2.0, timeout: float = 2.0,
                  window: float = 6.0, python: str = sys.executable) -> KeepaliveResult:
    """One round: a server on ``loop`` holding ``n`` connections; see the module doc."""
    me = [python, "-m", "timercore.bench.keepalive"]
    server = subprocess.Popen([*me, "server", loop, str(n), str(interval), str(timeout)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    client = None
    try:
        hello = _line(server, 60)
        if "error" in hello:
            raise RuntimeError(hello["error"])
        rss0 = _rss(server.pid)
        client = subprocess.Popen([*me, "client", ",".join(map(str, hello["ports"])), str(n)],
                                  stdout=subprocess.PIPE, text=True)
        opened = _line(client, 60 + n / 500)
        if "error" in opened and opened.get("opened") is None:
            raise RuntimeError(opened["error"])
        if opened["opened"] < n:
            raise RuntimeError(f"only {opened['opened']} of {n} connections opened: "
                               f"{opened['error']}")
        time.sleep(interval + 1.0)     # every connection past its first ping: steady state
        assert server.stdin is not None
        server.stdin.write("mark\n")
        server.stdin.flush()
        _line(server, 30)
        cpu0, t0 = _cpu_s(server.pid), time.monotonic()
        time.sleep(window)
        cpu1, t1 = _cpu_s(server.pid), time.monotonic()
        rss = _rss(server.pid)
        server.stdin.write("report\n")
        server.stdin.flush()
        report = _line(server, 30)
        return KeepaliveResult(loop, n, (cpu1 - cpu0) / (t1 - t0), (rss - rss0) / n,
                               report["pings"] / (t1 - t0), report["p50_ms"],
                               report["p99_ms"], opened["seconds"], report["closed"])
    finally:
        if client is not None:
            _end(client)
        _end(server)


def summarize(rounds: list[KeepaliveResult]) -> dict[str, Any]:
    """Median and range of each figure over the rounds of one loop and N."""
    out: dict[str, Any] = {"loop": rounds[0].loop, "connections": rounds[0].connections,
                           "rounds": len(rounds)}
    for field in ("cpu_per_s", "rss_per_connection", "pings_per_s", "lateness_p50_ms",
                  "lateness_p99_ms", "closed"):
        values = [getattr(r, field) for r in rounds]
        out[field] = {"median": statistics.median(values), "min": min(values),
                      "max": max(values)}
    return out


def sweep(loops: list[str], sizes: list[int], rounds: int, **kwargs: Any
          ) -> tuple[list[dict[str, Any]], list[str]]:
    """Every loop at every size, ``rounds`` alternating rounds (loop order rotates per
    round, so drift over the run falls on every loop alike)."""
    results: dict[tuple[str, int], list[KeepaliveResult]] = {}
    problems: list[str] = []
    for n in sizes:
        for r in range(rounds):
            order = loops[r % len(loops):] + loops[:r % len(loops)]
            for loop in order:
                try:
                    results.setdefault((loop, n), []).append(run_keepalive(loop, n, **kwargs))
                except (RuntimeError, OSError) as exc:
                    problems.append(f"{loop} at N={n}: {exc}")
    return [summarize(v) for v in results.values()], problems


def _cell(stat: dict[str, float], fmt: str) -> str:
    return f"{stat['median']:{fmt}} ({stat['min']:{fmt}}-{stat['max']:{fmt}})"


def markdown(rows: list[dict[str, Any]], interval: float) -> str:
    """The sweep as a Markdown table: median (min-max) over the rounds."""
    lines = [f"Keepalive every {interval:g} s (websockets' default 20 s, scaled down); "
             "median (min-max) over the rounds.", "",
             "| server loop | N | server CPU s/s | RSS/connection | pings/s | "
             "lateness p50 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: (r["connections"], r["loop"])):
        rss = {k: v / 1024 for k, v in r["rss_per_connection"].items()}
        lines.append(f"| {r['loop']} | {r['connections']:,} | {_cell(r['cpu_per_s'], '.3f')} | "
                     f"{_cell(rss, '.1f')} KB | {r['pings_per_s']['median']:,.0f} | "
                     f"{_cell(r['lateness_p50_ms'], '.2f')} | "
                     f"{_cell(r['lateness_p99_ms'], '.1f')} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    role = argv[0]
    if role == "server":
        serve(argv[1], int(argv[2]), float(argv[3]), float(argv[4]))
    elif role == "client":
        connect([int(p) for p in argv[1].split(",")], int(argv[2]))
    else:
        raise SystemExit("usage: python -m timercore.bench.keepalive server|client ...")


if __name__ == "__main__":
    main(sys.argv[1:])


__all__ = ["KeepaliveResult", "markdown", "run_keepalive", "summarize", "sweep", "asdict"]
