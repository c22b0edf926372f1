"""DOM events as the timer specs use them: Event, ErrorEvent, EventTarget, and HTML's
"report an exception" (§8.1.4.6) with its error-reporting-mode re-entrancy guard."""
from __future__ import annotations

import logging
import traceback
from typing import Any, Callable

logger = logging.getLogger("timercore")


Listener = Callable[["Event"], object]       # an event listener
Handler = Callable[..., object]              # an on<type> handler (onerror takes five)

class Event:
    """A DOM Event: ``type``, ``cancelable``, ``defaultPrevented``, ``preventDefault()``."""

    def __init__(self, type: str, *, cancelable: bool = False) -> None:
        if not isinstance(type, str):
            raise TypeError(f"type must be a str, not {type.__class__.__name__}")
        self.type = type
        self.cancelable = bool(cancelable)
        self.defaultPrevented = False
        self.target: Any = None
        self.currentTarget: Any = None

    def preventDefault(self) -> None:
        if self.cancelable:
            self.defaultPrevented = True

    prevent_default = preventDefault

    @property
    def default_prevented(self) -> bool:
        return self.defaultPrevented

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type!r}>"


class ErrorEvent(Event):
    """The event "report an exception" fires: ``message``, ``filename``, ``lineno``,
    ``colno`` and ``error`` (the exception object)."""

    def __init__(self, type: str, *, message: str = "", filename: str = "", lineno: int = 0,
                 colno: int = 0, error: BaseException | None = None,
                 cancelable: bool = False) -> None:
        super().__init__(type, cancelable=cancelable)
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.colno = colno
        self.error = error


def _handler_attribute(name: str) -> property:
    """An ``on<type>`` event handler IDL attribute."""
    event_type = name[2:]

    def get(self: EventTarget) -> Handler | None:
        return self._handlers.get(event_type)

    def set(self: EventTarget, value: Handler | None) -> None:
        if value is not None and not callable(value):
            value = None          # the IDL attribute treats non-callables as null
        if value is None:
            self._handlers.pop(event_type, None)
            return
        if event_type not in self._handlers:
            # The handler takes its place among listeners when first set (HTML §8.1.8.1).
            self._listeners.setdefault(event_type, []).append(_HandlerSlot(event_type))
        self._handlers[event_type] = value

    return property(get, set, doc=f"The {name} event handler (a callable or None).")


class _HandlerSlot:
    """The listener an ``on<type>`` attribute installs; calls whatever handler is current."""

    __slots__ = ("type",)

    def __init__(self, type: str) -> None:
        self.type = type


class EventTarget:
    """addEventListener / removeEventListener / dispatchEvent, and on<type> attributes."""

    onerror = _handler_attribute("onerror")

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener | _HandlerSlot]] = {}
        self._handlers: dict[str, Handler] = {}
        self._error_reporting_mode = False
        self.unhandled_errors = 0

    def addEventListener(self, type: str, listener: Listener | None) -> None:
        if listener is None:
            return
        if not callable(listener):
            raise TypeError(f"listener must be callable, not {type_name(listener)}")
        listeners = self._listeners.setdefault(type, [])
        if listener not in listeners:
            listeners.append(listener)

    def removeEventListener(self, type: str, listener: Listener | None) -> None:
        listeners = self._listeners.get(type, [])
        if listener in listeners:
            listeners.remove(listener)

    def dispatchEvent(self, event: Event) -> bool:
        """Call the event's listeners in order; returns False if the default was
        prevented. A listener's exception is reported and does not stop the others."""
        if not isinstance(event, Event):
            raise TypeError(f"event must be an Event, not {type_name(event)}")
        event.target = event.currentTarget = self
        for listener in list(self._listeners.get(event.type, ())):
            try:
                if isinstance(listener, _HandlerSlot):
                    self._call_handler(event)
                else:
                    listener(event)
            except Exception as exc:
                self.report_exception(exc)
        event.currentTarget = None
        return not event.defaultPrevented

    def _call_handler(self, event: Event) -> None:
        handler = self._handlers.get(event.type)
        if handler is None:
            return
        if event.type == "error" and isinstance(event, ErrorEvent):
            # OnErrorEventHandler: (message, source, lineno, colno, error); true cancels.
            if handler(event.message, event.filename, event.lineno, event.colno,
                       event.error) is True:
                event.preventDefault()
        elif handler(event) is False:
            event.preventDefault()

    def report_exception(self, exc: BaseException) -> None:
        """HTML "report an exception": fire a cancelable ``error`` ErrorEvent at this
        scope unless already reporting one; if nobody prevents its default, log the
        traceback to logger ``timercore``."""
        not_handled = True
        if not self._error_reporting_mode:
            self._error_reporting_mode = True
            try:
                tb = traceback.extract_tb(exc.__traceback__)
                last = tb[-1] if tb else None
                event = ErrorEvent("error", message=f"{type(exc).__name__}: {exc}",
                                   filename=last.filename if last else "",
                                   lineno=(last.lineno or 0) if last else 0,
                                   colno=(getattr(last, "colno", 0) or 0) + 1 if last else 0,
                                   error=exc, cancelable=True)
                not_handled = self.dispatchEvent(event)
            finally:
                self._error_reporting_mode = False
        if not_handled:
            self.unhandled_errors += 1
            logger.error("Uncaught %s", type(exc).__name__, exc_info=exc)

    add_event_listener = addEventListener
    remove_event_listener = removeEventListener
    dispatch_event = dispatchEvent


def type_name(value: object) -> str:
    return type(value).__name__
