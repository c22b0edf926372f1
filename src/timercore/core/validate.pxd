# One vocabulary for the numbers timercore's API takes (core/validate.pyx): convert, naming
# the argument (TypeError), then check one constraint (ValueError), as numpy's
# random/_common.pxd check_constraint does.

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
