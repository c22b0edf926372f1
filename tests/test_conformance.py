"""Conformance fixes (issue #18), each named after the spec step it follows and written
from the spec text: idle periods after a task, event handler attributes, DOM inner invoke,
denied string intervals, suspension inside a task, WebIDL conversions of rIC handles and
dialog arguments; and what a JavaScript developer types first."""
import asyncio
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import timercore
from timercore import Event, ScriptedDialogs, VirtualClock, Window


def idle_log(w, log):
    return lambda d: log.append((w.now(), d.didTimeout, d.timeRemaining() > 0))


# -- 1. "Start an idle period" once nothing is runnable, whoever posted the callback ---------

@pytest.mark.parametrize("poster", ["timer", "microtask", "event listener", "idle callback"])
def test_rIC_start_an_idle_period_after_the_task_that_posted_it(poster):
    w = Window(clock=VirtualClock())
    log = []

    def post():
        w.requestIdleCallback(idle_log(w, log), {"timeout": 1000})

    if poster == "timer":
        w.setTimeout(post, 0)
    elif poster == "microtask":
        w.queueMicrotask(post)
    elif poster == "event listener":
        w.addEventListener("ping", lambda e: post())
        w.setTimeout(lambda: w.dispatchEvent(Event("ping")), 0)
    else:
        w.requestIdleCallback(lambda d: post())
    w.run()
    # Not at its 1000 ms timeout: in the idle period that starts once nothing is runnable
    # (from an idle callback: the next period, which cannot start before this one's 50 ms
    # deadline).
    assert log == [(50.0 if poster == "idle callback" else 0.0, False, True)]


def test_rIC_start_an_idle_period_from_a_timer_on_a_hosted_scope():
    clock = VirtualClock()

    async def main():
        w = Window(clock=clock, loop=asyncio.get_running_loop())
        log = []
        w.setTimeout(lambda: w.requestIdleCallback(idle_log(w, log), {"timeout": 1000}), 0)
        await w.run_async()
        w.close()
        return log

    assert asyncio.run(main()) == [(0.0, False, True)]


# -- 2. HTML §8.1.8.1: deactivate / activate an event handler ----------------------------------

def test_8_1_8_1_event_handler_listener_order_one_two_three_four():
    w = Window(clock=VirtualClock())
    log = []
    w.addEventListener("beforeprint", lambda e: log.append("ONE"))
    w.onbeforeprint = lambda e: log.append("NOT CALLED")   # its listener is registered here
    w.addEventListener("beforeprint", lambda e: log.append("THREE"))
    w.onbeforeprint = lambda e: log.append("TWO")          # same listener, new callback
    w.addEventListener("beforeprint", lambda e: log.append("FOUR"))
    w.dispatchEvent(Event("beforeprint"))
    assert log == ["ONE", "TWO", "THREE", "FOUR"]


@pytest.mark.parametrize("name", ["onerror", "onbeforeprint", "onafterprint"])
def test_8_1_8_1_setting_null_removes_the_listener_and_setting_again_appends_it(name):
    w = Window(clock=VirtualClock())
    log = []
    event_type = name[2:]
    setattr(w, name, lambda *a: log.append("old"))
    w.addEventListener(event_type, lambda e: log.append("listener"))
    setattr(w, name, None)                     # deactivate: its listener is removed
    setattr(w, name, lambda *a: log.append("new"))   # activate: appended at the end
    w.dispatchEvent(Event(event_type))
    assert log == ["listener", "new"]          # once, after the listener
    assert getattr(w, name) is not None


# -- 3. DOM "inner invoke": a listener removed during the dispatch does not run ----------------

def test_dom_inner_invoke_skips_a_listener_removed_by_an_earlier_one():
    w = Window(clock=VirtualClock())
    log = []

    def second(e):
        log.append("second")

    def first(e):
        log.append("first")
        w.removeEventListener("ping", second)
        w.addEventListener("ping", lambda e: log.append("added during dispatch"))

    w.addEventListener("ping", first)
    w.addEventListener("ping", second)
    w.dispatchEvent(Event("ping"))
    assert log == ["first"]
    w.dispatchEvent(Event("ping"))
    assert log == ["first", "first", "added during dispatch"]


def test_dom_inner_invoke_skips_an_event_handler_nulled_by_an_earlier_listener():
    w = Window(clock=VirtualClock())
    log = []
    w.addEventListener("beforeprint", lambda e: setattr(w, "onbeforeprint", None))
    w.onbeforeprint = lambda e: log.append("handler")
    w.dispatchEvent(Event("beforeprint"))
    assert log == []


# -- 4. §8.6 timer task step 9.3.2: a denied string handler aborts the task ----------------------

def test_8_6_step9_3_2_denied_string_interval_aborts_and_does_not_repeat():
    w = Window(clock=VirtualClock(), string_handlers=False)
    errors = []
    w.addEventListener("error", lambda e: (errors.append(e.error), e.preventDefault()))
    handle = w.setInterval("x = 1", 100)
    w.run_all(loop_limit=50)                  # would raise LoopLimitError if it re-armed
    assert len(errors) == 1 and isinstance(errors[0], timercore.CompileStringsError)
    assert w.count_timers() == 0 and handle not in w.active_timers


# -- 5. Suspension: only tasks of a fully active document are runnable --------------------------

def test_suspend_inside_a_task_holds_back_timers_due_in_the_same_batch():
    w = Window(clock=VirtualClock())
    log = []
    w.setTimeout(lambda: (log.append("a"), w.suspend()), 10)
    w.setTimeout(lambda: log.append("b"), 10)
    w.setTimeout(lambda: log.append("c"), 10)
    w.run()
    assert log == ["a"]
    w.resume()
    w.run()
    assert log == ["a", "b", "c"]


def test_suspend_inside_an_idle_callback_holds_back_the_rest_of_the_period():
    w = Window(clock=VirtualClock())
    log = []
    w.requestIdleCallback(lambda d: (log.append(1), w.suspend()))
    w.requestIdleCallback(lambda d: log.append(2))
    w.run()
    assert log == [1]
    w.resume()
    w.run()
    assert log == [1, 2]


# -- 6. cancelIdleCallback(unsigned long handle): WebIDL conversion -----------------------------

@pytest.mark.parametrize("convert", [float, np.int64, lambda h: type("I", (), {
    "__index__": lambda self: h})()], ids=["float", "numpy.int64", "__index__"])
def test_rIC_cancelIdleCallback_converts_its_handle_as_unsigned_long(convert):
    w = Window(clock=VirtualClock())
    log = []
    handle = w.requestIdleCallback(lambda d: log.append("ran"))
    w.cancelIdleCallback(convert(handle))
    w.cancelIdleCallback("junk")              # names no callback: ignored
    w.run()
    assert log == []


# -- 7 and 8. §8.8.1 simple dialogs ----------------------------------------------------------

def test_8_8_1_prompt_step2_normalizes_the_message_not_the_default():
    d = ScriptedDialogs(prompt=["ok"])
    w = Window(clock=VirtualClock(), dialogs=d)
    got = []
    d.prompt = lambda message, default: got.append((message, default)) or "ok"
    assert w.prompt("a\r\nb", "c\r\nd") == "ok"
    assert got == [("a\nb", "c\r\nd")]


@pytest.mark.parametrize("call", [
    lambda w, x: w.alert(x), lambda w, x: w.confirm(x), lambda w, x: w.prompt(x),
    lambda w, x: w.prompt("m", x)], ids=["alert", "confirm", "prompt", "prompt default"])
def test_8_8_webidl_converts_arguments_even_when_dialogs_cannot_show(call):
    class Raising:
        def __str__(self):
            raise ValueError("str() was called")

    w = Window(clock=VirtualClock(), dialogs=ScriptedDialogs())
    w.sandboxed_modals = True                 # cannot show simple dialogs
    with pytest.raises(ValueError, match="str"):
        call(w, Raising())


# -- What a JavaScript developer types first ---------------------------------------------------

def test_hr_time_performance_now_on_the_scope_clock():
    clock = VirtualClock()
    w = timercore.WorkerGlobalScope(clock=clock)
    seen = []
    w.setTimeout(lambda: seen.append(w.performance.now()), 250)
    w.run()
    assert seen == [250.0] and w.performance.now() == 250.0
    assert w.performance.timeOrigin > 1.7e12           # a Unix time in ms
    assert w.namespace["performance"] is w.performance


def test_8_6_undefined_timeout_None_is_zero():
    w = Window(clock=VirtualClock())
    log = []
    w.setTimeout(lambda: log.append(w.now()), None)
    w.setInterval(lambda: None, None)
    w.run_for(0)
    assert log == [0.0]


def test_async_function_handler_needs_a_hosted_scope():
    w = Window(clock=VirtualClock())

    async def later():
        pass

    with pytest.raises(TypeError, match="hosted on asyncio"):
        w.setTimeout(later, 10)
    with pytest.raises(TypeError, match="hosted on asyncio"):
        w.setInterval(later, 10)
    with pytest.raises(TypeError, match=r"queueMicrotask\(\) got an async function"):
        w.queueMicrotask(later)
    with pytest.raises(TypeError, match=r"requestIdleCallback\(\) got an async function"):
        w.requestIdleCallback(later)
    assert not w._waits()                 # nothing was queued


def test_async_microtask_and_idle_callback_run_as_tasks_on_a_hosted_scope():
    async def main():
        w = Window(clock=VirtualClock(), loop=asyncio.get_running_loop())
        log, errors = [], []
        w.addEventListener("error", lambda e: (errors.append(e.error), e.preventDefault()))

        async def micro():
            await asyncio.sleep(0)
            log.append("microtask")

        async def idle(deadline):
            log.append(("idle", deadline.didTimeout))
            raise KeyError("reported")

        w.queueMicrotask(micro)
        w.requestIdleCallback(idle)
        await w.run_async()              # waits for the handlers' tasks too
        return log, errors

    log, errors = asyncio.run(main())
    assert sorted(map(str, log)) == ["('idle', False)", "microtask"]
    assert len(errors) == 1 and isinstance(errors[0], KeyError)


def test_async_function_handler_runs_as_a_task_on_a_hosted_scope():
    async def main():
        loop = asyncio.get_running_loop()
        w = Window(clock=VirtualClock(), loop=loop)
        done = loop.create_future()
        errors = []
        w.addEventListener("error", lambda e: (errors.append(e.error), e.preventDefault()))

        async def fetch(x):
            await asyncio.sleep(0)
            done.set_result(x)

        async def broken():
            raise KeyError("reported like a callback's")

        w.setTimeout(fetch, 10, "value")
        w.setTimeout(broken, 20)
        result = await done
        await w.run_async()
        for _ in range(5):
            await asyncio.sleep(0)
        w.close()
        return result, errors

    result, errors = asyncio.run(main())
    assert result == "value"
    assert len(errors) == 1 and isinstance(errors[0], KeyError)


def run_script(tmp_path, source, *args):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run([sys.executable, "-m", "timercore", "run", *args, str(script)],
                          capture_output=True, text=True, timeout=60)


def test_timercore_run_print_with_arguments_logs(tmp_path):
    r = run_script(tmp_path, """
        print("x", 1)
        setTimeout(lambda: print("later", performance.now()), 5)
    """, "--virtual-time")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["x 1", "later 5.0"]


def test_timercore_run_print_without_arguments_is_the_web_print(tmp_path):
    r = run_script(tmp_path, """
        window.printer = None
        window.addEventListener("beforeprint", lambda e: console.log("beforeprint"))
        print()
    """)
    assert r.returncode == 0, r.stderr
    assert "beforeprint" in r.stdout


def test_timercore_run_loop_limit_stops_a_runaway_interval(tmp_path):
    r = run_script(tmp_path, "setInterval(lambda: None, 1000)\n", "--virtual-time",
                   "--loop-limit", "100")
    assert r.returncode == 1
    assert r.stderr.startswith("timercore run: the loop stopped after 100 timer tasks")
    assert "Traceback" not in r.stderr


def test_timercore_run_virtual_time_never_spins_silently(tmp_path):
    r = run_script(tmp_path, "setInterval(lambda: None, 1000)\n", "--virtual-time")
    assert r.returncode == 1
    assert r.stderr.startswith("timercore run: the loop stopped after 1000000 timer tasks")
    assert "--loop-limit 0 removes it" in r.stderr
    r = subprocess.run([sys.executable, "-m", "timercore", "run", "--help"],
                       capture_output=True, text=True, timeout=60)
    assert "1,000,000 with --virtual-time" in " ".join(r.stdout.split())


def test_timercore_run_loop_limit_0_is_no_limit(tmp_path):
    r = run_script(tmp_path, "n = [0]\ndef tick():\n    n[0] += 1\n    if n[0] == 3:\n"
                             "        clearInterval(h)\nh = setInterval(tick, 1000)\n",
                   "--virtual-time", "--loop-limit", "0")
    assert r.returncode == 0, r.stderr


def test_timercore_run_help_notes_print():
    r = subprocess.run([sys.executable, "-m", "timercore", "run", "--help"],
                       capture_output=True, text=True, timeout=60)
    assert "console.log" in " ".join(r.stdout.split())


@pytest.mark.parametrize("timeout, expected", [
    (10.9, 10), (-0.5, 0), (float("nan"), 0), (float("inf"), 0), (True, 1),
    (np.float64(7.99), 7), (np.int64(5), 5), (2.0**31 + 3.5, None)])
def test_webidl_long_conversion_of_real_timeouts(timeout, expected):
    """WebIDL long: truncate toward zero, NaN/inf -> 0; a wrap (2**31 + 3 ms) and an
    infinity warn."""
    w = Window(clock=VirtualClock())
    fired = []
    if timeout == float("inf"):
        with pytest.warns(timercore.TimeoutOverflowWarning, match="converts it to 0"):
            w.setTimeout(lambda: fired.append(w.now()), timeout)
    elif expected is None:
        with pytest.warns(timercore.TimeoutOverflowWarning):
            w.setTimeout(lambda: fired.append(w.now()), timeout)
        expected = 0                   # -2**31 + 3, clamped to 0
    else:
        w.setTimeout(lambda: fired.append(w.now()), timeout)
    w.run()
    assert fired == [float(expected)]
