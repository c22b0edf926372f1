"""Servers at scale, from the command line: a websockets server holding N idle
connections with their keepalive pings, and a uvicorn server with N idle keep-alive
connections beside active ones, on each event loop (python/timercore/bench/servers.py
says what is measured and how).

    python bench/servers.py                          # both; N = 10k, 50k, 100k; 5 rounds
    python bench/servers.py --scenarios keepalive --sizes 10000 --rounds 3 \
        --loops asyncio,timercore
    python bench/servers.py --json docs/servers-3.11.json --markdown

Needs about 16 KB of server memory per connection (1.6 GB at 100k) and root or a hard
open-file limit above N (each process raises its own soft limit, and only its own).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys

from timercore.bench.servers import SCENARIOS, SERVER_LOOPS, installed, markdown, sweep


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--sizes", default="10000,50000,100000")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--loops", default=",".join(SERVER_LOOPS),
                    help="server loops (those not installed are skipped, and named)")
    ap.add_argument("--interval", type=float, default=2.0,
                    help="keepalive ping interval and timeout, s (websockets' default: 20)")
    ap.add_argument("--active", type=int, default=32, help="http: active connections")
    ap.add_argument("--window", type=float, default=5.0, help="measured window, s")
    ap.add_argument("--json")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    loops = installed(args.loops.split(","))
    skipped = sorted(set(args.loops.split(",")) - set(loops))
    if skipped:
        print(f"not installed, skipped: {', '.join(skipped)}", file=sys.stderr)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows, problems = sweep(args.scenarios.split(","), loops, sizes, args.rounds,
                           interval=args.interval, active=args.active, window=args.window)
    for p in problems:
        print(f"could not measure: {p}", file=sys.stderr)
    print(markdown(rows, args.interval) if args.markdown else json.dumps(rows, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"python": platform.python_version(), "interval_s": args.interval,
                       "window_s": args.window, "rows": rows, "problems": problems}, f,
                      indent=1)


if __name__ == "__main__":
    main()
