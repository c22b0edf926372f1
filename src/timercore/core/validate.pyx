# Argument checks shared by every part of the core and the façade (check_ms): numbers,
# ids and handles, arrays; validate.pxd has the vocabulary.

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


cdef object as_index(object value, str name):
    """operator.index(value), with a TypeError that names the argument."""
    try:
        return _operator_index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None


cdef inline int64_t as_key(object value, str name, KeyKind kind) except -1:
    """The key an id or handle argument names (> 0), or 0 if it names none: the one
    conversion of ids and handles. An exact int of up to two digits (every id, every
    handle below 2**60) is read here in place (intread.h: the hot path of clearTimeout and
    cancel); everything else goes to as_key_slow."""
    cdef long long v
    if type(value) is int and tc_read_small_int(value, &v):
        if kind == WHEEL_HANDLE:
            return v if v > 0 else 0
        if 0 < v <= 0x7FFFFFFF:
            return v
    return as_key_slow(value, name, kind)


cdef int64_t as_key_slow(object value, str name, KeyKind kind) except -1:
    cdef int overflow = 0
    cdef long long v
    if kind == NODE_ID or kind == WHEEL_HANDLE:
        if kind == NODE_ID and isinstance(value, bool):
            raise TypeError(f"{name} must be a timer id (int), not bool")
        if type(value) is not int:
            value = as_index(value, name)
        v = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow or v <= 0 or (kind == NODE_ID and v > 0x7FFFFFFF):
            return 0
        return v
    # WebIDL long / unsigned long. None, strings and objects that are no number are
    # accepted and name nothing (as clearTimeout("x") in a browser converts to 0).
    if value is None or isinstance(value, (str, bytes)) or not (
            hasattr(type(value), "__index__") or hasattr(type(value), "__float__")):
        return 0
    v = to_long(value, name) if kind == TIMER_ID else to_unsigned_long(value, name)
    return v if v > 0 else 0


cdef cnp.ndarray as_array(object values, object dtype, str name, str kinds):
    """A 1-d C-contiguous array of dtype; TypeError naming the argument otherwise.
    Values whose natural dtype kind is not in ``kinds`` (floats for handles, strings,
    objects, ints beyond int64) are rejected, not silently cast."""
    cdef cnp.ndarray arr
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"{name} must be a 1-d array of numbers: {exc}") from None
    if arr.ndim != 1:
        raise TypeError(f"{name} must be 1-dimensional, got {arr.ndim} dimensions")
    if arr.dtype.kind not in kinds and arr.shape[0]:
        raise TypeError(f"{name} must not have dtype {arr.dtype}")
    if (arr.dtype.kind == "u" and dtype is np.int64 and arr.shape[0]
            and arr.max() > 0x7FFFFFFFFFFFFFFF):
        raise TypeError(f"{name} has values beyond int64")
    return np.ascontiguousarray(arr, dtype=dtype)
