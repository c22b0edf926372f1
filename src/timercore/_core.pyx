"""timercore's compiled core: the timing wheel, clocks, a scope's timers, microtasks, idle
callbacks and event loop, and the asyncio loops' timers, in one extension module (one
copy of the C core per process). The code lives in core/, one file per concept; the
declarations in _core.pxd. See docs/architecture.md."""
cimport cython
cimport numpy as cnp
from cpython.contextvars cimport (PyContext_CheckExact, PyContext_Copy, PyContext_CopyCurrent,
                                  PyContext_Enter, PyContext_Exit)
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_Check
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.pythread cimport PyThread_get_thread_ident
from cpython.ref cimport Py_DECREF, Py_INCREF, Py_XDECREF
from libc.math cimport INFINITY, ceil, isfinite, isnan, trunc
from libc.string cimport memcpy, memmove, memset
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

import sys
from asyncio import Task as _Task, format_helpers, iscoroutine as _iscoroutine
from asyncio.events import _get_running_loop
from asyncio.log import logger as _asyncio_logger
from logging import getLogger as _getLogger
from collections import deque, namedtuple
from functools import partial as _partial
from inspect import signature as _signature
from operator import index as _operator_index
from types import CoroutineType as _CoroutineType

import numpy as np

from timercore.webidl import to_long, to_unsigned_long, warn_infinite

cnp.import_array()

cdef tuple NO_ARGS = ()


cdef void *grow_array(void *p, size_t n, size_t item_size) except NULL:
    """Resize a PyMem array to n items (tc_grow_cap, grow.h, says how many)."""
    cdef void *q = PyMem_Realloc(p, n * item_size)
    if q == NULL:
        raise MemoryError()
    return q


include "core/clock.pyx"
include "core/validate.pyx"
include "core/wheel.pyx"
include "core/scope_state.pyx"
include "core/timers.pyx"
include "core/idle.pyx"
include "core/scope_core.pyx"
include "core/asyncio_timers.pyx"
