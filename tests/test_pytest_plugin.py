"""The pytest plugin (entry point pytest11): its fixtures, run in a fresh pytest."""

pytest_plugins = ["pytester"]

EXAMPLE = '''
import asyncio
import pytest
import timercore


def test_window_runs_in_virtual_time(window, virtual_clock):
    fired = []
    window.setTimeout(fired.append, 60_000, "a minute later")
    window.run()
    assert fired == ["a minute later"] and virtual_clock.now() == 60_000


def test_worker_scope(worker_scope):
    assert isinstance(worker_scope, timercore.WorkerGlobalScope)
    worker_scope.setInterval(lambda: None, 10)
    worker_scope.run_for(35)
    assert worker_scope.timer_tasks_run == 3


def test_virtual_loop_from_a_plain_test(virtual_loop, virtual_clock):
    async def main():
        await asyncio.sleep(3600)
        return virtual_loop.time()
    assert virtual_loop.run_until_complete(main()) == pytest.approx(3600.0)
    assert virtual_clock.now() == pytest.approx(3_600_000.0)


@pytest.mark.asyncio
async def test_virtual_loop_under_pytest_asyncio(virtual_loop, virtual_clock):
    assert asyncio.get_running_loop() is virtual_loop
    w = timercore.Window(clock=virtual_clock, loop=virtual_loop)
    assert await w.sleep(86_400_000, "a day") == "a day"
    await asyncio.sleep(60)
    assert virtual_clock.now() == pytest.approx(86_460_000.0)
    w.close()
'''

FAILING = '''
def test_unhandled_callback_error_fails(window):
    def boom():
        raise ValueError("boom")
    window.setTimeout(boom, 5)
    window.run()


def test_handled_callback_error_passes(window):
    window.addEventListener("error", lambda e: e.preventDefault())
    window.setTimeout(lambda: 1 / 0, 5)
    window.run()
'''


def test_plugin_fixtures_in_a_fresh_pytest(pytester):
    pytester.makepyfile(test_example=EXAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4)


def test_unhandled_timer_errors_fail_the_test(pytester):
    pytester.makepyfile(test_failing=FAILING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2, errors=1)   # the error is at teardown
    result.stdout.fnmatch_lines(["*unhandled exception(s) in timer callbacks*ValueError*boom*"])


def test_the_documented_example_passes(pytester, doc_blocks):
    """docs/testing.md's complete example test, run as a user would."""
    block = next(b for b in doc_blocks("docs/testing.md") if "def test_" in b)
    pytester.makepyfile(test_doc=block)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    assert result.ret == 0, result.stdout.str()
