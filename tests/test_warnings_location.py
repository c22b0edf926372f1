"""Every warning timercore issues points at the user's line, wherever the call comes from
(a script, a callback, a microtask, a hosted scope, `timercore run`), so reading it and
``warnings.filterwarnings(module=...)`` work."""
import asyncio
import subprocess
import sys
import warnings


import timercore
from timercore import TimeoutOverflowWarning


def line_after():
    """The line number just after the caller's line."""
    return sys._getframe(1).f_lineno + 1


def recorded(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, w.filename, w.lineno) for w in caught]


def test_a_call_from_a_plain_script_warns_at_its_line(window):
    def call():
        expected.append(line_after())
        window.setTimeout(print, 2**31)
    expected = []
    assert recorded(call) == [(TimeoutOverflowWarning, __file__, expected[0])]


def test_a_call_from_a_timer_callback_and_a_microtask_warns_at_its_line(window):
    expected = []

    def from_timer():
        expected.append(line_after())
        window.setTimeout(print, float("inf"))

    def from_microtask():
        expected.append(line_after())
        window.setInterval(print, -2**40)

    window.setTimeout(from_timer, 5)
    window.queueMicrotask(from_microtask)
    got = recorded(lambda: window.run_for(10))
    assert got == [(TimeoutOverflowWarning, __file__, line) for line in expected]


def test_a_call_from_a_hosted_scope_warns_at_its_line():
    expected = []

    async def main():
        w = timercore.Window(loop=asyncio.get_running_loop())
        expected.append(line_after())
        w.setTimeout(print, 2**32 + 2**31)
        w.close()
    assert recorded(lambda: asyncio.run(main())) == [
        (TimeoutOverflowWarning, __file__, expected[0])]


def test_idle_callback_timeouts_are_unsigned_longs(window):
    def call():
        expected.append(line_after())
        window.requestIdleCallback(print, {"timeout": -1})
    expected = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        window.requestIdleCallback(print, {"timeout": 3_000_000_000})   # fits: no warning
        call()
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, expected[0])]
    assert "32-bit unsigned integer; it wrapped to 4294967295" in str(caught[0].message)


def test_a_timercore_run_script_warns_at_its_own_line(tmp_path):
    script = tmp_path / "overflow.py"
    script.write_text("x = 1\nsetTimeout(lambda: None, 2**31)\n")
    r = subprocess.run([sys.executable, "-m", "timercore", "run", "--virtual-time", str(script)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert f"{script}:2: TimeoutOverflowWarning" in r.stderr
