"""HTML §8.8.2 printing: print(), the Document flags it uses, and print backends.

A printer is any object with ``print(document) -> None``. Built-ins: ``RecordingPrinter``
(keeps what it was given, for tests), ``TextPrinter`` (writes a plain-text rendering to a
file or stdout) and ``SystemPrinter`` (sends that rendering to ``lp`` or ``lpr``). With
``printer=None`` nothing is printed, like a browser with no printer attached.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, TextIO

from timercore.events import Event

if TYPE_CHECKING:
    from timercore.window import Window


@dataclass
class Document:
    """The parts of a Document that printing needs, plus its content as text."""

    title: str = ""
    text: str = ""
    ready_for_post_load_tasks: bool = True
    print_when_loaded: bool = False
    _on_loaded: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def finish_loading(self) -> None:
        """The parser's "the end": if print() was called while loading, run the
        printing steps now, then the document becomes ready for post-load tasks."""
        if self.print_when_loaded:
            self.print_when_loaded = False
            if self._on_loaded is not None:
                self._on_loaded()
        self.ready_for_post_load_tasks = True

    def render_text(self) -> str:
        """A plain-text rendering: the title, underlined, then the text."""
        if not self.title:
            return self.text
        return f"{self.title}\n{'=' * len(self.title)}\n\n{self.text}"


class RecordingPrinter:
    """Keeps ``(title, text)`` of every document it prints in ``.printed``."""

    def __init__(self) -> None:
        self.printed: list[tuple[str, str]] = []

    def print(self, document: Document) -> None:
        self.printed.append((document.title, document.text))


class TextPrinter:
    """Writes the plain-text rendering to ``file`` (default: stdout)."""

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file

    def print(self, document: Document) -> None:
        out = self.file or sys.stdout
        out.write(document.render_text().rstrip("\n") + "\n")
        out.flush()


class SystemPrinter:
    """Sends the plain-text rendering to the system's ``lp`` (or ``lpr``)."""

    def __init__(self, command: list[str] | None = None) -> None:
        if command is None:
            tool = shutil.which("lp") or shutil.which("lpr")
            if tool is None:
                raise RuntimeError("no lp or lpr command on this system")
            command = [tool]
        self.command = command

    def print(self, document: Document) -> None:
        subprocess.run(self.command, input=document.render_text(), text=True, check=True)


# The steps of Window.print() (window.py makes window_print its print method).

def window_print(window: Window) -> None:
    """HTML print(): run the printing steps if the document is ready for post-load
    tasks; otherwise only set its print-when-loaded flag."""
    if window.document.ready_for_post_load_tasks:
        printing_steps(window)
    else:
        window.document.print_when_loaded = True


def printing_steps(window: Window) -> None:
    # 1. The UA may return: a provider that declines all dialogs declines this too.
    can_show = getattr(window.dialogs, "can_show", None)
    if can_show is not None and not can_show():
        return
    # 2. Sandboxed modals: no dialog, and neither event fires.
    if window.sandboxed_modals:
        return
    # 3. beforeprint at the relevant global object.
    window.dispatchEvent(Event("beforeprint"))
    try:
        # 4. Offer a physical form, using the document as it is now.
        if window.dialogs.print(window.document) and window.printer is not None:
            window.printer.print(window.document)
    finally:
        # 5. afterprint (also after a failed print: the page reverts its annotations).
        window.dispatchEvent(Event("afterprint"))
