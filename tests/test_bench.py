"""`timercore bench`: its cases run and return sane figures (tiny N: a smoke test of the
benchmark's own code, not a measurement), and its command line fails clearly."""
import subprocess
import sys

import pytest

from timercore.bench import cli
from timercore.bench import scenarios as sc

CASES, _ = cli.cases({"asyncio", "heapq", "sched"})
FAST = [c for c in CASES if c.unit == "ns/timer" and c.scenario != "fire over 1 s"]


@pytest.mark.parametrize("case", FAST, ids=[f"{c.scenario}/{c.api}" for c in FAST])
def test_bench_case_runs(case):
    assert case.fn(300) > 0


def test_bench_memory_case_reports_bytes_per_timer():
    (case,) = [c for c in CASES if c.scenario == "memory" and c.family == "TimerWheel"]
    assert 0 < case.fn(100_000) < 200


def test_bench_grid_ratios_render_and_chart(tmp_path):
    from rich.console import Console
    picked = [c for c in FAST if c.scenario in ("schedule", "cancel")]
    results = cli.measure(picked, [200, 400], repeat=1)
    rows, cols, cells = cli._grid(results, 200)
    assert rows == ["schedule", "cancel"] and "timercore loop" in cols
    assert cli.loop_ratio(cells["schedule"]) == cells["schedule"]["asyncio"] / \
        cells["schedule"]["timercore loop"]
    out = tmp_path / "t.txt"
    with open(out, "w") as f:
        cli.render(results, Console(file=f, width=100))
    text = out.read_text()
    assert "loop×" in text and "the fastest of the other loops" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    table = cli.markdown(results, 200)
    assert table.startswith("| scenario |") and "| schedule |" in table
    # A ratio column no row has a figure for (node×, without Node.js) is left out,
    # as on screen: every row has as many cells as the head.
    head, *body = table.split("\n\n")[0].splitlines()
    assert "node" not in cols and "loop×" in head and "node×" not in head
    assert all(row.count("|") == head.count("|") for row in body)
    cli.chart(results, str(tmp_path / "c.png"))
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_chart_draws_one_line_per_peer_even_where_two_name_their_api_alike():
    # The Window's and Node.js's pairs are both clearTimeout(setTimeout()): keyed by the
    # API alone they were drawn as one line zigzagging between the two.
    results = [cli.Result("schedule + cancel", family, "clearTimeout(setTimeout())", n,
                          "ns/timer", [figure])
               for family, figure in (("Window", 70.0), ("Node.js", 300.0))
               for n in (10_000, 100_000)]
    results.append(cli.Result("schedule", "Window", "Window.setTimeout", 10_000, "ns/timer",
                              [80.0]))
    series = cli.chart_series(results)
    assert series == {
        ("schedule + cancel", "clearTimeout(setTimeout()) (Window)"): [(10_000, 70.0),
                                                                      (100_000, 70.0)],
        ("schedule + cancel", "clearTimeout(setTimeout()) (Node.js)"): [(10_000, 300.0),
                                                                       (100_000, 300.0)],
        ("schedule", "Window.setTimeout"): [(10_000, 80.0)],
    }


def test_bench_missing_peer_is_named_not_an_error(monkeypatch):
    monkeypatch.setattr(cli, "_installed", lambda name: False)
    _, missing = cli.cases({"uvloop", "rloop", "zuvloop", "rsloop"})
    assert [m.split()[0] for m in missing] == ["uvloop", "rloop", "zuvloop", "rsloop"]
    assert "zuvloop (pip install zuvloop; CPython 3.14)" in missing
    assert "uvloop (pip install uvloop)" in missing


def test_every_loops_fire_case_fires_timers_not_call_soon_handles():
    # A delay that rounds to 0 is call_soon on uvloop and rloop: "fire" would then time
    # their ready queues. Every installed peer's fire case schedules real timers.
    cases, _ = cli.cases(set(cli.LOOP_PEERS))
    fire = [c for c in cases if c.scenario == "fire" and c.family not in ("TimerWheel", "Window")]
    assert {c.family for c in fire} >= {"asyncio", "timercore loop"}
    for case in fire:
        assert case.fn(200) > 0, case.family
    loop = cli.asyncio.new_event_loop()
    with pytest.raises(AssertionError, match="not timers"):
        sc.assert_timers([loop.call_later(0.001, sc.noop), loop.call_soon(sc.noop)])
    loop.close()


def test_node_peer_runs_when_node_is_there():
    if not cli.shutil.which("node"):
        pytest.skip("node is not on PATH")
    cases, _ = cli.cases({"node"})
    (schedule,) = [c for c in cases if c.family == "Node.js" and c.scenario == "schedule"]
    assert schedule.fn(1000) > 0


def bench(*args):
    return subprocess.run([sys.executable, "-m", "timercore", "bench", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, message", [
    (["--timers", "1,000,000"], "write one million as 1000000 or 1_000_000"),
    (["--timers", "ten"], "--timers takes whole numbers"),
    (["--timers", "0"], "--timers must be positive"),
    (["--peers", "asyncio,trio"], "--peers: unknown 'trio'; valid: asyncio, uvloop, rloop"),
    (["--scenario", "fire,teleport"], "--scenario: unknown 'teleport'; valid: schedule"),
    (["--chart", "/nonexistent/dir/c.png"], "--chart /nonexistent/dir/c.png: cannot write"),
    (["--json", "/nonexistent/dir/r.json"], "--json /nonexistent/dir/r.json: cannot write"),
    (["--repeat", "0"], "--repeat must be at least 1"),
])
def test_bad_options_are_one_clear_line(args, message):
    r = bench(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert message in r.stderr and "Traceback" not in r.stderr


def test_scenario_help_lists_every_scenario():
    r = bench("--help")
    assert r.returncode == 0, r.stderr
    text = "".join(r.stdout.split())          # argparse wraps lines, even at hyphens
    for name in cli.SCENARIOS:
        assert repr(name).replace(" ", "") in text


def test_piped_run_prints_one_line_per_case_and_keeps_the_json(tmp_path):
    out = tmp_path / "r.json"
    r = bench("--quick", "--peers", "heapq", "--scenario", "schedule,cancel",
              "--json", str(out))
    assert r.returncode == 0, r.stderr
    lines = [x for x in r.stdout.splitlines() if x.startswith("[")]
    assert lines[0].startswith("[1/") and "schedule · TimerWheel.insert · N=10,000:" in lines[0]
    import json
    data = json.loads(out.read_text())
    assert {x["family"] for x in data["results"]} >= {"TimerWheel", "Window", "heapq"}


def test_a_failing_chart_keeps_the_json(tmp_path, monkeypatch):
    out = tmp_path / "r.json"
    import argparse
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    args = p.parse_args(["--quick", "--peers", "heapq", "--scenario", "schedule",
                         "--json", str(out), "--chart", str(tmp_path / "c.png")])

    def broken(results, path):
        raise RuntimeError("no backend")
    monkeypatch.setattr(cli, "chart", broken)
    assert cli.run(args) == 1
    assert out.exists() and out.stat().st_size > 100


def test_the_workloads_match_users_code():
    from timercore.bench.workloads import idle_mix
    mix = idle_mix(1000)
    assert len(mix.cancel) == 400 and len(mix.rearm) == 500
    assert not set(mix.cancel.tolist()) & set(mix.rearm.tolist())
    assert sc.noop() is None


def test_per_run_figures_go_in_the_largest_n_table():
    rs = [cli.Result("fire", "asyncio", "a", 10, "ns/timer", [1.0]),
          cli.Result("fire", "asyncio", "a", 100, "ns/timer", [2.0]),
          cli.Result("server", "asyncio", "a", 10, "ns CPU/message", [5.0])]
    assert cli._grid(rs, 100)[2] == {"fire": {"asyncio": 2.0}, "server": {"asyncio": 5.0}}
    assert cli._grid(rs, 10)[2] == {"fire": {"asyncio": 1.0}}


def test_bench_without_rich_names_the_extra(monkeypatch, capsys):
    import argparse
    monkeypatch.setitem(sys.modules, "rich.console", None)
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    assert cli.run(p.parse_args(["--quick"])) == 2
    assert "needs rich: pip install rich (or '.[bench]'" in capsys.readouterr().err


def test_each_case_runs_in_a_child_that_inherits_no_heap_and_reports_back():
    import os
    parent = os.getpid()
    assert cli._in_child(lambda: [float(os.getpid() != parent)]) == [1.0]


def test_a_failing_case_fails_the_run_with_its_error():
    def boom():
        raise ValueError("bad case")
    with pytest.raises(RuntimeError, match="ValueError: bad case"):
        cli._in_child(boom)


def test_the_readme_states_the_durations_the_bench_estimates(monkeypatch):
    # The README's first screen and the bench's own first line agree on how long a run
    # takes (every peer counted as installed, so the figure does not depend on this venv).
    import argparse
    import importlib.util
    import pathlib
    import re
    import types
    monkeypatch.setattr(cli, "_installed", lambda name: True)
    for peer in cli.LOOP_PEERS:                  # stand-ins: estimating runs nothing
        if importlib.util.find_spec(peer) is None:
            stand_in = types.ModuleType(peer)
            stand_in.new_event_loop = None
            monkeypatch.setitem(sys.modules, peer, stand_in)
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    m = re.search(r"about (\d+)-(\d+) minutes; `timercore bench --full` is the full "
                  r"sweep, (\d+)-(\d+) minutes", readme)
    assert m, "the README's first screen names both durations"
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)

    def estimate_min(argv):
        args = parser.parse_args(argv)
        ns, repeat, cases, _ = cli.plan(args)
        todo = [(c, n) for n in ns for c in cases if cli._runs(c, n, ns)]
        return (sum(cli.estimate_s(c, n, repeat) for c, n in todo)
                + cli.servers_estimate_s(cli.servers_plan(args))) / 60

    low, high, full_low, full_high = map(int, m.groups())
    assert low <= round(estimate_min([])) <= high
    assert low <= round(estimate_min(["--peers", "asyncio,uvloop,rloop,node,heapq"])) <= high
    assert full_low <= round(estimate_min(["--full"])) <= full_high
    assert f"about {full_low}-{full_high} minutes" in " ".join(parser.format_help().split())


def test_the_keepalive_timers_case_runs_every_ping_on_each_loop():
    # websockets' keepalive path without sockets: N connections x KEEPALIVE_PINGS pings,
    # each a sleep that fires and a timeout that is cancelled; CPU ns per ping > 0.
    cases = [c for c in CASES if c.scenario == "keepalive timers"]
    assert {c.family for c in cases} >= {"timercore loop", "asyncio"}
    for case in cases:
        assert case.fn(200) > 0


def test_servers_at_scale_runs_only_when_asked_and_names_every_loop(monkeypatch, capsys):
    import argparse
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    installed = {"uvloop", "rloop", *cli.SERVERS_NEED}
    monkeypatch.setattr(cli, "_installed", lambda name: name in installed)
    asked = ["--scenario", "servers at scale", "--peers", "asyncio,uvloop,rloop"]
    assert cli.servers_plan(parser.parse_args([])) == []
    loops = cli.servers_plan(parser.parse_args(asked))
    assert loops == ["asyncio", "uvloop", "rloop", "timercore", "timercore/uvloop",
                     "timercore/rloop"]
    assert cli.servers_estimate_s(loops) > 0
    installed.discard("websockets")                  # named and skipped, not a failure
    assert cli.servers_plan(parser.parse_args(asked)) == []
    assert "needs websockets" in capsys.readouterr().err


def test_the_server_rows_run_in_alternating_rounds_and_show_their_median(monkeypatch):
    # One sample per round, every loop's server case in turn, the order rotating.
    order = []
    figures = {"asyncio": iter([10.0, 30.0, 20.0, 50.0, 40.0]),
               "timercore loop": iter([5.0, 9.0, 7.0, 6.0, 8.0])}

    def case(family):
        return cli.Case("server", family, family, lambda n: 0.0, "ns CPU/message", once=True)

    def in_child(fn):
        family = fn.args[0].family
        order.append(family)
        return [next(figures[family])]

    monkeypatch.setattr(cli, "_in_child", in_child)
    results = cli.measure([case("asyncio"), case("timercore loop")], [1000], 1)
    assert order == ["asyncio", "timercore loop", "timercore loop", "asyncio"] * 2 + [
        "asyncio", "timercore loop"]
    by = {r.family: r for r in results}
    assert by["asyncio"].samples == [10.0, 30.0, 20.0, 50.0, 40.0]
    assert by["asyncio"].best == 30.0 and by["timercore loop"].best == 7.0


def test_a_server_row_whose_ranges_overlap_says_so_instead_of_a_ratio():
    def row(ours, theirs):
        rs = [cli.Result("server", "timercore loop", "x", 100, "ns CPU/message", ours),
              cli.Result("server", "asyncio", "x", 100, "ns CPU/message", theirs)]
        return [line for line in cli.markdown(rs, 100).splitlines()
                if line.startswith("| server")][0]
    assert row([90.0, 100.0, 110.0], [105.0, 120.0, 130.0]).endswith("| ≈ |")
    apart = row([90.0, 100.0, 110.0], [150.0, 160.0, 170.0])
    assert apart.endswith("| 1.6× |") and "160 (150-170)" in apart
