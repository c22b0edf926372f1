"""The public C API: another extension cimports timercore's wheel and drives it with no
Python call per timer, on the one copy of the C core (timercore._core)."""
import subprocess
import sys
import textwrap

import timercore

EXTENSION = textwrap.dedent("""
    from libc.stdint cimport int64_t
    from timercore._core cimport TimerWheel

    def drive(int n):
        cdef TimerWheel w = TimerWheel(1.0, 0.0)
        cdef int64_t i, k
        cdef double nxt = -1.0
        handles = [w.c_insert(10.0 * (n - i), 0) for i in range(n)]   # latest first
        cancelled = w.c_cancel(handles[n - 1])                        # the earliest
        w.c_reschedule(handles[0], 5.0)                               # latest -> first
        w.c_next_expiry(&nxt)
        k = w.c_advance(25.0)
        fired = [w.c_fired()[i] for i in range(k)]
        return handles, cancelled, nxt, fired, len(w), w.c_cancel(handles[n - 1])
""")

SETUP = textwrap.dedent("""
    import timercore
    from Cython.Build import cythonize
    from setuptools import Extension, setup
    setup(ext_modules=cythonize([Extension("drive_wheel", ["drive_wheel.pyx"],
                                           include_dirs=[timercore.get_include()])],
                                language_level=3, quiet=True),
          script_args=["build_ext", "--inplace", "-q"])
""")


def test_an_extension_built_against_the_installed_package_drives_the_wheel(tmp_path):
    (tmp_path / "drive_wheel.pyx").write_text(EXTENSION)
    (tmp_path / "setup.py").write_text(SETUP)
    build = subprocess.run([sys.executable, "setup.py"], cwd=tmp_path, capture_output=True,
                           text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run(
        [sys.executable, "-c", "import drive_wheel; print(repr(drive_wheel.drive(5)))"],
        cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    handles, cancelled, nxt, fired, pending, again = eval(run.stdout)
    # deadlines 50, 40, 30, 20, 10; 10 cancelled; 50 moved to 5: due by 25 are 5 and 20.
    assert cancelled is True and again is False
    assert nxt == 5.0
    assert fired == [handles[0], handles[3]]
    assert pending == 2


def test_the_c_api_pages_example_builds_and_runs_as_written(tmp_path):
    import pathlib
    import re
    page = (pathlib.Path(__file__).parent.parent / "docs" / "c-api.md").read_text()
    blocks = dict(re.findall(r"```(cython|python|bash)\n(.*?)```", page, re.S))
    (tmp_path / "idle_timeouts.pyx").write_text(blocks["cython"])
    (tmp_path / "setup.py").write_text(blocks["python"])
    build = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    script = re.search(r'python -c "\n(.*?)"\n', blocks["bash"], re.S).group(1)
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    promised = re.findall(r"# (\[.*?\])", script)       # what the page says it prints
    assert run.stdout.splitlines() == promised == ["[0, 3]", "[1]"]


def test_get_include_holds_the_headers_the_declarations_name():
    import os
    include = timercore.get_include()
    for header in ("wheel.h", "lateness.h", "idmap.h", "faults.h", "ctxsnap.h", "linepool.h"):
        assert os.path.isfile(os.path.join(include, header)), header
