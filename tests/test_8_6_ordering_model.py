"""§8.6 ordering against a model of the spec's rule (Hypothesis): for one scope and one
ordering identifier, a timer never runs before an earlier-started one whose timeout is
equal or less, never before its own timeout has elapsed, and (timercore's choice) runs
at its expiry in (expiry, start order) order on a VirtualClock."""
from hypothesis import given
from hypothesis import strategies as st

import timercore

ops = st.lists(st.one_of(
    st.tuples(st.just("set"), st.sampled_from([-5, 0, 0, 1, 4, 4, 10, 64, 65, 5000])),
    st.tuples(st.just("interval"), st.sampled_from([0, 3, 10])),
    st.tuples(st.just("clear"), st.integers(0, 30)),
    st.tuples(st.just("run_for"), st.sampled_from([0, 1, 3, 10, 70, 6000])),
    st.tuples(st.just("busy"), st.sampled_from([1, 7])),
), max_size=40)


@given(ops)
def test_8_6_ordering_matches_the_model(operations):
    clock = timercore.VirtualClock()
    w = timercore.Window(clock=clock)
    log = []
    model_timers = {}          # id -> [expiry, seq, timeout, repeat]
    model_log = []
    seq = [0]
    now = [0.0]
    interval_runs = {}

    def model_run_until(end):
        while True:
            due = [(exp, s, i) for i, (exp, s, _, _) in model_timers.items() if exp <= end]
            if not due:
                break
            exp, s, i = min(due)
            now[0] = max(now[0], exp)
            model_log.append((i, now[0]))
            _, _, timeout, repeat = model_timers[i]
            interval_runs[i] = interval_runs.get(i, 0) + 1
            if repeat and interval_runs[i] < 3:
                seq[0] += 1
                # setInterval re-runs the steps from a level-n task: clamp after 5.
                t = 4 if interval_runs[i] > 5 and timeout < 4 else timeout
                model_timers[i] = [now[0] + t, seq[0], timeout, repeat]
            else:
                del model_timers[i]
        now[0] = max(now[0], end)

    def make_cb(kind):
        def cb():
            log.append((cb.id, clock.now()))
            interval_runs_real[cb.id] = interval_runs_real.get(cb.id, 0) + 1
            if kind == "interval" and interval_runs_real[cb.id] >= 3:
                w.clearInterval(cb.id)
        return cb

    ids = []
    interval_runs_real = {}
    for op, arg in operations:
        if op in ("set", "interval"):
            cb = make_cb(op)
            cb.id = (w.setTimeout if op == "set" else w.setInterval)(cb, arg)
            ids.append(cb.id)
            seq[0] += 1
            model_timers[cb.id] = [now[0] + max(arg, 0), seq[0], max(arg, 0), op == "interval"]
        elif op == "clear":
            if ids:
                i = ids[arg % len(ids)]
                w.clearTimeout(i)
                model_timers.pop(i, None)
        elif op == "busy":
            clock.advance(arg)
            now[0] += arg
        else:
            w.run_for(arg)
            model_run_until(now[0] + arg)
        assert log == model_log
        assert dict(w.active_timers) == {i: v[0] for i, v in model_timers.items()}
    w.run()
    model_run_until(float("inf"))
    assert log == model_log
    assert len(w.active_timers) == 0
