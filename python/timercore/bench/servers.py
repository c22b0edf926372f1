"""Servers at scale: real servers holding N connections on a given event loop, with a
client in another process on loopback. Two scenarios, as users run them:

``keepalive``: a ``websockets`` server with N idle connections, each with the library's
own keepalive (a ping every ``interval`` s, a pong expected within it). Per ping and
connection the timer path is websockets' ``keepalive()``: ``asyncio.sleep(interval -
latency)`` (a future and a call_later that fires), then ``asyncio.timeout()`` around the
pong (a call_at, cancelled when the pong comes). The default interval (20 s) is scaled
down so that a run lasts seconds: the rate of pings is scaled, not the work per ping.
Measured over a window in the steady keepalive cycle: server CPU seconds per wall second,
and lateness: each ping's start minus when it was due (the previous ping's start plus
``interval``, as websockets schedules it).

``http``: a uvicorn server (httptools) whose ASGI handler wraps each request in
``asyncio.timeout()``, with N idle keep-alive connections (each holds uvicorn's
keep-alive timer) and ``active`` connections sending requests back to back. Per request:
uvicorn's keep-alive call_later and its cancel, the handler's call_at and its cancel.
Measured: server CPU microseconds per request, and lateness of a probe (a task that
sleeps 10 ms in a loop: how late each wake-up is).

For both: RSS per connection (after the connections, minus before, over N). The client
is raw asyncio protocols on uvloop when installed (the lightest client, so the second
core is not the limit). Each process raises its own open-file limit and says so if it
cannot; the orchestrator ends every process it started by its id. ``bench/servers.py``
runs the sweep from the command line; ``timercore bench --full`` a short one.
"""
from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Coroutine

PER_PORT = 20_000           # connections per listening port (ephemeral ports: ~28k a tuple)
SERVER_LOOPS = ("asyncio", "uvloop", "rloop", "zuvloop", "rsloop",
                "timercore", "timercore/uvloop", "timercore/rloop")
SCENARIOS = ("keepalive", "http")
PROBE_S = 0.010             # the http scenario's lateness probe: a 10 ms sleep in a loop
FD_MARGIN = 256             # open files a process needs besides the connections


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


def installed(loops: list[str]) -> list[str]:
    """The loops among ``loops`` whose module is installed (timercore/X needs X)."""
    import importlib.util
    return [name for name in loops
            if importlib.util.find_spec(name.rpartition("/")[2] or name) is not None]


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


def _say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def _ports_needed(n: int) -> int:
    return max(1, -(-n // PER_PORT))


# -- the server process ---------------------------------------------------------------

def _run_server(loop_name: str, n: int,
                start: Callable[[list[float]], Coroutine[Any, Any, list[int]]],
                extra: Callable[[], dict[str, Any]]) -> None:
    """Run a server on ``loop_name``: ``start(lateness)`` listens and returns its ports;
    stdin commands: ``mark`` (forget the lateness so far), ``report`` (lateness p50/p99
    and ``extra()``), anything else or EOF ends it."""
    problem = raise_open_files(n + FD_MARGIN)
    if problem:
        _say(error=problem)
        return
    lateness: list[float] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        ports = await start(lateness)
        done = loop.create_future()

        def command(line: str) -> None:
            if line == "mark":
                lateness.clear()
                _say(ok=True)
            elif line == "report":
                ms = sorted(x * 1000 for x in lateness)
                _say(samples=len(ms), p50_ms=_quantile(ms, 0.5), p99_ms=_quantile(ms, 0.99),
                     **extra())
            elif not done.done():
                done.set_result(None)

        def read_commands() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(command, line.strip())
            loop.call_soon_threadsafe(command, "stop")

        threading.Thread(target=read_commands, daemon=True).start()
        _say(ports=ports)
        await done

    loop = loop_factory(loop_name)()
    asyncio.set_event_loop(loop)
    status = 0
    try:
        loop.run_until_complete(main())
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        os._exit(status)     # 100k connections: no orderly teardown to wait for


def serve_keepalive(loop_name: str, n: int, interval: float) -> None:
    from websockets.asyncio import connection
    from websockets.asyncio.server import serve

    last_ping: dict[int, float] = {}
    closed = [0]
    samples: list[list[float]] = []
    original_ping = connection.Connection.ping

    async def ping(self: Any, data: Any = None) -> Any:
        if data is None:                         # keepalive's own pings
            now = time.monotonic()
            prev = last_ping.get(id(self))
            if prev is not None:
                samples[0].append(now - prev - interval)
            last_ping[id(self)] = now
        return await original_ping(self, data)

    connection.Connection.ping = ping            # type: ignore[method-assign]

    async def handler(ws: Any) -> None:
        await ws.wait_closed()
        closed[0] += 1

    async def start(lateness: list[float]) -> list[int]:
        samples.append(lateness)
        servers = [await serve(handler, "127.0.0.1", 0, ping_interval=interval,
                               ping_timeout=interval, compression=None)
                   for _ in range(_ports_needed(n))]
        return [s.sockets[0].getsockname()[1] for s in servers]

    _run_server(loop_name, n, start, lambda: {"closed": closed[0]})


def serve_http(loop_name: str, n: int) -> None:
    import uvicorn

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        async with asyncio.timeout(10.0):            # the per-request timeout
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"2")]})
            await send({"type": "http.response.body", "body": b"ok"})

    async def probe(lateness: list[float]) -> None:
        while True:
            due = time.monotonic() + PROBE_S
            await asyncio.sleep(PROBE_S)
            lateness.append(time.monotonic() - due)

    tasks: list[asyncio.Task[None]] = []      # (asyncio keeps only weak references)

    async def start(lateness: list[float]) -> list[int]:
        socks = []
        for _ in range(_ports_needed(n)):
            # IPPROTO_TCP, as create_server(host, port) makes them: asyncio then sets
            # TCP_NODELAY on each connection (with proto 0 it does not, and every
            # response waits 40 ms for a delayed ACK).
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        config = uvicorn.Config(app, loop="none", http="httptools", lifespan="off",
                                log_level="warning", access_log=False, backlog=4096,
                                timeout_keep_alive=3600)
        server = uvicorn.Server(config)
        ports = [s.getsockname()[1] for s in socks]     # (uvloop takes the sockets over)
        loop = asyncio.get_running_loop()
        tasks.append(loop.create_task(server.serve(sockets=socks)))
        while not server.started:
            await asyncio.sleep(0.01)
        tasks.append(loop.create_task(probe(lateness)))
        return ports

    _run_server(loop_name, n, start, dict)


# -- the client process ---------------------------------------------------------------

_KEY = base64.b64encode(b"timercore-bench!").decode()
_GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


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


class _HttpClient(asyncio.Protocol):
    """An HTTP/1.1 keep-alive client: one request at a time; ``ready`` resolves with the
    first response; while ``running`` it sends the next request on each response."""

    def __init__(self, ready: asyncio.Future[None], host: str) -> None:
        self.ready = ready
        self.buf = b""
        self.responses = 0
        self.running = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(_GET)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:                              # every response ends "\r\n\r\nok"
            end = self.buf.find(b"\r\n\r\nok")
            if end < 0:
                return
            self.buf = self.buf[end + 6:]
            self.responses += 1
            if not self.ready.done():
                self.ready.set_result(None)
            if self.running:
                self.transport.write(_GET)

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed"))


def connect(scenario: str, ports: list[int], n: int, active: int) -> None:
    """Open n connections (and ``active`` more for http), say how many and how long it
    took; http: on ``go SECONDS`` run the active ones back to back, say how many
    requests completed."""
    problem = raise_open_files(n + active + FD_MARGIN)
    if problem:
        _say(error=problem)
        return
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop
        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    protocol = _Client if scenario == "keepalive" else _HttpClient

    async def main() -> None:
        start = time.perf_counter()
        opened: list[Any] = []
        errors: list[str] = []
        sem = asyncio.Semaphore(256)

        async def one(i: int) -> None:
            port = ports[i % len(ports)]
            async with sem:
                try:
                    ready = loop.create_future()
                    _, proto = await loop.create_connection(
                        lambda: protocol(ready, f"127.0.0.1:{port}"), "127.0.0.1", port)
                    await ready
                    opened.append(proto)
                except OSError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

        await asyncio.gather(*(one(i) for i in range(n + active)))
        _say(opened=len(opened), seconds=time.perf_counter() - start,
             error=errors[0] if errors else None)
        if scenario == "http":
            line = await loop.run_in_executor(None, sys.stdin.readline)
            seconds = float(line.split()[1])
            runners = opened[n:]
            for c in runners:
                c.running = True
                c.transport.write(_GET)
            before = sum(c.responses for c in runners)
            t0 = time.perf_counter()
            await asyncio.sleep(seconds)
            for c in runners:
                c.running = False
            done = sum(c.responses for c in runners) - before
            _say(requests=done, seconds=time.perf_counter() - t0)
        await loop.create_future()                # hold them until killed

    loop.run_until_complete(main())


# -- the orchestrator -----------------------------------------------------------------

@dataclass
class ScaleResult:
    scenario: str
    loop: str
    connections: int           # N, the idle connections
    cpu_per_s: float           # server CPU seconds per wall second over the window
    cpu_us_per_request: float  # http: server CPU per request; keepalive: per ping
    rss_per_connection: float  # bytes
    rate: float                # pings or requests per second
    lateness_p50_ms: float
    lateness_p99_ms: float
    connect_s: float
    closed: int = 0            # keepalive: connections the server saw close (should be 0)


def _line(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    result: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        result.append(proc.stdout.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not result or not result[0]:
        status = proc.poll()
        raise RuntimeError(f"process {proc.pid} said nothing within {timeout:.0f} s"
                           + (f" (exit status {status})" if status is not None else ""))
    out: dict[str, Any] = json.loads(result[0])
    if "error" in out and out.get("opened") is None:
        raise RuntimeError(out["error"])
    return out


def _send(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


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


def run_scale(scenario: str, loop: str, n: int, *, interval: float = 2.0, active: int = 32,
              window: float = 5.0, python: str = sys.executable) -> ScaleResult:
    """One round of ``scenario`` with a server on ``loop`` holding ``n`` idle connections
    (see the module doc)."""
    me = [python, "-m", "timercore.bench.servers"]
    args = [str(interval)] if scenario == "keepalive" else []
    server = subprocess.Popen([*me, "serve", scenario, loop, str(n), *args],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    client = None
    extra = active if scenario == "http" else 0
    try:
        ports = _line(server, 60)["ports"]
        rss0 = _rss(server.pid)
        client = subprocess.Popen([*me, "connect", scenario, ",".join(map(str, ports)),
                                   str(n), str(extra)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            opened = _line(client, 60 + n / 500)
        except RuntimeError as exc:
            raise RuntimeError(f"the client could not open the connections ({exc}); the "
                               "server's own errors, if any, are on its stderr") from None
        if opened["opened"] < n + extra:
            raise RuntimeError(f"only {opened['opened']} of {n + extra} connections opened: "
                               f"{opened['error']}")
        rss = _rss(server.pid)
        if scenario == "keepalive":
            time.sleep(interval + 1.0)   # every connection past its first ping: steady state
        _send(server, "mark")
        _line(server, 30)
        cpu0, t0 = _cpu_s(server.pid), time.monotonic()
        if scenario == "http":
            _send(client, f"go {window}")
            count = _line(client, window + 60)["requests"]
        else:
            time.sleep(window)
        cpu1, t1 = _cpu_s(server.pid), time.monotonic()
        _send(server, "report")
        report = _line(server, 30)
        if scenario == "keepalive":
            count = report["samples"]
        return ScaleResult(scenario, loop, n, (cpu1 - cpu0) / (t1 - t0),
                           (cpu1 - cpu0) * 1e6 / max(1, count), (rss - rss0) / n,
                           count / (t1 - t0), report["p50_ms"], report["p99_ms"],
                           opened["seconds"], report.get("closed", 0))
    finally:
        if client is not None:
            _end(client)
        _end(server)


FIGURES = ("cpu_per_s", "cpu_us_per_request", "rss_per_connection", "rate",
           "lateness_p50_ms", "lateness_p99_ms", "closed")


def summarize(rounds: list[ScaleResult]) -> dict[str, Any]:
    """Median and range of each figure over the rounds of one scenario, loop and N."""
    first = rounds[0]
    out: dict[str, Any] = {"scenario": first.scenario, "loop": first.loop,
                           "connections": first.connections, "rounds": len(rounds)}
    for name in FIGURES:
        values = [getattr(r, name) for r in rounds]
        out[name] = {"median": statistics.median(values), "min": min(values),
                     "max": max(values)}
    return out


def sweep(scenarios: list[str], loops: list[str], sizes: list[int], rounds: int,
          **kwargs: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Every scenario and loop at every size, ``rounds`` alternating rounds (the loop
    order rotates per round, so drift over the run falls on every loop alike). A size a
    loop cannot reach is named in the problems, not reported."""
    results: dict[tuple[str, str, int], list[ScaleResult]] = {}
    problems: dict[tuple[str, str, int], str] = {}       # the first, once per case
    for scenario in scenarios:
        for n in sizes:
            for r in range(rounds):
                for loop in loops[r % len(loops):] + loops[:r % len(loops)]:
                    try:
                        results.setdefault((scenario, loop, n), []).append(
                            run_scale(scenario, loop, n, **kwargs))
                    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                        problems.setdefault((scenario, loop, n),
                                            f"{scenario} on {loop} at N={n:,}: {exc}")
    return [summarize(v) for v in results.values() if v], list(problems.values())


def _cell(stat: dict[str, float], fmt: str, scale: float = 1.0) -> str:
    lo, mid, hi = (stat[k] * scale for k in ("min", "median", "max"))
    if math.isnan(mid):
        return "-"
    return f"{mid:{fmt}} ({lo:{fmt}}-{hi:{fmt}})"


def markdown(rows: list[dict[str, Any]], interval: float) -> str:
    """The sweep as Markdown tables, one per scenario: median (min-max) over the rounds."""
    out = []
    for scenario in SCENARIOS:
        mine = sorted((r for r in rows if r["scenario"] == scenario),
                      key=lambda r: (r["connections"], r["loop"]))
        if not mine:
            continue
        if scenario == "keepalive":
            out += [f"websockets keepalive, N idle connections, a ping every {interval:g} s "
                    "(default 20 s, scaled down); median (min-max) over the rounds.", "",
                    "| server loop | N | server CPU s/s | CPU µs/ping | RSS/connection | "
                    "pings/s | lateness p50 ms | p99 ms |",
                    "|---|---:|---:|---:|---:|---:|---:|---:|"]
        else:
            out += ["uvicorn (httptools), asyncio.timeout() per request, N idle keep-alive "
                    "connections beside the active ones; lateness: a 10 ms sleep probe; "
                    "median (min-max) over the rounds.", "",
                    "| server loop | N | CPU µs/request | server CPU s/s | RSS/connection | "
                    "requests/s | lateness p50 ms | p99 ms |",
                    "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in mine:
            first, second = ((_cell(r["cpu_per_s"], ".3f"), _cell(r["cpu_us_per_request"], ".1f"))
                             if scenario == "keepalive" else
                             (_cell(r["cpu_us_per_request"], ".1f"), _cell(r["cpu_per_s"], ".3f")))
            out.append(f"| {r['loop']} | {r['connections']:,} | {first} | {second} | "
                       f"{_cell(r['rss_per_connection'], '.1f', 1 / 1024)} KB | "
                       f"{r['rate']['median']:,.0f} | {_cell(r['lateness_p50_ms'], '.2f')} | "
                       f"{_cell(r['lateness_p99_ms'], '.1f')} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> None:
    role = argv[0] if argv else ""
    if role == "serve" and argv[1] == "keepalive":
        serve_keepalive(argv[2], int(argv[3]), float(argv[4]))
    elif role == "serve" and argv[1] == "http":
        serve_http(argv[2], int(argv[3]))
    elif role == "connect":
        connect(argv[1], [int(p) for p in argv[2].split(",")], int(argv[3]), int(argv[4]))
    else:
        raise SystemExit("usage: python -m timercore.bench.servers serve|connect ...")


if __name__ == "__main__":
    main(sys.argv[1:])
