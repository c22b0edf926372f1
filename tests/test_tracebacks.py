"""Tracebacks a user reads: a callback's error starts at the callback's own frames (the
compiled core that called it is left out, as Node.js shows the user's frames), and the
core's own frames, where an error is raised in it, name package paths."""
import traceback

import pytest

from timercore import VirtualClock, Window


def fails():
    raise ValueError("from the callback")


def first_frame(exc):
    return exc.__traceback__.tb_frame.f_code


@pytest.mark.parametrize("schedule", ["setTimeout", "queueMicrotask", "requestIdleCallback",
                                      "setInterval"])
def test_a_callbacks_error_starts_at_the_callback(schedule):
    w = Window(clock=VirtualClock())
    errors = []
    w.addEventListener("error", lambda e: (errors.append(e.error), e.preventDefault()))
    callback = fails if schedule != "requestIdleCallback" else (lambda deadline: fails())
    handle = getattr(w, schedule)(callback)
    w.run_for(10)
    if schedule == "setInterval":
        w.clearInterval(handle)
    assert errors and first_frame(errors[0]) is callback.__code__


def test_a_loop_timers_error_starts_at_the_callback(make_loop):
    for variant in ("wheel", "wheel-uvloop", "wheel-rloop"):
        loop = make_loop(variant)
        contexts = []
        # (rloop 0.5 calls a custom handler with the context alone)
        loop.set_exception_handler(lambda *args: contexts.append(args[-1]))
        loop.call_later(0, fails)
        loop.call_later(0.005, loop.stop)
        loop.run_forever()
        loop.close()
        assert first_frame(contexts[0]["exception"]) is fails.__code__, variant


def test_the_cores_frames_name_package_paths_not_build_paths():
    with pytest.raises(TypeError) as info:
        Window(clock=VirtualClock()).setTimeout(42, 10)
    files = [f.filename for f in traceback.extract_tb(info.value.__traceback__)]
    core = [f for f in files if f.endswith(".pyx")]
    assert core and all(f.startswith("timercore/core/") for f in core), files
