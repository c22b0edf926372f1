"""`timercore bench` and the workloads shared by every benchmark and stress script.

- ``workloads``: deadlines as users have them, the idle-timeout mix, refresh orders;
- ``scenarios``: each peer's scenarios, written as users write them;
- ``memory``: bytes per pending timer, measured in a child process;
- ``node_peer.js``: the Node.js peer's scenarios;
- ``cli``: the cases, the run, the table, the chart and the command line.
"""
from timercore.bench.cli import add_arguments, run

__all__ = ["add_arguments", "run"]
