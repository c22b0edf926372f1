"""The compiled half of timercore.aio.WheelEventLoop: its TimerHandle and the table that
maps the timing wheel's slots to handles.

A pending timer costs one TimerHandle (asyncio's semantics: when(), cancel(),
cancelled(), get_context()), one list slot and one 32-byte wheel entry. Cancelling
removes it from the wheel at once (asyncio keeps cancelled handles queued until more
than half are cancelled).
"""
cimport cython
from libc.math cimport INFINITY, isfinite
from libc.stdint cimport int64_t, uint32_t

from timercore._wheel cimport (TimerWheel, tw_advance, tw_cancel, tw_next_expiry, tw_out,
                               tw_out_free)

import contextvars

cdef tuple _NO_ARGS = ()
import sys
from asyncio import base_events, format_helpers


@cython.freelist(256)
@cython.final
@cython.no_gc
cdef class TimerHandle:
    """A timer of WheelEventLoop: duck-types asyncio.TimerHandle.

    Not tracked by the garbage collector (a million pending handles would otherwise make
    every full collection walk them all): a handle drops its callback, arguments and
    context once it has run or been cancelled, so no cycle through it outlives its timer.
    """
    cdef:
        double _when                 # loop time, seconds
        public object _callback
        public object _args
        public object _context
        TimerTable _table
        int64_t _wheel_handle
        public bint _cancelled
        object _repr

    def when(self):
        """The loop time (seconds) at which the callback is scheduled."""
        return self._when

    def cancelled(self):
        return self._cancelled

    def get_context(self):
        return self._context

    @property
    def _loop(self):
        return self._table.loop

    @property
    def _source_traceback(self):
        return self._table.tracebacks.get(id(self)) if self._table.tracebacks else None

    def cancel(self):
        """Cancel the call; O(1), and the timer leaves the wheel at once."""
        if self._cancelled:
            return
        self._cancelled = True
        if self._table.loop.get_debug():
            self._repr = self._format()
        self._table._remove(self)
        self._callback = self._args = self._context = None

    def _run(self):
        """As asyncio.Handle._run: exceptions go to the loop's exception handler. The
        callback, arguments and context are dropped afterwards (see the class doc)."""
        try:
            self._context.run(self._callback, *self._args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._report(exc)
        finally:
            if self._table.loop.get_debug():
                self._repr = self._format()
            self._callback = self._args = self._context = None

    def _report(self, exc):
        cb = format_helpers._format_callback_source(self._callback, self._args)
        context = {"message": f"Exception in callback {cb}", "exception": exc,
                   "handle": self}
        tb = self._source_traceback
        if tb:
            context["source_traceback"] = tb
        self._table.loop.call_exception_handler(context)

    cdef str _format(self):
        info = [type(self).__name__, f"when={self._when}"]
        if self._cancelled:
            info.append("cancelled")
        if self._callback is not None:
            info.append(format_helpers._format_callback_source(self._callback, self._args))
        return "<" + " ".join(info) + ">"

    def __repr__(self):
        return self._repr if self._repr is not None else self._format()

    def __hash__(self):
        return hash(self._when)

    def __lt__(self, other):
        return self._when < other.when()

    def __eq__(self, other):
        return self is other


cdef class TimerTable:
    """The wheel of a WheelEventLoop and the handle in each of its slots."""
    cdef:
        TimerWheel wheel
        list handles                 # per wheel slot: the pending TimerHandle, or None
        tw_out batch
        list due                     # handles collected by collect_due, not yet run
        readonly object loop
        public dict tracebacks       # id(handle) -> source traceback (debug mode only)

    def __cinit__(self, loop, double start_s):
        self.loop = loop
        self.wheel = TimerWheel(1.0, start_s * 1000.0)
        self.handles = []
        self.tracebacks = {}
        self.due = []

    def __dealloc__(self):
        tw_out_free(&self.batch)

    def call_at(self, when, callback, args, context):
        """Schedule and return a TimerHandle (the loop has checked its arguments)."""
        cdef double w = float(when)
        cdef TimerHandle h
        cdef uint32_t slot
        if not isfinite(w):
            raise ValueError(f"when must be a finite number, got {when!r}")
        h = TimerHandle.__new__(TimerHandle)
        h._when = w
        h._callback = callback
        h._args = _NO_ARGS if not args else args
        h._context = contextvars.copy_context() if context is None else context
        h._table = self
        h._wheel_handle = self.wheel._insert(w * 1000.0, 0)
        slot = <uint32_t>h._wheel_handle
        if slot >= <uint32_t>len(self.handles):       # grow by doubling, like the slab
            self.handles.extend([None] * max(slot + 1 - len(self.handles), len(self.handles), 64))
        self.handles[slot] = h
        if self.loop.get_debug():
            self.tracebacks[id(h)] = format_helpers.extract_stack(sys._getframe(2))
        return h

    cdef void _remove(self, TimerHandle h):
        if tw_cancel(&self.wheel._w, h._wheel_handle):
            self.handles[<uint32_t>h._wheel_handle] = None
        if self.tracebacks:
            self.tracebacks.pop(id(h), None)

    def collect_due(self, double now_s):
        """Take every timer due by now_s off the wheel, in (when, FIFO) order, to be run
        by run_collected() once the handles already ready have run (asyncio's order)."""
        self.due = []
        return self.pop_due(now_s, self.due)

    def run_collected(self, ready):
        """Run the collected handles, skipping any cancelled meanwhile. If a callback
        raises SystemExit or KeyboardInterrupt, the rest go to the front of ``ready``."""
        cdef list due = self.due
        cdef Py_ssize_t i, n = len(due)
        cdef TimerHandle h
        self.due = []
        for i in range(n):
            h = <TimerHandle>due[i]
            if h._cancelled:
                continue
            try:
                if h._args is _NO_ARGS:
                    h._context.run(h._callback)
                    h._callback = h._args = h._context = None
                else:
                    h._run()
            except BaseException:
                if h._callback is not None:        # the fast path's exception
                    if isinstance(sys.exc_info()[1], (SystemExit, KeyboardInterrupt)):
                        ready.extendleft(reversed(due[i + 1:]))
                        raise
                    h._report(sys.exc_info()[1])
                    h._callback = h._args = h._context = None
                else:
                    ready.extendleft(reversed(due[i + 1:]))
                    raise
        return n

    def pop_due(self, double now_s, ready):
        """Move every timer due by now_s to ``ready`` (a deque), in (when, FIFO) order."""
        cdef int64_t n, i, hd
        cdef uint32_t slot
        cdef double now_ms = now_s * 1000.0
        if now_ms < self.wheel._w.now:
            now_ms = self.wheel._w.now
        self.batch.len = 0
        with nogil:
            n = tw_advance(&self.wheel._w, now_ms, &self.batch, 1)
        if n < 0:                     # out of memory part-way: run what fired, keep the rest
            if self.batch.len == 0:
                raise MemoryError()
            n = self.batch.len
        append = ready.append
        for i in range(n):
            hd = self.batch.data[i]
            slot = <uint32_t>hd
            h = self.handles[slot]
            self.handles[slot] = None
            append(h)
        return n

    def next_when(self):
        """The loop time of the earliest pending timer, or None."""
        cdef double d
        if tw_next_expiry(&self.wheel._w, &d):
            return None
        return d / 1000.0

    def __len__(self):
        return self.wheel._w.len

    def clear(self):
        """Drop every pending timer (the loop is closing)."""
        for h in self.handles:
            if h is not None:
                (<TimerHandle>h)._cancelled = True
        self.handles = []
        self.wheel = TimerWheel(1.0, self.wheel._w.now)
        self.tracebacks.clear()
