"""The `timercore` command: `timercore bench` (and, later, `timercore run SCRIPT`)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="timercore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    bench = sub.add_parser("bench", help="compare timercore with asyncio, heapq and others")
    from timercore import bench as bench_mod

    bench_mod.add_arguments(bench)
    args = parser.parse_args(argv)
    if args.command == "bench":
        return bench_mod.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
