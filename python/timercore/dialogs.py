"""HTML §8.8.1 simple dialogs: alert, confirm, prompt (current step order: normalize
newlines, then truncate), and the providers that show them.

A provider is any object with these methods (``DialogProvider`` below spells it out):

    alert(message: str) -> None
    confirm(message: str) -> bool
    prompt(message: str, default: str) -> str | None      # None: the user aborted
    print(document) -> bool                               # the print dialog: accepted?

and optionally ``truncate(s: str) -> str`` (shorten long messages; never offer a way to
show what was cut) and ``can_show() -> bool`` (False: "cannot show simple dialogs").

The dialog calls block: while one waits, no task, timer or microtask of the scope runs
(the spec's "pause"), and time keeps passing, so timers that came due meanwhile run
afterwards, late and in order.
"""
from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, Protocol, TextIO, runtime_checkable

from timercore.webidl import to_domstring

if TYPE_CHECKING:
    from timercore.aio import AsyncioHost
    from timercore.window import Window

logger = logging.getLogger("timercore")


@runtime_checkable
class DialogProvider(Protocol):
    def alert(self, message: str) -> None: ...
    def confirm(self, message: str) -> bool: ...
    def prompt(self, message: str, default: str) -> str | None: ...
    def print(self, document: Any) -> bool: ...


def normalize_newlines(s: str) -> str:
    """Infra's "normalize newlines": CRLF and lone CR become LF."""
    return s.replace("\r\n", "\n").replace("\r", "\n")


class HeadlessDialogs:
    """No user: alert logs to logger ``timercore``, confirm is False, prompt is None, the
    print dialog is accepted (the printer decides what happens). The default when stdin
    is not a terminal."""

    def alert(self, message: str) -> None:
        logger.warning("alert: %s", message)

    def confirm(self, message: str) -> bool:
        logger.warning("confirm (no user, answering False): %s", message)
        return False

    def prompt(self, message: str, default: str) -> str | None:
        logger.warning("prompt (no user, answering None): %s", message)
        return None

    def print(self, document: Any) -> bool:
        return True


class ScriptedDialogs:
    """For tests: answers confirm and prompt from the given lists, in order, and records
    what was shown in ``.shown`` as ``(kind, message)`` tuples (kind: "alert", "confirm",
    "prompt" or "print"). Running out of answers raises ``LookupError``."""

    def __init__(self, confirm: list[bool] | None = None, prompt: list[str | None] | None = None,
                 print: list[bool] | None = None) -> None:
        self._answers: dict[str, list[Any]] = {"confirm": list(confirm or []),
                                               "prompt": list(prompt or [])}
        self._print = None if print is None else list(print)
        self.shown: list[tuple[str, str]] = []

    def _answer(self, kind: str, message: str) -> Any:
        self.shown.append((kind, message))
        if not self._answers[kind]:
            raise LookupError(f"ScriptedDialogs has no {kind} answer left for {message!r}")
        return self._answers[kind].pop(0)

    def alert(self, message: str) -> None:
        self.shown.append(("alert", message))

    def confirm(self, message: str) -> bool:
        return bool(self._answer("confirm", message))

    def prompt(self, message: str, default: str) -> str | None:
        answer = self._answer("prompt", message)
        return None if answer is None else str(answer)

    def print(self, document: Any) -> bool:
        self.shown.append(("print", getattr(document, "title", "")))
        if self._print is None:
            return True
        if not self._print:
            raise LookupError("ScriptedDialogs has no print answer left")
        return bool(self._print.pop(0))


class ConsoleDialogs:
    """Dialogs on a terminal. alert waits for Enter; confirm takes y/yes or n/no (Enter
    means no); prompt shows the default in brackets and Enter accepts it. End of input or
    Ctrl-C aborts: confirm False, prompt None. Messages longer than ``max_length`` are cut
    (with no way to see the rest, as the spec asks)."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 max_length: int | None = 10_000) -> None:
        self._in = stdin
        self._out = stdout
        self.max_length = max_length

    def truncate(self, s: str) -> str:
        if self.max_length is None or len(s) <= self.max_length:
            return s
        return s[: self.max_length] + "…"

    def _read(self, text: str) -> str | None:
        out = self._out or sys.stdout
        out.write(text)
        out.flush()
        try:
            line = (self._in or sys.stdin).readline()
        except KeyboardInterrupt:
            out.write("\n")
            return None
        if not line:                       # end of input
            out.write("\n")
            return None
        return line.rstrip("\r\n")

    def alert(self, message: str) -> None:
        self._read(f"{message}\n[Press Enter] ")

    def confirm(self, message: str) -> bool:
        while True:
            answer = self._read(f"{message} [y/N] ")
            if answer is None:
                return False
            answer = answer.strip().lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("", "n", "no"):
                return False

    def prompt(self, message: str, default: str) -> str | None:
        shown = f" [{default}]" if default else ""
        answer = self._read(f"{message}{shown}: ")
        if answer is None:
            return None
        return answer or default

    def print(self, document: Any) -> bool:
        return self.confirm(f"Print {getattr(document, 'title', '') or 'this document'}?")


def default_provider() -> DialogProvider:
    """ConsoleDialogs on a terminal, HeadlessDialogs otherwise."""
    try:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    except ValueError:
        interactive = False
    return ConsoleDialogs() if interactive else HeadlessDialogs()


# The steps of Window's alert/confirm/prompt (window.py makes these functions its methods).

def _cannot_show_simple_dialogs(window: Window) -> bool:
    # 1. The sandboxed modals flag.
    if window.sandboxed_modals:
        return True
    # 2. (Origins: a Window here has one.) 3. Termination nesting level: we decline.
    if window.termination_nesting_level:
        return True
    # 4. Optionally: the provider may decline.
    can_show = getattr(window.dialogs, "can_show", None)
    return can_show is not None and not can_show()


def _truncate(window: Window, s: str) -> str:
    """The UA may truncate to a reasonable length (the provider decides)."""
    truncate = getattr(window.dialogs, "truncate", None)
    return s if truncate is None else str(truncate(s))


# WebIDL converts the arguments (DOMString: str()) before the method's steps run, so a
# raising __str__ raises even when no dialog can be shown.

def alert(window: Window, message: object = "") -> None:
    """HTML alert(): show message and wait for the user to dismiss it."""
    text = to_domstring(message)
    # 1. If we cannot show simple dialogs, return.
    if _cannot_show_simple_dialogs(window):
        return
    # 3-4. Normalize newlines, optionally truncate; show.
    window.dialogs.alert(_truncate(window, normalize_newlines(text)))


def confirm(window: Window, message: object = "") -> bool:
    """HTML confirm(): True if the user responded positively."""
    text = to_domstring(message)
    if _cannot_show_simple_dialogs(window):
        return False
    return bool(window.dialogs.confirm(_truncate(window, normalize_newlines(text))))


def prompt(window: Window, message: object = "", default: object = "") -> str | None:
    """HTML prompt(): the user's string, or None if they aborted."""
    text, default_text = to_domstring(message), to_domstring(default)
    # 1. If we cannot show simple dialogs, return null.
    if _cannot_show_simple_dialogs(window):
        return None
    # 2. Normalize newlines in message (only: default is shown as given).
    # 3. Optionally truncate message and default.
    result = window.dialogs.prompt(_truncate(window, normalize_newlines(text)),
                                   _truncate(window, default_text))
    return None if result is None else to_domstring(result)


# On a scope hosted on asyncio: the same steps, with the provider in a worker thread and
# only this scope paused meanwhile (see timercore.aio).

async def alert_async(window: Window, message: object = "") -> None:
    await _hosted(window).in_thread(window.alert, message)


async def confirm_async(window: Window, message: object = "") -> bool:
    return await _hosted(window).in_thread(window.confirm, message)


async def prompt_async(window: Window, message: object = "",
                       default: object = "") -> str | None:
    return await _hosted(window).in_thread(window.prompt, message, default)


def _hosted(window: Window) -> AsyncioHost:
    if window._host is None:
        raise RuntimeError("the *_async dialogs need a scope hosted on asyncio (loop=...)")
    return window._host
