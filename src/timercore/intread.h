/* Reading a timer id or wheel handle from an exact int, in a few instructions.
 *
 * Ids are below 2**31 and handles below 2**63, so their ints have at most three of
 * CPython's 30-bit digits; a handle, (generation << 32) | slot, has two. CPython's
 * PyLong_AsLongLongAndOverflow reads them with a general loop behind a call (about 55
 * instructions for a handle, a sixth of a TimerWheel.cancel); here the digits are read
 * in place. The layout is CPython's (Include/cpython/longintrepr.h): in 3.11 the signed
 * digit count is ob_size; from 3.12 it is lv_tag >> 3, its sign in lv_tag's low two bits
 * (0 positive, 1 zero, 2 negative), checked the same in 3.12 to 3.15. On any other
 * interpreter (3.16 until checked, the limited API, PyPy) TC_INTREAD_FAST is 0 and
 * tc_read_small_int always answers "not read", sending the caller to the public API. */
#ifndef TIMERCORE_INTREAD_H
#define TIMERCORE_INTREAD_H

#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x03100000 && \
    !defined(Py_LIMITED_API) && !defined(PYPY_VERSION) && PyLong_SHIFT == 30
#define TC_INTREAD_FAST 1
#else
#define TC_INTREAD_FAST 0
#endif

/* For an exact int (the caller checked the type): 1 and *out when it is >= 0 and has at
 * most two digits (below 2**60), else 0 (negative, larger, or no fast path here). */
static inline int tc_read_small_int(PyObject *v, long long *out) {
#if TC_INTREAD_FAST
    const digit *d = ((PyLongObject *)v)->
#if PY_VERSION_HEX >= 0x030C0000
        long_value.ob_digit;
    uintptr_t tag = ((PyLongObject *)v)->long_value.lv_tag;
    if (tag & 2) return 0;                          /* negative */
    Py_ssize_t n = (Py_ssize_t)(tag >> 3);           /* 0 for zero */
#else
        ob_digit;
    Py_ssize_t n = Py_SIZE(v);
    if (n < 0) return 0;
#endif
    if (n <= 1) {
        *out = n ? (long long)d[0] : 0;
        return 1;
    }
    if (n == 2) {
        *out = (long long)d[0] | ((long long)d[1] << PyLong_SHIFT);
        return 1;
    }
    return 0;
#else
    (void)v;
    (void)out;
    return 0;
#endif
}

#endif
