"""uvicorn (httptools) under wrk: CPU per request of the server process, on plain uvloop
(or rloop, --io rloop) and on timercore's timers over its I/O, with and without 1,000,000
idle timers
pending (the idle connections of a big server). uvicorn re-arms a keep-alive timeout
(cancel + call_later) on every request, so each request exercises the timers.

    python bench/uvicorn_wrk.py [--io uvloop|rloop] [--seconds 8] [--connections 50] [--json FILE]

Needs uvicorn, httptools, uvloop and wrk (Debian's package). Quoted in docs/asyncio.md.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

APP = '''
import asyncio, os
idle = []

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                loop = asyncio.get_running_loop()
                for i in range(int(os.environ.get("IDLE_TIMERS", "0"))):
                    idle.append(loop.call_later(3600 + i * 1e-3, lambda: None))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
'''

LOOPS = {"uvloop": {"uvloop": "uvloop", "timercore on uvloop":
                    "timercore.aio:new_uvloop_event_loop"},
         "rloop": {"rloop": "rloop:new_event_loop", "timercore on rloop":
                   "timercore.aio:new_rloop_event_loop"}}


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(loop: str, idle: int, seconds: int, connections: int, workdir: str) -> dict:
    port = free_port()
    env = {**os.environ, "IDLE_TIMERS": str(idle)}
    uvicorn = os.path.join(os.path.dirname(sys.executable), "uvicorn")
    proc = subprocess.Popen([uvicorn, "app:app", "--loop", loop, "--http", "httptools",
                             "--port", str(port), "--log-level", "warning",
                             "--lifespan", "on"], cwd=workdir, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"uvicorn --loop {loop} did not start") from None
                time.sleep(0.2)
        cpu0 = cpu_seconds(proc.pid)
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
                              f"http://127.0.0.1:{port}/"], capture_output=True, text=True,
                             check=True).stdout
        cpu1 = cpu_seconds(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"requests": requests, "cpu_s": cpu1 - cpu0,
            "cpu_us_per_request": (cpu1 - cpu0) * 1e6 / requests}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--io", choices=sorted(LOOPS), default="uvloop")
    p.add_argument("--json", default=None)
    args = p.parse_args()
    loops = LOOPS[args.io]
    plain, ours = list(loops)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        with open(os.path.join(workdir, "app.py"), "w") as f:
            f.write(APP)
        for idle in (0, 1_000_000):
            for rnd in range(args.rounds):          # alternate, so drift hits both alike
                for name, loop in loops.items():
                    r = measure(loop, idle, args.seconds, args.connections, workdir)
                    r.update(loop=name, idle_timers=idle, round=rnd)
                    rows.append(r)
                    print(f"{name:22} idle={idle:>9,} round {rnd}: {r['requests']:>8,} "
                          f"requests, {r['cpu_us_per_request']:.2f} µs CPU/request",
                          flush=True)
    best = {}
    for r in rows:
        key = (r["loop"], r["idle_timers"])
        best[key] = min(best.get(key, float("inf")), r["cpu_us_per_request"])
    for idle in (0, 1_000_000):
        a, b = best[(plain, idle)], best[(ours, idle)]
        print(f"idle timers {idle:>9,}: {plain} {a:.2f} µs, {ours} {b:.2f} µs "
              f"per request (ratio {b / a:.3f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "best_us_per_request": {f"{k[0]}, idle={k[1]}": v
                                                             for k, v in best.items()}},
                      f, indent=1)


if __name__ == "__main__":
    main()
