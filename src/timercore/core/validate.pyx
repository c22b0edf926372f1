# Argument checks shared by every part of the core and the façade (check_ms):
# validate.pxd has the vocabulary.

cdef double as_real(object value, str name, str kind) except? -1.0:
    """A float from a real number: ``kind`` names what was expected in the TypeError
    ("a number of milliseconds", "a real number")."""
    if type(value) is float:
        return PyFloat_AS_DOUBLE(value)
    if value is None or isinstance(value, (str, bytes, bytearray)) or not (
            hasattr(type(value), "__float__") or hasattr(type(value), "__index__")):
        raise TypeError(f"{name} must be {kind}, not {type(value).__name__}")
    try:
        return float(value)
    except (TypeError, OverflowError) as exc:
        raise type(exc)(f"{name} must be {kind}: {exc}") from None


cdef int check_constraint(double value, str name, Constraint constraint) except -1:
    if constraint == NOT_NAN:
        if isnan(value):
            raise ValueError(f"{name} must not be NaN")
        return 0
    if not isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if constraint == NON_NEGATIVE and not value >= 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if constraint == POSITIVE and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if constraint == CLOCK_TIME and not abs(value) <= MAX_TIME_MS_C:
        raise ValueError(f"{name} must be finite and within 2**53, got {value!r}")
    if constraint == CLOCK_SPAN and not 0 <= value <= MAX_TIME_MS_C:
        raise ValueError(f"{name} must be a finite number >= 0 within 2**53, got {value!r}")
    return 0


cdef double as_ms(object value, str name, Constraint constraint=FINITE) except? -1.0:
    """A number of milliseconds meeting ``constraint``."""
    cdef double d = as_real(value, name, "a number of milliseconds")
    if constraint != FINITE or not isfinite(d):
        check_constraint(d, name, constraint)
    return d


cdef int as_count(object value, str name) except -1:
    """An int >= 0 that fits an int (max_timers: 0 means unlimited)."""
    if type(value) is not int or not 0 <= value <= 0x7FFFFFFF:
        raise ValueError(f"{name} must be an int >= 0 (0: unlimited), got {value!r}")
    return <int>value


def check_ms(value, str name, Constraint constraint=FINITE):
    """as_ms for the façade: a float of milliseconds, or TypeError/ValueError naming
    ``name``."""
    return as_ms(value, name, constraint)
