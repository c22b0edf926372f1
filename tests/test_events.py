"""Events and HTML "report an exception" (§8.1.4.6)."""
import logging

import pytest

import timercore
from timercore import ErrorEvent, Event


def boom():
    raise ValueError("boom")


def test_report_exception_fires_a_cancelable_ErrorEvent_at_the_scope(window, timercore_log):
    events = []
    window.addEventListener("error", lambda e: (events.append(e), e.preventDefault()))
    window.setTimeout(boom, 1)
    window.run()
    (event,) = events
    assert isinstance(event, ErrorEvent) and event.type == "error"
    assert event.cancelable and event.defaultPrevented
    assert isinstance(event.error, ValueError)
    assert "boom" in event.message
    assert event.filename.endswith("test_events.py") and event.lineno > 0
    assert timercore_log.records == []                 # handled: nothing logged


def test_report_exception_unhandled_is_logged_to_logger_timercore(window, timercore_log):
    window.setTimeout(boom, 1)
    window.run()
    (record,) = timercore_log.records
    assert record.name == "timercore" and record.levelno == logging.ERROR
    assert record.exc_info[0] is ValueError
    assert window.unhandled_errors == 1


def test_report_exception_listener_without_preventDefault_still_logs(window, timercore_log):
    seen = []
    window.addEventListener("error", lambda e: seen.append(e.error))
    window.setTimeout(boom, 1)
    window.run()
    assert len(seen) == 1 and len(timercore_log.records) == 1


def test_onerror_returning_True_cancels_and_gets_the_five_arguments(window, timercore_log):
    got = []

    def onerror(message, source, lineno, colno, error):
        got.append((message, source, lineno, colno, error))
        return True

    window.onerror = onerror
    window.setTimeout(boom, 1)
    window.run()
    (message, source, lineno, colno, error) = got[0]
    assert "boom" in message and isinstance(error, ValueError) and lineno > 0
    assert timercore_log.records == []
    window.onerror = None
    assert window.onerror is None


def test_onerror_not_returning_True_does_not_cancel(window, timercore_log):
    window.onerror = lambda *a: None
    window.setTimeout(boom, 1)
    window.run()
    assert len(timercore_log.records) == 1


def test_throwing_error_listener_does_not_recurse(window, timercore_log):
    calls = []

    def listener(event):
        calls.append(type(event.error))
        raise RuntimeError("listener failed")

    window.addEventListener("error", listener)
    window.setTimeout(boom, 1)
    window.run()
    # The listener ran once, for the timer's error; its own error was only logged.
    assert calls == [ValueError]
    assert [r.exc_info[0] for r in timercore_log.records] == [RuntimeError, ValueError]


def test_error_in_callback_never_stops_the_loop_or_loses_a_timer(window, timercore_log):
    log = []
    for i in range(10):
        window.setTimeout(boom if i % 2 else (lambda i=i: log.append(i)), i)
    window.run()
    assert log == [0, 2, 4, 6, 8]
    assert len(timercore_log.records) == 5


def test_event_target_listeners_order_removal_and_dispatch_result(window):
    log = []
    a = lambda e: log.append("a")            # noqa: E731
    b = lambda e: (log.append("b"), e.preventDefault())   # noqa: E731
    window.addEventListener("custom", a)
    window.addEventListener("custom", a)        # duplicates are ignored
    window.addEventListener("custom", b)
    assert window.dispatchEvent(Event("custom", cancelable=True)) is False
    window.removeEventListener("custom", b)
    assert window.dispatchEvent(Event("custom", cancelable=True)) is True
    assert log == ["a", "b", "a"]


def test_event_preventDefault_on_non_cancelable_event_is_ignored():
    e = Event("x")
    e.preventDefault()
    assert e.defaultPrevented is False and e.default_prevented is False


def test_event_target_bad_input(window):
    with pytest.raises(TypeError, match="listener"):
        window.addEventListener("x", 5)
    with pytest.raises(TypeError, match="event"):
        window.dispatchEvent("x")
    with pytest.raises(TypeError, match="type"):
        Event(5)


def test_error_event_attributes():
    err = KeyError("k")
    e = ErrorEvent("error", message="m", filename="f.py", lineno=3, colno=4, error=err,
                   cancelable=True)
    assert (e.message, e.filename, e.lineno, e.colno, e.error) == ("m", "f.py", 3, 4, err)


def test_onerror_set_to_non_callable_is_null(window):
    window.onerror = "not a function"
    assert window.onerror is None


def test_worker_scope_reports_too(clock, timercore_log):
    wk = timercore.WorkerGlobalScope(clock=clock)
    wk.setTimeout(boom, 1)
    wk.run()
    assert len(timercore_log.records) == 1
