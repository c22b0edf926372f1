"""The pytest plugin (entry point pytest11): its fixtures, run in a fresh pytest."""

import pytest

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
    pytester.makeconftest(OPT_IN_CONFTEST)
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
    blocks = doc_blocks("docs/testing.md")
    pytester.makeconftest(next(b for b in blocks if b.startswith("# conftest.py")))
    pytester.makepyfile(test_doc=next(b for b in blocks if "def test_" in b))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    assert result.ret == 0, result.stdout.str()


# --- installed next to other projects' async tests (pytest-asyncio strict/auto, anyio) ---

PLAIN_ASYNC = '''
import asyncio
import pytest
import timercore


@pytest.mark.asyncio
async def test_marked_plain_async():
    await asyncio.sleep(0)
    assert not isinstance(asyncio.get_running_loop(), timercore.aio.WheelEventLoop)


def test_sync_next_to_it(window):
    fired = []
    window.setTimeout(fired.append, 10, 1)
    window.run()
    assert fired == [1]


def test_virtual_loop_driven_by_hand(virtual_loop):
    assert virtual_loop.run_until_complete(asyncio.sleep(60, "m")) == "m"
    assert virtual_loop.time() == pytest.approx(60.0)
'''

UNMARKED_ASYNC = '''
import asyncio


async def test_unmarked_async():
    await asyncio.sleep(0)
'''

ANYIO_TESTS = '''
import asyncio
import anyio
import pytest
import timercore


@pytest.fixture(params=["asyncio", ("asyncio", {"loop_factory": timercore.aio.new_event_loop})],
                ids=["asyncio", "timercore"])
def anyio_backend(request):
    return request.param


@pytest.mark.anyio
async def test_anyio_plain(anyio_backend):
    await anyio.sleep(0)
    on_wheel = isinstance(asyncio.get_running_loop(), timercore.aio.WheelEventLoop)
    assert on_wheel == (anyio_backend != "asyncio")


def test_sync_next_to_it(virtual_clock):
    assert virtual_clock.now() == 0
'''

OPT_IN_CONFTEST = 'pytest_plugins = ["timercore.pytest_asyncio_loop"]\n'

OPT_IN_TESTS = '''
import asyncio
import pytest
import timercore


@pytest.mark.asyncio
async def test_runs_on_the_virtual_loop(virtual_loop):
    assert asyncio.get_running_loop() is virtual_loop
    await asyncio.sleep(3600)
    assert virtual_loop.time() == pytest.approx(3600.0)


@pytest.mark.asyncio
async def test_others_keep_asyncio():
    assert not isinstance(asyncio.get_running_loop(), timercore.aio.WheelEventLoop)
'''

ASYNC_WITHOUT_OPT_IN = '''
import pytest


@pytest.mark.asyncio
async def test_wants_virtual_time(virtual_loop):
    pass
'''


def _run(pytester, mode, *args):
    pytester.makeini(f"[pytest]\nasyncio_mode = {mode}\n"
                     "asyncio_default_fixture_loop_scope = function\n")
    # Nothing may warn; but an editable install's own finder module cannot be rewritten.
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "-W", "error",
        "-W", "ignore:Module already imported:pytest.PytestAssertRewriteWarning", *args)


def test_strict_mode_project_untouched(pytester):
    pytester.makepyfile(test_plain=PLAIN_ASYNC)
    _run(pytester, "strict").assert_outcomes(passed=3)


def test_auto_mode_project_untouched(pytester):
    pytester.makepyfile(test_plain=PLAIN_ASYNC, test_unmarked=UNMARKED_ASYNC)
    _run(pytester, "auto").assert_outcomes(passed=4)


def test_anyio_project_untouched_and_loop_factory_recipe(pytester):
    pytester.makepyfile(test_anyio=ANYIO_TESTS)
    _run(pytester, "strict").assert_outcomes(passed=3)


def test_opt_in_plugin_runs_async_tests_on_the_virtual_loop(pytester):
    pytester.makeconftest(OPT_IN_CONFTEST)
    pytester.makepyfile(test_opt_in=OPT_IN_TESTS, test_plain=PLAIN_ASYNC)
    _run(pytester, "strict").assert_outcomes(passed=5)


def test_opt_in_plugin_leaves_a_projects_own_factories_in_charge(pytester):
    pytester.makeconftest(OPT_IN_CONFTEST + '''
import asyncio
class Marked(asyncio.SelectorEventLoop):
    pass
def pytest_asyncio_loop_factories(config, item):
    return {"mine": Marked}
''')
    pytester.makepyfile(test_mine='''
import asyncio
import pytest

@pytest.mark.asyncio
async def test_on_the_projects_loop():
    assert type(asyncio.get_running_loop()).__name__ == "Marked"
''')
    _run(pytester, "strict").assert_outcomes(passed=1)


def test_async_virtual_loop_without_opt_in_says_what_to_add(pytester):
    pytester.makepyfile(test_missing=ASYNC_WITHOUT_OPT_IN)
    result = _run(pytester, "strict")
    result.assert_outcomes(errors=1)
    assert 'add pytest_plugins = ["timercore.pytest_asyncio_loop"]' in result.stdout.str()


def test_opt_in_plugin_names_the_pytest_asyncio_it_needs(monkeypatch):
    from timercore import pytest_asyncio_loop as plugin
    monkeypatch.setattr(plugin, "_pytest_asyncio_version", lambda: (1, 3))
    with pytest.raises(pytest.UsageError, match=r"pytest-asyncio >= 1.4.*is 1.3"):
        plugin.pytest_configure(None)  # type: ignore[arg-type]
