"""WebIDL conversions the timer APIs need (https://webidl.spec.whatwg.org/#es-type-mapping).

The compiled core takes a fast path for plain in-range ints and calls these otherwise.
"""
from __future__ import annotations

import math
import operator
from typing import SupportsFloat, SupportsIndex, cast
import warnings


class TimeoutOverflowWarning(RuntimeWarning):
    """A timeout outside the signed 32-bit range wrapped around, as browsers do (WebIDL
    ``long``): e.g. 2**31 ms becomes -2**31, then 0, and the timer fires at once."""


def to_long(value: object, name: str = "timeout") -> int:
    """WebIDL ``long``: truncate toward zero, NaN/±inf -> 0, wrap modulo 2**32 into the
    signed 32-bit range (emitting TimeoutOverflowWarning when it wraps).

    Accepts bool, int, objects with ``__index__`` or ``__float__``; anything else is a
    ``TypeError`` naming the argument.
    """
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be a number of milliseconds, not {type(value).__name__}")
    # (hasattr on the type, not isinstance against the typing protocols: those are slow)
    if hasattr(type(value), "__index__"):
        x = operator.index(cast(SupportsIndex, value))
    elif hasattr(type(value), "__float__"):
        f = float(cast(SupportsFloat, value))
        if not math.isfinite(f):
            return 0
        x = math.trunc(f)
    else:
        raise TypeError(f"{name} must be a number of milliseconds, not {type(value).__name__}")
    wrapped = (x + 2**31) % 2**32 - 2**31
    if wrapped != x:
        warnings.warn(f"{name}={x} does not fit a 32-bit signed integer; it wrapped to "
                      f"{wrapped}", TimeoutOverflowWarning, stacklevel=3)
    return wrapped


def to_unsigned_long(value: object, name: str) -> int:
    """WebIDL ``unsigned long``: like ``long`` but wrapped into 0..2**32-1."""
    return to_long(value, name) % 2**32


def to_domstring(value: object) -> str:
    """WebIDL ``DOMString``: ``str()``, as JavaScript's ToString."""
    return value if type(value) is str else str(value)
