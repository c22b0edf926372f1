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
        slot = self._handler_slots.get(event_type)
        return None if slot is None else slot.handler

    def set(self: EventTarget, value: Handler | None) -> None:
        if value is not None and not callable(value):
            value = None          # the IDL attribute treats non-callables as null
        if value is None:
            # HTML §8.1.8.1 "deactivate an event handler": remove its listener.
            slot = self._handler_slots.pop(event_type, None)
            if slot is not None:
                self._remove_record(event_type, slot)
            return
        slot = self._handler_slots.get(event_type)
        if slot is None:
            # "Activate an event handler": one listener, appended now, that calls
            # whatever handler is current (setting it again keeps the position).
            slot = self._handler_slots[event_type] = _Listener(None)
            self._listeners.setdefault(event_type, []).append(slot)
        slot.handler = value

    return property(get, set, doc=f"The {name} event handler (a callable or None).")


class _Listener:
    """An event listener of the DOM: its callback (None for the listener an ``on<type>``
    attribute installs, which calls ``handler``, the attribute's current value) and its
    removed flag, which stops a listener removed during a dispatch from running in it
    (DOM "inner invoke")."""

    __slots__ = ("callback", "handler", "removed")

    def __init__(self, callback: Listener | None) -> None:
        self.callback = callback
        self.handler: Handler | None = None
        self.removed = False


class EventTarget:
    """addEventListener / removeEventListener / dispatchEvent, and on<type> attributes."""

    onerror = _handler_attribute("onerror")

    def __init__(self) -> None:
        self._listeners: dict[str, list[_Listener]] = {}
        self._handler_slots: dict[str, _Listener] = {}     # on<type> attributes set
        self._error_reporting_mode = False
        self.unhandled_errors = 0

    def addEventListener(self, type: str, listener: Listener | None) -> None:
        if listener is None:
            return
        if not callable(listener):
            raise TypeError(f"listener must be callable, not {type_name(listener)}")
        listeners = self._listeners.setdefault(type, [])
        if not any(r.callback == listener for r in listeners):
            listeners.append(_Listener(listener))

    def removeEventListener(self, type: str, listener: Listener | None) -> None:
        for record in self._listeners.get(type, ()):
            if record.callback is not None and record.callback == listener:
                self._remove_record(type, record)
                return

    def _remove_record(self, type: str, record: _Listener) -> None:
        # DOM "remove an event listener": set its removed flag, then drop it.
        record.removed = True
        self._listeners[type].remove(record)

    def dispatchEvent(self, event: Event) -> bool:
        """Call the event's listeners in order; returns False if the default was
        prevented. A listener's exception is reported and does not stop the others."""
        if not isinstance(event, Event):
            raise TypeError(f"event must be an Event, not {type_name(event)}")
        event.target = event.currentTarget = self
        # DOM "inner invoke": the listeners as they were when dispatch began, skipping any
        # removed meanwhile (one added meanwhile does not run in this dispatch).
        for record in list(self._listeners.get(event.type, ())):
            if record.removed:
                continue
            try:
                if record.callback is None:
                    self._call_handler(record.handler, event)
                else:
                    record.callback(event)
            except Exception as exc:
                self.report_exception(exc)
        event.currentTarget = None
        return not event.defaultPrevented

    def _call_handler(self, handler: Handler | None, event: Event) -> None:
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
