"""WebIDL conversions the timer APIs need (https://webidl.spec.whatwg.org/#es-type-mapping).

The compiled core takes a fast path for plain in-range ints and calls these otherwise.
"""
from __future__ import annotations

import math
import operator
import os
import sys
from types import FrameType
from typing import SupportsFloat, SupportsIndex, cast
import warnings


class TimeoutOverflowWarning(RuntimeWarning):
    """A timeout outside the signed 32-bit range wrapped around, as browsers do (WebIDL
    ``long``): e.g. 2**31 ms becomes -2**31, then 0, and the timer fires at once."""


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_at_caller(message: str, category: type[Warning] = TimeoutOverflowWarning) -> None:
    """Warn at the first frame outside timercore: the user's line, wherever the call came
    from (a script, a callback, a hosted scope), so reading the warning and
    ``warnings.filterwarnings(module=...)`` both work. (The compiled core has no Python
    frames of its own.)"""
    level = 2
    caller: FrameType | None = sys._getframe(1)
    while caller is not None and caller.f_code.co_filename.startswith(_PACKAGE):
        caller, level = caller.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def warn_infinite(value: float, name: str = "timeout") -> None:
    """WebIDL converts ±inf to 0: say so, as for any other timeout out of range."""
    warn_at_caller(f"{name}={value} is not a finite number of milliseconds; WebIDL "
                   "converts it to 0, so the timer fires at once (to wait forever, "
                   "set no timer)")


def _integer(value: object, name: str) -> int | None:
    """The integer WebIDL takes from ``value`` (truncated toward zero), or None for NaN
    and ±inf (which convert to 0; ±inf warns)."""
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be a number of milliseconds, not {type(value).__name__}")
    # (hasattr on the type, not isinstance against the typing protocols: those are slow)
    if hasattr(type(value), "__index__"):
        return operator.index(cast(SupportsIndex, value))
    if hasattr(type(value), "__float__"):
        f = float(cast(SupportsFloat, value))
        if math.isinf(f):
            warn_infinite(f, name)
        return math.trunc(f) if math.isfinite(f) else None
    raise TypeError(f"{name} must be a number of milliseconds, not {type(value).__name__}")


def to_long(value: object, name: str = "timeout") -> int:
    """WebIDL ``long``: truncate toward zero, NaN/±inf -> 0, wrap modulo 2**32 into the
    signed 32-bit range (emitting TimeoutOverflowWarning when it wraps or is infinite).

    Accepts bool, int, objects with ``__index__`` or ``__float__``; anything else is a
    ``TypeError`` naming the argument.
    """
    x = _integer(value, name)
    if x is None:
        return 0
    wrapped = (x + 2**31) % 2**32 - 2**31
    if wrapped != x:
        warn_at_caller(f"{name}={x} does not fit a 32-bit signed integer; it wrapped to "
                       f"{wrapped}")
    return wrapped


def to_unsigned_long(value: object, name: str) -> int:
    """WebIDL ``unsigned long``: like ``long`` but wrapped into 0..2**32-1 (warning when
    it wraps: -1 becomes 4294967295)."""
    x = _integer(value, name)
    if x is None:
        return 0
    wrapped = x % 2**32
    if wrapped != x:
        warn_at_caller(f"{name}={x} does not fit a 32-bit unsigned integer; it wrapped to "
                       f"{wrapped}")
    return wrapped


def to_domstring(value: object) -> str:
    """WebIDL ``DOMString``: ``str()``, as JavaScript's ToString."""
    return value if type(value) is str else str(value)
