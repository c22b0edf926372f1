"""HTML §8.8 simple dialogs and printing, step by step (current step order from
../shared/spec/event-loop-idle-dialogs.md: normalize newlines, then truncate)."""
import io
import logging
import os
import pty
import select
import subprocess
import sys
import textwrap
import time

import pytest

import timercore
from timercore import (ConsoleDialogs, HeadlessDialogs, RecordingPrinter, ScriptedDialogs,
                       TextPrinter, Window, WorkerGlobalScope)


@pytest.fixture
def scripted(clock):
    d = ScriptedDialogs(confirm=[True, False], prompt=["typed", None])
    return Window(clock=clock, dialogs=d), d


# -- 8.8.1 simple dialogs -----------------------------------------------------------------

def test_8_8_1_alert_confirm_prompt_show_and_answer(scripted):
    w, d = scripted
    assert w.alert("hello") is None
    assert w.confirm("sure?") is True
    assert w.confirm("really?") is False
    assert w.prompt("name?", "anon") == "typed"
    assert w.prompt("again?") is None
    assert d.shown == [("alert", "hello"), ("confirm", "sure?"), ("confirm", "really?"),
                       ("prompt", "name?"), ("prompt", "again?")]


def test_8_8_1_no_argument_means_the_empty_string(scripted):
    w, d = scripted
    w.alert()
    w.confirm()
    w.prompt()
    assert [m for _, m in d.shown] == ["", "", ""]


def test_8_8_1_arguments_are_converted_as_DOMString(scripted):
    w, d = scripted
    w.alert(42)
    w.confirm(None)
    assert [m for _, m in d.shown] == ["42", "None"]


@pytest.mark.parametrize("raw, shown", [("a\r\nb", "a\nb"), ("a\rb", "a\nb"),
                                        ("a\r\r\nb\n", "a\n\nb\n")])
def test_8_8_1_normalize_newlines(scripted, raw, shown):
    w, d = scripted
    w.alert(raw)
    w.confirm(raw)
    w.prompt(raw)
    assert [m for _, m in d.shown] == [shown] * 3


def test_8_8_1_normalize_then_truncate(clock):
    seen = []

    class Cutting(ScriptedDialogs):
        def truncate(self, s):
            seen.append(s)
            return s[:3]

    d = Cutting(prompt=["x"])
    w = Window(clock=clock, dialogs=d)
    w.alert("ab\r\ncd")
    w.prompt("pq\rrs", "de\r\nf")
    # Truncation sees the normalized message; prompt's default is not normalized (§8.8.1
    # prompt step 2 normalizes the message only).
    assert seen == ["ab\ncd", "pq\nrs", "de\r\nf"]
    assert d.shown == [("alert", "ab\n"), ("prompt", "pq\n")]


def test_8_8_1_sandboxed_modals_cannot_show(scripted):
    w, d = scripted
    w.sandboxed_modals = True
    assert w.alert("x") is None
    assert w.confirm("x") is False
    assert w.prompt("x") is None
    assert d.shown == []


def test_8_8_1_nonzero_termination_nesting_level_cannot_show(scripted):
    w, d = scripted
    w.termination_nesting_level = 1
    assert (w.alert("x"), w.confirm("x"), w.prompt("x")) == (None, False, None)
    assert d.shown == []


def test_8_8_1_a_provider_that_declines_cannot_show(clock):
    class Declining(ScriptedDialogs):
        def can_show(self):
            return False

    d = Declining(confirm=[True])
    w = Window(clock=clock, dialogs=d)
    assert w.confirm("x") is False and d.shown == []


def test_8_8_1_pause_no_task_runs_while_a_dialog_waits_and_late_timers_keep_order(clock):
    log = []

    class SlowUser(ScriptedDialogs):
        def confirm(self, message):
            log.append("dialog open")
            clock.advance(100)                 # the user takes 100 ms to answer
            log.append("dialog closed")
            return super().confirm(message)

    w = Window(clock=clock, dialogs=SlowUser(confirm=[True]))
    w.setTimeout(lambda: log.append(("confirm", w.confirm("?"))), 0)
    w.setTimeout(lambda: log.append(("b", clock.now())), 50)
    w.setTimeout(lambda: log.append(("a", clock.now())), 20)
    w.queueMicrotask(lambda: log.append("micro"))
    w.run()
    assert log == ["micro", "dialog open", "dialog closed", ("confirm", True),
                   ("a", 100.0), ("b", 100.0)]


def test_8_8_1_dialogs_provider_is_settable_at_any_time(clock):
    w = Window(clock=clock, dialogs=ScriptedDialogs())
    d2 = ScriptedDialogs(confirm=[True])
    w.dialogs = d2
    assert w.confirm("x") is True and d2.shown == [("confirm", "x")]


def test_8_8_1_scripted_dialogs_running_out_is_a_clear_error(clock):
    w = Window(clock=clock, dialogs=ScriptedDialogs())
    with pytest.raises(LookupError, match="no confirm answer left"):
        w.confirm("x")


def test_8_8_1_headless_dialogs_log_and_answer_no(clock, caplog):
    caplog.set_level(logging.WARNING, logger="timercore")
    w = Window(clock=clock, dialogs=HeadlessDialogs())
    w.alert("hi")
    assert w.confirm("ok?") is False and w.prompt("name?") is None
    assert "alert: hi" in caplog.text and "ok?" in caplog.text


def test_8_8_1_default_provider_is_headless_without_a_terminal(clock):
    assert isinstance(Window(clock=clock).dialogs, HeadlessDialogs)   # pytest's stdin


def test_8_8_1_console_dialogs_on_streams():
    out = io.StringIO()
    d = ConsoleDialogs(stdin=io.StringIO("\nmaybe\nyes\n\nAlice\n"), stdout=out)
    d.alert("Hello")
    assert d.confirm("Go?") is True                  # "maybe" is asked again
    assert d.prompt("Name", "Bob") == "Bob"          # Enter takes the default
    assert d.prompt("Name", "Bob") == "Alice"
    assert d.prompt("Name", "") is None              # end of input: aborted
    assert d.confirm("Go?") is False
    assert out.getvalue().count("Go? [y/N]") == 3 and "Name [Bob]: " in out.getvalue()


def test_8_8_1_console_dialogs_truncate_without_revealing_the_rest():
    d = ConsoleDialogs(max_length=5)
    assert d.truncate("abcdefgh") == "abcde…"
    assert d.truncate("abc") == "abc"


def test_8_8_worker_scope_has_no_dialogs_or_print(clock):
    wk = WorkerGlobalScope(clock=clock)
    for name in ("alert", "confirm", "prompt", "print", "dialogs", "document"):
        with pytest.raises(AttributeError):
            getattr(wk, name)


# -- 8.8.2 printing -------------------------------------------------------------------------

@pytest.fixture
def printing(clock):
    printer = RecordingPrinter()
    w = Window(clock=clock, dialogs=ScriptedDialogs(), printer=printer)
    log = []
    w.addEventListener("beforeprint", lambda e: log.append("beforeprint"))
    w.onafterprint = lambda e: log.append("afterprint")
    w.document.title, w.document.text = "Form", "body"
    return w, printer, log


def test_8_8_2_print_fires_beforeprint_prints_then_afterprint(printing):
    w, printer, log = printing

    def annotate(event):
        w.document.text = "body (printed)"          # the state as of step 4 is printed
        log.append("annotated")

    w.onbeforeprint = annotate
    w.print()
    assert log == ["beforeprint", "annotated", "afterprint"]
    assert printer.printed == [("Form", "body (printed)")]
    assert w.dialogs.shown == [("print", "Form")]


def test_8_8_2_print_declined_by_the_user_prints_nothing_but_fires_both(clock):
    printer = RecordingPrinter()
    w = Window(clock=clock, dialogs=ScriptedDialogs(print=[False]), printer=printer)
    log = []
    w.addEventListener("beforeprint", lambda e: log.append(e.type))
    w.addEventListener("afterprint", lambda e: log.append(e.type))
    w.print()
    assert log == ["beforeprint", "afterprint"] and printer.printed == []


def test_8_8_2_sandboxed_modals_print_fires_no_events(printing):
    w, printer, log = printing
    w.sandboxed_modals = True
    w.print()
    assert log == [] and printer.printed == []


def test_8_8_2_print_when_loaded(printing):
    w, printer, log = printing
    w.document.ready_for_post_load_tasks = False
    w.print()
    assert log == [] and w.document.print_when_loaded is True
    w.document.finish_loading()
    assert log == ["beforeprint", "afterprint"] and len(printer.printed) == 1
    assert w.document.print_when_loaded is False
    assert w.document.ready_for_post_load_tasks is True


def test_8_8_2_default_printer_prints_nothing(clock):
    w = Window(clock=clock, dialogs=ScriptedDialogs())
    log = []
    w.addEventListener("afterprint", lambda e: log.append(1))
    w.print()
    assert log == [1] and w.printer is None


def test_8_8_2_text_printer_writes_a_plain_text_rendering(clock):
    out = io.StringIO()
    w = Window(clock=clock, dialogs=ScriptedDialogs(), printer=TextPrinter(out))
    w.document.title, w.document.text = "Loan", "Step 1"
    w.print()
    assert out.getvalue() == "Loan\n====\n\nStep 1\n"


def test_8_8_2_afterprint_fires_even_if_the_printer_fails(clock):
    class Broken:
        def print(self, document):
            raise OSError("jammed")

    w = Window(clock=clock, dialogs=ScriptedDialogs(), printer=Broken())
    log = []
    w.onafterprint = lambda e: log.append("after")
    with pytest.raises(OSError):
        w.print()
    assert log == ["after"]


def test_8_8_2_system_printer_pipes_to_the_command(clock, tmp_path):
    target = tmp_path / "out.txt"
    printer = timercore.SystemPrinter([sys.executable, "-c",
                                       f"import sys; open({str(target)!r}, 'w')"
                                       ".write(sys.stdin.read())"])
    w = Window(clock=clock, dialogs=ScriptedDialogs(), printer=printer)
    w.document.text = "hello"
    w.print()
    assert target.read_text() == "hello"


# -- a person at a terminal (a real pseudo-terminal) -------------------------------------

def _run_in_pty(tmp_path, source, answers):
    script = tmp_path / "dialog_script.py"
    script.write_text(textwrap.dedent(source))
    main, sub = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "timercore", "run", "--virtual-time",
                             str(script)], stdin=sub, stdout=sub, stderr=sub, close_fds=True)
    os.close(sub)
    screen = b""
    deadline = time.monotonic() + 30
    pending = list(answers)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(main, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                screen += chunk
            # Type the next answer once its question is on the screen.
            if pending and pending[0][0].encode() in screen.split(b"\n")[-1] + b"":
                os.write(main, pending.pop(0)[1].encode())
            if proc.poll() is not None and not ready:
                break
    finally:
        proc.wait(timeout=30)
        os.close(main)
    return proc.returncode, screen.decode(errors="replace").replace("\r\n", "\n")


def test_8_8_console_dialogs_in_a_real_terminal(tmp_path):
    code, screen = _run_in_pty(tmp_path, """
        def ask():
            name = prompt("Your name?", "Bob")
            ok = confirm(f"Hello {name}, proceed?")
            console.log("RESULT", repr(name), ok)
        setTimeout(ask, 1000)
    """, [("Your name? [Bob]: ", "Alice\n"), ("proceed? [y/N]", "y\n")])
    assert code == 0, screen
    assert "RESULT 'Alice' True" in screen


def test_8_8_console_dialogs_end_of_input_aborts(tmp_path):
    code, screen = _run_in_pty(tmp_path, """
        console.log("RESULT", prompt("Name?"), confirm("Sure?"))
    """, [("Name?: ", "\x04"), ("Sure? [y/N]", "\x04")])
    assert code == 0, screen
    assert "RESULT None False" in screen
