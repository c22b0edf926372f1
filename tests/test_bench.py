"""`timercore bench`'s cases run and return sane figures (tiny N: a smoke test of the
benchmark's own code, not a measurement)."""

import pytest

from timercore import bench

CASES, _ = bench.cases({"asyncio", "heapq", "sched"})
FAST = [c for c in CASES if c.unit == "ns/timer" and "over 1 s" not in c.scenario]


@pytest.mark.parametrize("case", FAST, ids=[f"{c.scenario}/{c.peer}" for c in FAST])
def test_bench_case_runs(case):
    assert case.fn(300) > 0


def test_bench_memory_case_reports_bytes_per_timer():
    (case,) = [c for c in CASES if c.scenario == "memory" and c.peer == "TimerWheel"]
    assert 0 < case.fn(100_000) < 200


def test_bench_measure_ratio_render_and_chart(tmp_path):
    from rich.console import Console
    picked = [c for c in FAST if c.scenario == "schedule"]
    results = bench.measure(picked, [200, 400], repeat=1)
    ratios = bench.ratio_to_asyncio(results)
    assert ratios[("schedule", "asyncio call_at", 200)] == 1.0
    bench.render(results, Console(file=open(tmp_path / "t.txt", "w")))
    bench.chart(results, str(tmp_path / "c.png"))
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_bench_missing_peer_is_named_not_an_error(monkeypatch):
    monkeypatch.setattr(bench, "_uvloop_factory", lambda: None)
    _, missing = bench.cases({"uvloop"})
    assert missing and "uvloop" in missing[0]
