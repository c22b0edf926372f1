# One vocabulary for the numbers, ids and arrays timercore's API takes (core/validate.pyx):
# convert, naming the argument (TypeError), then check one constraint (ValueError), as
# numpy's random/_common.pxd check_constraint does.

cpdef enum Constraint:
    FINITE = 0        # any finite number
    NOT_NAN = 1       # any number but NaN (asyncio's when/delay: inf waits forever)
    NON_NEGATIVE = 2  # finite, >= 0
    POSITIVE = 3      # finite, > 0
    CLOCK_TIME = 4    # finite, |x| <= 2**53 ms: where a millisecond still changes a double
    CLOCK_SPAN = 5    # finite, 0 <= x <= 2**53 ms


cdef double as_real(object value, str name, str kind) except? -1.0
cdef int check_constraint(double value, str name, Constraint constraint) except -1
cdef double as_ms(object value, str name, Constraint constraint=*) except? -1.0
cdef int as_count(object value, str name) except -1


cdef enum KeyKind:
    # How an id or handle argument names a timer (as_key). The two WebIDL kinds ignore a
    # value that is no number (clearTimeout(None) clears nothing); the other two raise.
    TIMER_ID = 0      # clearTimeout/clearInterval: WebIDL long (wraps, warning)
    IDLE_HANDLE = 1   # cancelIdleCallback: WebIDL unsigned long (wraps, warning)
    NODE_ID = 2       # refresh/unref/ref/has_ref: an int (__index__), not a bool
    WHEEL_HANDLE = 3  # TimerWheel and its bulk calls: an int (__index__) within int64

cdef object as_index(object value, str name)
cdef int64_t as_key_slow(object value, str name, KeyKind kind) except -1
# and in validate.pyx only (inline; numpy types, which this installed .pxd does not cimport):
#   as_key(value, name, kind) -> int64_t: the key an id or handle names, 0 if none
#   as_array(values, dtype, name, kinds) -> ndarray: a 1-d C-contiguous array, checked
