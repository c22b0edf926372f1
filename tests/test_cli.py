"""`timercore run SCRIPT`, end to end in a subprocess."""
import subprocess
import sys
import textwrap


def run(tmp_path, source, *args, virtual=True, options=()):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    cmd = [sys.executable, "-m", "timercore", "run", *options]
    cmd += ["--virtual-time"] if virtual else []
    return subprocess.run([*cmd, str(script), *args], capture_output=True, text=True,
                          timeout=60)


def test_run_executes_the_script_then_the_loop_in_spec_order(tmp_path):
    r = run(tmp_path, """
        setTimeout(lambda: console.log("timer", window.now()), 100)
        setTimeout("console.log('string', window.now())", 10)
        queueMicrotask(lambda: console.log("micro"))
        console.log("top", self is window)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:4] == ["top True", "micro", "string 10.0", "timer 100.0"]


def test_run_virtual_time_passes_an_hour_at_once(tmp_path):
    r = run(tmp_path, """
        n = []
        def tick():
            n.append(1)
            if len(n) == 60:
                clearInterval(handle)
                console.log("minutes", len(n), window.now())
        handle = setInterval(tick, 60_000)
    """)
    assert r.returncode == 0 and r.stdout.strip() == "minutes 60 3600000.0"


def test_run_exits_1_on_an_unhandled_error_with_the_traceback_on_stderr(tmp_path):
    r = run(tmp_path, """
        def boom():
            raise ValueError("kaboom")
        setTimeout(boom, 5)
        setTimeout(lambda: console.log("still ran"), 10)
    """)
    assert r.returncode == 1
    assert "still ran" in r.stdout
    assert "ValueError: kaboom" in r.stderr and "Traceback" in r.stderr
    assert ".pyx" not in r.stderr and "cli.py" not in r.stderr     # the user's frames only


def test_run_exits_0_when_the_error_is_handled(tmp_path):
    r = run(tmp_path, """
        window.addEventListener("error", lambda e: e.preventDefault())
        setTimeout(lambda: 1 / 0, 5)
    """)
    assert r.returncode == 0 and r.stderr == ""


def test_run_top_level_exception_is_reported_and_exits_1(tmp_path):
    r = run(tmp_path, """
        setTimeout(lambda: console.log("timer"), 1)
        raise RuntimeError("top")
    """)
    assert r.returncode == 1 and "RuntimeError: top" in r.stderr
    assert r.stdout.strip() == "timer"


def test_run_sys_exit_in_a_callback_exits_with_its_code(tmp_path):
    r = run(tmp_path, """
        import sys
        setTimeout(lambda: sys.exit(3), 5)
        setTimeout(lambda: console.log("never"), 10)
    """)
    assert r.returncode == 3 and "never" not in r.stdout


def test_run_passes_arguments_and_real_time_works(tmp_path):
    r = run(tmp_path, """
        import sys
        setTimeout(lambda: console.log(sys.argv[1:]), 1)
    """, "a", "--b", virtual=False)
    assert r.returncode == 0 and r.stdout.strip() == "['a', '--b']"


def test_run_builtin_print_is_still_reachable(tmp_path):
    r = run(tmp_path, """
        import builtins
        builtins.print("via builtins")
    """)
    assert r.stdout.strip() == "via builtins"


def test_run_a_missing_script_is_one_line_and_status_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "timercore", "run", str(tmp_path / "nope.py")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == f"timercore run: no such file: {tmp_path / 'nope.py'}"


def test_run_a_syntax_error_is_one_line_and_status_2(tmp_path):
    r = run(tmp_path, "setTimeout(lambda: None,\n")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("timercore run: syntax error in ") and "line" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_ctrl_c_is_one_line_and_status_130(tmp_path):
    import signal
    script = tmp_path / "forever.py"
    script.write_text("import sys\nsys.stdout.write('started\\n')\nsys.stdout.flush()\n"
                      "setInterval(lambda: None, 1)\n")
    # A shell without job control starts background jobs with SIGINT ignored, and Python
    # keeps it ignored: the child gets the default back, as a terminal's program has it.
    p = subprocess.Popen([sys.executable, "-m", "timercore", "run", str(script)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert p.stdout.readline().strip() == "started"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert err.strip() == "timercore: interrupted"


def test_run_async_handlers_run_as_tasks_in_order(tmp_path):
    r = run(tmp_path, """
        import asyncio
        async def step(name, ms):
            console.log("start", name, window.now())
            await asyncio.sleep(ms / 1000)
            console.log("end", name, window.now())
        setTimeout(step, 100, "timeout", 50)
        h = setInterval(step, 1000, "interval", 10)
        setTimeout(lambda: clearInterval(h), 2500)
        queueMicrotask(lambda: console.log("micro"))
        requestIdleCallback(lambda deadline: console.log("idle"))
    """)
    assert r.returncode == 0, r.stderr
    # (asyncio.sleep's seconds and the clock's ms round apart in the last digit)
    lines = [" ".join(w if w.isalpha() else f"{float(w):.3f}" for w in line.split())
             for line in r.stdout.splitlines()]
    assert lines == [
        "micro", "idle", "start timeout 100.000", "end timeout 150.000",
        "start interval 1000.000", "end interval 1010.000",
        "start interval 2000.000", "end interval 2010.000"]


def test_run_async_microtask_and_idle_callback_handlers_run(tmp_path):
    r = run(tmp_path, """
        import asyncio
        async def later(what):
            await asyncio.sleep(1)
            console.log(what, window.now())
        queueMicrotask(lambda: None)
        async def micro():
            await later("microtask")
        async def idle(deadline):
            await later("idle")
        queueMicrotask(micro)
        requestIdleCallback(idle)
    """)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == ["idle 1000.0", "microtask 1000.0"]


def test_run_an_async_handlers_error_is_uncaught_with_its_frames_and_status_1(tmp_path):
    r = run(tmp_path, """
        import asyncio
        async def fails():
            await asyncio.sleep(0.01)
            raise ValueError("async kaboom")
        setTimeout(fails, 5)
        setTimeout(lambda: console.log("still ran"), 100)
    """)
    assert r.returncode == 1
    assert "still ran" in r.stdout
    assert "ValueError: async kaboom" in r.stderr and 'script.py", line 5, in fails' in r.stderr


def test_run_top_level_await(tmp_path):
    r = run(tmp_path, """
        import asyncio
        setTimeout(lambda: console.log("timer", window.now()), 500)
        value = await asyncio.sleep(2, result="slept")
        console.log(value, window.now())
        await window.sleep(100)
        console.log("window.sleep", window.now())
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["timer 500.0", "slept 2000.0", "window.sleep 2100.0"]


def test_run_top_level_await_error_starts_at_the_scripts_line(tmp_path):
    r = run(tmp_path, """
        import asyncio
        await asyncio.sleep(0)
        raise RuntimeError("after await")
    """)
    assert r.returncode == 1 and "RuntimeError: after await" in r.stderr
    frames = [line for line in r.stderr.splitlines() if line.lstrip().startswith("File ")]
    assert frames and all("script.py" in f for f in frames), r.stderr


def test_run_a_sync_script_may_call_asyncio_run_at_top_level(tmp_path):
    # Without a top-level await the script runs before the loop, as before: asyncio.run
    # in it works (it would fail inside a running loop).
    r = run(tmp_path, """
        import asyncio
        async def main():
            return "inner"
        console.log(asyncio.run(main()))
        setTimeout(lambda: console.log("timer"), 1)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["inner", "timer"]


def test_run_waits_for_the_scripts_own_tasks(tmp_path):
    r = run(tmp_path, """
        import asyncio
        async def background():
            await asyncio.sleep(3)
            console.log("background done", window.now())
        task = asyncio.get_event_loop().create_task(background())
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "background done 3000.0"


def test_run_on_each_io(tmp_path):
    import importlib.util
    for io in ("asyncio", "uvloop", "rloop"):
        if importlib.util.find_spec(io) is None:
            continue
        r = run(tmp_path, """
            import asyncio
            async def tick():
                await asyncio.sleep(0.001)
                console.log("async ran on", type(asyncio.get_running_loop()).__name__)
            setTimeout(tick, 1)
            await asyncio.sleep(0.001)
            console.log("top level awaited")
        """, virtual=False, options=("--io", io))
        assert r.returncode == 0, (io, r.stderr)
        lines = r.stdout.splitlines()
        assert lines[0] == "top level awaited"
        assert lines[1].startswith("async ran on Wheel"), lines


def test_run_the_loop_limit_holds_for_an_async_interval(tmp_path):
    r = run(tmp_path, """
        async def tick():
            pass
        setInterval(tick, 1000)
    """, options=("--loop-limit", "50"))
    assert r.returncode == 1
    assert r.stderr.startswith("timercore run: the loop stopped after 50 timer tasks")


def test_run_options_that_cannot_work_are_one_line_and_status_2(tmp_path):
    r = run(tmp_path, "pass\n", options=("--io", "rloop"))
    assert r.returncode == 2
    assert r.stderr.strip() == "timercore run: --virtual-time needs --io asyncio, not rloop"


def test_version_and_help_say_what_timercore_is():
    import timercore
    r = subprocess.run([sys.executable, "-m", "timercore", "--version"], capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.strip() == f"timercore {timercore.__version__}"
    r = subprocess.run([sys.executable, "-m", "timercore", "--help"], capture_output=True,
                       text=True, timeout=60)
    assert "the web platform's timers" in r.stdout and "timercore bench" in r.stdout
