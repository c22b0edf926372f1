"""contextvars on timercore's loops: which context path this build takes, and that callbacks
see exactly what asyncio's own loop gives them, whichever path it is."""
import asyncio
import contextvars
import os
import sys
import sysconfig


from timercore import _core

# CPythons whose Context struct (Include/internal/pycore_context.h) was checked against
# ctxsnap.h's copy of it; free-threaded builds always take the portable path.
CHECKED = {(3, 11), (3, 12), (3, 13), (3, 14), (3, 15)}


def expected_path():
    forced = os.environ.get("TIMERCORE_EXPECT_CONTEXT_PATH")    # CI's portable build says so
    if forced:
        return forced
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    checked = sys.version_info[:2] in CHECKED and sys.implementation.name == "cpython"
    return "snapshot" if checked and not free_threaded else "copy"


def test_the_context_path_is_the_one_checked_for_this_python():
    assert _core.CONTEXT_PATH == expected_path()


VAR = contextvars.ContextVar("VAR", default="unset")


def observe(loop):
    """Every way a timer callback meets contextvars, as observations to compare."""
    seen = []

    def set_in_callback():
        seen.append(("first sees", VAR.get()))
        VAR.set("set by first")
        loop.call_later(0, lambda: seen.append(("its timer sees", VAR.get())))
        loop.call_soon(lambda: seen.append(("its call_soon sees", VAR.get())))

    def after():
        seen.append(("the next timer sees", VAR.get()))

    def check_get_context(h, label):
        ctx = h.get_context() if hasattr(h, "get_context") else h._context
        seen.append((label, ctx.get(VAR)))

    explicit = contextvars.copy_context()
    VAR.set("outer")
    loop.call_later(0, set_in_callback)
    h = loop.call_later(0, after)
    check_get_context(h, "get_context() holds")
    VAR.set("changed after scheduling")
    explicit_handle = loop.call_later(0, VAR.set, "set in explicit", context=explicit)
    seen.append(("context= is get_context()",
                 getattr(explicit_handle, "get_context", lambda: explicit)() is explicit))
    loop.call_at(loop.time() + 0.002, lambda: seen.append(("call_at sees", VAR.get())))
    loop.call_later(0.005, loop.stop)
    loop.run_forever()
    seen.append(("explicit context kept", explicit.get(VAR)))
    seen.append(("outside after the run", VAR.get()))
    return seen


def test_callbacks_see_what_asyncio_gives_them(wheel_loop):
    base = asyncio.new_event_loop()
    try:
        want = contextvars.copy_context().run(observe, base)
    finally:
        base.close()
    got = contextvars.copy_context().run(observe, wheel_loop)
    assert got == want
    assert ("its timer sees", "set by first") in got              # not the snapshot's put-back
    assert ("explicit context kept", "set in explicit") in got
