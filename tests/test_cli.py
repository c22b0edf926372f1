"""`timercore run SCRIPT`, end to end in a subprocess."""
import subprocess
import sys
import textwrap


def run(tmp_path, source, *args, virtual=True):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    cmd = [sys.executable, "-m", "timercore", "run"]
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
    import time
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


def test_version_and_help_say_what_timercore_is():
    import timercore
    r = subprocess.run([sys.executable, "-m", "timercore", "--version"], capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.strip() == f"timercore {timercore.__version__}"
    r = subprocess.run([sys.executable, "-m", "timercore", "--help"], capture_output=True,
                       text=True, timeout=60)
    assert "the web platform's timers" in r.stdout and "timercore bench" in r.stdout
