# The compiled timers of timercore's asyncio loops: ``call_at``, ``call_later``,
# ``TimerHandle.cancel()`` and the firing of due timers, on the timing wheel.
#
# One ``WheelTimers`` per loop. The loop's ``call_at`` / ``call_later`` *are* its bound
# methods (set on the loop instance), so no Python frame of timercore's runs between the
# caller and the wheel. A pending timer costs one ``TimerHandle`` (64 bytes, one cache line,
# not tracked by the garbage collector), one pointer in ``slots`` and one 32-byte wheel entry.
#
# Contexts: asyncio gives every handle its own copy of the current context. Copies made in
# a row from an unchanged context are equal, so a handle scheduled without ``context=``
# shares the last equal snapshot (``ctx_cache``) and runs as if in a fresh copy of it (see
# ctxsnap.h): what the callback sets is dropped afterwards, as with asyncio's copy, and
# neither scheduling nor firing makes a Context object.
#
# Firing: ``collect_due(now)`` takes every timer with ``when <= now`` (never earlier) off
# the wheel, in (when, FIFO) order; ``run_due()`` runs them. A handle not yet run when a
# callback raises SystemExit/KeyboardInterrupt runs at the next call.
#
# Two ways to drive it: the selector loop's ``_run_once`` (``selector_run_once`` below), or
# one native timer of a foreign loop (uvloop, rloop) armed at the wheel's next expiry.


# Which context path this build takes (ctxsnap.h): "snapshot" where CPython's Context
# layout was checked, "copy" (a Context per timer, public API only) elsewhere.
CONTEXT_PATH = "snapshot" if TC_CTX_FAST else "copy"

cdef double MAXIMUM_SELECT_TIMEOUT = 24 * 3600    # as asyncio's
cdef double NATIVE_SLACK_S = 0.001                # a foreign loop's timer resolution
cdef Py_ssize_t PURGE_MIN = 4096                  # fewer cancelled entries never purge

# TimerHandle._state: where the handle is, plus flags.
cdef enum:
    PENDING = 0        # in the wheel, or collected by collect_due and not yet run
    DONE = 2           # ran
    CANCELLED = 3
    STATE_MASK = 3
    SHARED_CONTEXT = 4  # _context is a shared snapshot: run in a copy of it
    TRACED = 8          # scheduled in debug mode: WheelTimers.debug_info has its record


@cython.no_gc
cdef class LoopCallback:
    """What a timercore loop's Handle (call_soon) and TimerHandle (call_at, call_later)
    share: asyncio.Handle's API, as uvloop's handles duck-type it.

    Not tracked by the garbage collector (a million pending handles would otherwise make
    every full collection walk them all, and each one made would count towards the next
    collection): a handle drops its callback, arguments and context once it has run or
    been cancelled, so no cycle through it outlives its callback.
    """
    def cancelled(self):
        return (self._state & STATE_MASK) == CANCELLED

    def get_context(self):
        """The context the callback runs in (a copy of it, when scheduled without
        ``context=``; see the module doc)."""
        return _or_none(self._ctx)

    # asyncio.Handle's attributes, read by asyncio's helpers and by debugging tools.
    @property
    def _callback(self):
        return _or_none(self._cb)

    @property
    def _args(self):
        return _or_none(self._cb_args)

    @property
    def _context(self):
        return _or_none(self._ctx)

    @property
    def _cancelled(self):
        return (self._state & STATE_MASK) == CANCELLED

    @property
    def _loop(self):
        return self._timers.loop

    @property
    def _source_traceback(self):
        info = self._timers.debug_info.get(id(self)) if self._state & TRACED else None
        return info[0] if info is not None else None

    @cython.binding(False)                   # a plain method descriptor, called as
    @cython.always_allow_keywords(False)     # METH_NOARGS: CPython's fastest method call
    def cancel(self):
        """Cancel the call: it will not run; its callback, arguments and context go now."""
        if (self._state & STATE_MASK) != CANCELLED:
            self._state |= CANCELLED
            _finish(self)

    def _run(self):
        """As asyncio.Handle._run."""
        _invoke(self)

    def __dealloc__(self):
        _drop(self)
        if self._state & TRACED and self._timers is not None:
            self._timers.debug_info.pop(id(self), None)

    def __repr__(self):
        return _repr(self, None)


# (Cython keeps no free list for a subclass: linepool.h and pymalloc serve allocations.)
@cython.final
@cython.no_gc
cdef class Handle(LoopCallback):
    """A callback of timercore's asyncio loop's call_soon (see LoopCallback)."""


@cython.final
@cython.no_gc
cdef class TimerHandle(LoopCallback):
    """A timer of a timercore loop: duck-types asyncio.TimerHandle, as uvloop's do."""
    def when(self):
        """The loop time (seconds) at which the callback is scheduled."""
        return self._when_s

    @property
    def _when(self):
        return self._when_s

    @cython.binding(False)                   # a plain method descriptor, called as
    @cython.always_allow_keywords(False)     # METH_NOARGS: CPython's fastest method call
    def cancel(self):
        """Cancel the call: O(1); the handle is marked, its wheel entry goes later (see
        _purge_if_due)."""
        # In a random-order loop every store here waits behind the miss on the handle and
        # so do the misses of the next calls: no call, no reference taken, nothing stored
        # in place of the callback (all three cost ~70 ns a cancel).
        cdef int state = self._state
        if (state & STATE_MASK) == CANCELLED:
            return
        self._state = state | CANCELLED
        _finish(self)
        if (state & STATE_MASK) == PENDING:
            self._timers.cancelled_in_wheel += 1

    def __repr__(self):
        return _repr(self, self._when_s)

    def __hash__(self):
        return hash(self._when_s)

    def __lt__(self, other):
        return self._when_s < other.when()

    def __le__(self, other):
        return self._when_s <= other.when()

    def __gt__(self, other):
        return self._when_s > other.when()

    def __ge__(self, other):
        return self._when_s >= other.when()

    def __eq__(self, other):
        return self is other


# From 3.14 asyncio shows a callback's arguments in debug mode only (debug=).
_SOURCE_TAKES_DEBUG = "debug" in _signature(format_helpers._format_callback_source).parameters


cdef str _callback_source(LoopCallback self):
    """The callback and its arguments as asyncio's handles name them."""
    if _SOURCE_TAKES_DEBUG:
        return format_helpers._format_callback_source(self._callback, self._args,
                                                      debug=self._timers.debug)
    return format_helpers._format_callback_source(self._callback, self._args)


cdef str _repr(LoopCallback self, when):
    """asyncio's repr of a handle: `when=` for a timer, `cancelled`, the callback's source,
    and in debug mode where it was made (a handle that ran or was cancelled in debug mode
    keeps the repr it had then, as asyncio's keeps its callback)."""
    name = type(self).__name__
    info = [name]
    if (self._state & STATE_MASK) == CANCELLED:
        info.append("cancelled")
    if when is not None:
        info.append(f"when={when}")
    if self._state & TRACED:
        debug = self._timers.debug_info.get(id(self))
        if debug is not None and debug[1] is not None:
            kept = <str>debug[1]      # ran or cancelled: the repr it had then
            if (self._state & STATE_MASK) == CANCELLED and " cancelled " not in kept:
                kept = kept.replace(f"<{name} ", f"<{name} cancelled ", 1)
            return kept
    if self._cb != NULL:
        info.append(_callback_source(self))
        if self._state & TRACED:
            tb = self._source_traceback
            if tb:
                info.append(f"created at {tb[-1][0]}:{tb[-1][1]}")
    return "<" + " ".join(info) + ">"


# Each handle in one cache line of its own (linepool.h): pymalloc's 64-byte blocks straddle
# two, and a random-order cancel or fire then misses twice.
HANDLES_LINE_ALIGNED = bool(tc_linepool_install(TimerHandle))


def _linepool_chunks():
    """Tests: the 256 KiB chunks of handle memory mapped now (linepool.h)."""
    return tc_linepool_chunks


# The handle's own steps, as functions rather than cdef methods: a final class with no
# cdef method has no vtable pointer, so a handle is 64 bytes, not 80 (and random-order
# cancels touch less memory).

cdef inline void _drop(LoopCallback self) noexcept:
    # Raw pointers, cleared to NULL: storing None would cost one more store per field
    # (None's reference count); see cancel.
    cdef PyObject *cb = self._cb
    cdef PyObject *args = self._cb_args
    cdef PyObject *ctx = self._ctx
    self._cb = self._cb_args = self._ctx = NULL
    Py_XDECREF(cb)          # (may run a finalizer: the handle is consistent by now)
    Py_XDECREF(args)
    Py_XDECREF(ctx)


cdef int _invoke(LoopCallback self) except -1:
    """Run the callback in its context. Exceptions go to the loop's exception handler,
    except SystemExit and KeyboardInterrupt, which propagate."""
    if self._cb == NULL:
        return 0                              # already ran or cancelled
    cdef object ctx = <object>self._ctx
    cdef object cb = <object>self._cb
    cdef object args = <object>self._cb_args
    cdef PyObject *saved = NULL
    try:
        if self._state & SHARED_CONTEXT:
            if tc_ctx_can_share(ctx):
                saved = tc_ctx_save(ctx)       # run in it, then put its variables back
            else:
                ctx = PyContext_Copy(ctx)
        PyContext_Enter(ctx)
        try:
            if args is NO_ARGS:
                cb()
            else:
                cb(*args)
        finally:
            PyContext_Exit(ctx)
            if saved != NULL:
                tc_ctx_restore(ctx, saved)
    except (SystemExit, KeyboardInterrupt):
        _finish(self)
        raise
    except BaseException as exc:
        _report(self, exc)
    _finish(self)
    return 0


cdef inline void _finish(LoopCallback self) noexcept:
    """Ran or cancelled: drop the callback, arguments and context. A handle scheduled in
    debug mode first keeps its repr, as asyncio's cancel does, so it still says what it
    was (and its source traceback stays)."""
    if self._state & TRACED:
        _keep_repr(self)
    _drop(self)


cdef void _keep_repr(LoopCallback self) noexcept:
    info = self._timers.debug_info.get(id(self))
    if info is not None and info[1] is None:
        try:
            info[1] = repr(self)
        except Exception:       # a callback or argument whose repr raises
            info[1] = f"<{type(self).__name__}>"


cdef _report(LoopCallback self, exc):
    cb = _callback_source(self)
    context = {"message": f"Exception in callback {cb}", "exception": from_user_code(exc),
               "handle": self}
    tb = self._source_traceback
    if tb:
        context["source_traceback"] = tb
    loop = self._timers.loop
    if loop is not None:
        loop.call_exception_handler(context)


cdef inline int _fill(WheelTimers t, LoopCallback h, callback, tuple args,
                      context) except -1:
    """A new handle's callback, arguments and context (a shared snapshot of the current
    one when none is given); in debug mode, where it was made."""
    if context is None:
        context = t._snapshot()
        h._state = PENDING | SHARED_CONTEXT
    elif PyContext_CheckExact(context):
        h._state = PENDING
    else:
        return _not_a_context(context)
    Py_INCREF(callback)
    Py_INCREF(args)
    Py_INCREF(context)
    h._cb = <PyObject *>callback
    h._cb_args = <PyObject *>args
    h._ctx = <PyObject *>context
    h._timers = t
    if t.debug:
        _trace(t, h)
    return 0


cdef int _not_a_context(context) except -1:
    # (asyncio takes anything, and fails when the callback is due to run)
    raise TypeError(f"context must be a contextvars.Context or None, not {type(context).__name__}")


cdef int _trace(WheelTimers t, LoopCallback h) except -1:
    """Debug mode: where the handle was made (the caller's frame: no frame of ours runs)."""
    t.debug_info[id(h)] = [format_helpers.extract_stack(sys._getframe(0)), None]
    h._state |= TRACED
    return 0


cdef inline int _purge_if_due(WheelTimers t) except -1:
    """Cancelling only marks the handle (one memory access, where removing the entry at
    once costs four cache misses in random order), as asyncio's heap does. Once the
    cancelled outnumber the live, one sequential pass takes them all out: amortized O(1)
    per cancel, memory within twice the live. Checked where asyncio checks, when timers
    are scheduled or collected, not in cancel (see there)."""
    if t.cancelled_in_wheel >= PURGE_MIN and \
            t.cancelled_in_wheel * 2 > <Py_ssize_t>t.wheel._w.len:
        t._purge()
    return 0


cdef inline object _or_none(PyObject *p):
    return <object>p if p != NULL else None


cdef inline double _monotonic_s() noexcept nogil:
    """time.monotonic(), as asyncio's loop.time() reads it (same clock, same rounding)."""
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <double>(<int64_t>ts.tv_sec * 1000000000 + ts.tv_nsec) / 1e9


cdef inline double _as_seconds(object value, str name) except? -1.0:
    """A loop time or delay in seconds: any real number but NaN (inf waits forever,
    -inf is due at once), as asyncio accepts them."""
    cdef double d
    if type(value) is float:
        d = PyFloat_AS_DOUBLE(value)
    elif value is None:
        raise TypeError(f"{name} must not be None" if name == "delay" else
                        "when cannot be None")
    else:
        d = as_real(value, name, "a real number")
    if isnan(d):
        check_constraint(d, name, NOT_NAN)      # raises, in the shared wording
    return d


cdef class WheelTimers:
    """The timers of one asyncio loop on a timing wheel (see the module doc)."""
    def __cinit__(self, loop, *, clock=None, time_fn=None, native_call_later=None):
        self.loop = loop
        self.vclock = clock
        self.time_fn = time_fn
        self.native_call_later = native_call_later
        self.armed_when = INFINITY
        self.debug = bool(loop.get_debug())
        self.debug_info = {}
        ready = getattr(loop, "_ready", None)       # asyncio's loops only
        self.ready_append = ready.append if ready is not None else None
        self.wheel = TimerWheel(1.0, self.now_s() * 1000.0)

    def __dealloc__(self):
        self._release_all()
        PyMem_Free(self.slots)
        tw_out_free(&self.batch)

    cdef double now_s(self) except? -1.0:
        if self.vclock is not None:
            return self.vclock._t / 1000.0
        if self.time_fn is not None:
            return self.time_fn()
        return _monotonic_s()

    def time(self):
        """The loop's time in seconds."""
        return self.now_s()

    # -- scheduling -------------------------------------------------------------------

    def call_at(self, when, callback, *args, context=None):
        """As asyncio's loop.call_at, on the wheel: O(1)."""
        cdef double w = _as_seconds(when, "when")
        if self.closed:
            raise RuntimeError("Event loop is closed")
        if self.debug:
            self._debug_checks(callback, "call_at")
        return self._schedule(w, callback, args, context)

    def call_later(self, delay, callback, *args, context=None):
        """As asyncio's loop.call_later, on the wheel: O(1)."""
        cdef double d = _as_seconds(delay, "delay")
        if self.closed:
            raise RuntimeError("Event loop is closed")
        if self.debug:
            self._debug_checks(callback, "call_later")
        return self._schedule(self.now_s() + d, callback, args, context)

    cdef _debug_checks(self, callback, str method):
        """The base loop's debug checks: asyncio's own methods; on uvloop and rloop (whose
        checks are not reachable from Python) the same thread check as uvloop's."""
        check_thread = getattr(self.loop, "_check_thread", None)
        if check_thread is not None:
            check_thread()
            self.loop._check_callback(callback, method)
        elif self.loop.is_running() and _get_running_loop() is not self.loop:
            raise RuntimeError("Non-thread-safe operation invoked on an event loop other "
                               "than the current one")

    def call_soon(self, callback, *args, context=None):
        """As asyncio's loop.call_soon (the asyncio I/O's loop): a Handle on the ready
        queue, made without a Python frame, a context copy or a garbage-collected object."""
        if self.closed:
            raise RuntimeError("Event loop is closed")
        if self.debug:
            self._debug_checks(callback, "call_soon")
        cdef Handle h = Handle.__new__(Handle)
        _fill(self, h, callback, args, context)
        self.ready_append(h)        # (the bound method: no attribute lookup a call)
        return h

    cdef TimerHandle _schedule(self, double when, callback, tuple args, context):
        cdef TimerHandle h = TimerHandle.__new__(TimerHandle)
        cdef int64_t hd
        cdef uint32_t slot
        _purge_if_due(self)
        h._when_s = when
        _fill(self, h, callback, args, context)
        hd = self.wheel.c_insert(when * 1000.0, 0)
        slot = <uint32_t>hd
        if slot >= self.nslots:
            self._grow_slots(slot)
        Py_INCREF(h)
        self.slots[slot] = <PyObject *>h
        if self.native_call_later is not None and when + NATIVE_SLACK_S < self.armed_when \
                and not self.in_fire:
            self._arm(when)
        return h

    cdef object _snapshot(self):
        """A context equal to the current one: the cached snapshot when nothing changed.
        Never the snapshot a callback is running in: what that callback sets is put back
        when it returns, and a timer it schedules must keep seeing it."""
        cdef object cache = self.ctx_cache
        if cache is not None and tc_ctx_entered(cache):
            cache = None
        elif cache is not None and tc_ctx_is_current(cache):
            return cache              # the same variables: no object made at all
        cdef object current = PyContext_CopyCurrent()
        if cache is not None and cache == current:
            return cache              # `current` goes straight back to the free list
        self.ctx_cache = current
        return current

    cdef int _grow_slots(self, uint32_t slot) except -1:
        cdef uint32_t n = <uint32_t>tc_grow_cap(self.nslots, <size_t>slot + 1, 64, 0x80000000)
        cdef uint32_t i
        cdef PyObject **p = <PyObject **>grow_array(self.slots, n, sizeof(PyObject *))
        for i in range(self.nslots, n):
            p[i] = NULL
        self.slots = p
        self.nslots = n
        return 0

    cdef int _purge(self) except -1:
        """Take the cancelled handles' entries out of the wheel (see _purge_if_due)."""
        cdef uint32_t i
        cdef PyObject *p
        for i in range(self.nslots):
            p = self.slots[i]
            if p != NULL and ((<TimerHandle>p)._state & STATE_MASK) == CANCELLED:
                # (a handle collected for run_due is not in the wheel: run_due skips it)
                if tw_cancel_slot(&self.wheel._w, i):
                    self.slots[i] = NULL
                    self.cancelled_in_wheel -= 1
                    Py_XDECREF(p)
        return 0

    # -- firing ---------------------------------------------------------------------------

    cdef Py_ssize_t collect_due(self, double now_s) except -1:
        """Take every timer with when <= now_s off the wheel, in (when, FIFO) order, to be
        run by run_due. Their wheel slots stay reserved (and `slots` keeps the handles)
        until run_due reaches them, so a cancel meanwhile only marks the handle."""
        cdef int64_t n
        cdef size_t start
        cdef double now_ms = now_s * 1000.0
        if now_ms < self.wheel._w.now:
            now_ms = self.wheel._w.now
        if self.due_pos == self.batch.len:
            self.due_pos = self.batch.len = 0
        _purge_if_due(self)
        start = self.batch.len
        with nogil:
            n = tw_advance(&self.wheel._w, now_ms, &self.batch, 0)
        if n < 0:                     # out of memory part-way: run what fired, keep the rest
            if self.batch.len == start:
                raise MemoryError()
            n = <int64_t>(self.batch.len - start)
        return n

    cdef int run_due(self) except -1:
        """Run the collected handles, skipping any cancelled meanwhile."""
        cdef int64_t hd
        cdef uint32_t slot
        cdef TimerHandle h
        cdef const int64_t *batch = self.batch.data
        while self.due_pos < self.batch.len:
            # Handles are spread over the heap: fetch the slot 32 ahead and the handle 16
            # ahead, so the misses overlap instead of stalling one by one.
            if self.due_pos + 32 < self.batch.len:
                prefetch(&self.slots[<uint32_t>batch[self.due_pos + 32]])
                prefetch(&self.wheel._w.slab[<uint32_t>batch[self.due_pos + 32]])
            if self.due_pos + 16 < self.batch.len:
                prefetch(self.slots[<uint32_t>batch[self.due_pos + 16]])
            hd = batch[self.due_pos]
            self.due_pos += 1
            slot = <uint32_t>hd
            h = <TimerHandle>self.slots[slot]
            self.slots[slot] = NULL
            Py_DECREF(h)                        # `h` holds it now
            tw_release(&self.wheel._w, hd)
            if (h._state & STATE_MASK) == CANCELLED:
                self.cancelled_in_wheel -= 1
                continue
            h._state = (h._state & ~STATE_MASK) | DONE
            if self.debug:
                if _run_debug(self.loop, h):
                    self.slow_warned = True
            else:
                _invoke(h)
        self.due_pos = self.batch.len = 0
        return 0

    def wheel_entries(self):
        """Entries in the wheel: the pending timers plus the cancelled ones not yet purged."""
        return self.wheel._w.len

    def __len__(self):
        """Pending timers (cancelled ones not counted)."""
        return <Py_ssize_t>self.wheel._w.len - self.cancelled_in_wheel

    # -- driven by a foreign loop's native timer ---------------------------------------------

    cdef int _arm(self, double when) except -1:
        """Arm the native timer for `when`, rounded up to whole milliseconds (uvloop's
        clock has millisecond steps): it may fire late, never early. `armed_when` is when
        it fires; a later timer due less than NATIVE_SLACK_S before that does not re-arm
        it (the loops' own timers are no finer than that)."""
        cdef double now = self.now_s()
        cdef double delay = when - now
        if self.native_handle is not None:
            self.native_handle.cancel()
            self.native_handle = None
        if when == INFINITY:
            self.armed_when = INFINITY
            return 0
        delay = 0.0 if delay <= 0 else ceil(delay * 1000.0) / 1000.0
        if delay > MAXIMUM_SELECT_TIMEOUT:
            delay = MAXIMUM_SELECT_TIMEOUT       # wake up, find nothing due, re-arm
        self.native_handle = self.native_call_later(self.loop, delay, self._fire)
        self.armed_when = now + delay
        return 0

    def _fire(self):
        """The native timer's callback: run what is due, arm for the next."""
        cdef double nxt
        self.native_handle = None
        self.armed_when = INFINITY
        self.in_fire = True
        self.slow_warned = False
        try:
            self.collect_due(self.now_s())
            self.run_due()
            if self.slow_warned:
                _mute_outer_slow_warning(self.loop)
        finally:
            self.in_fire = False
            if not self.closed:
                if self.due_pos < self.batch.len:
                    self._arm(-INFINITY)         # a callback raised: the rest run next
                elif tw_next_expiry(&self.wheel._w, &nxt):
                    self._arm(nxt / 1000.0)

    # -- closing ----------------------------------------------------------------------------

    def close(self):
        """Cancel every pending timer and let go of the loop (no cycle outlives it)."""
        if self.closed:
            return
        self.closed = True
        if self.native_handle is not None:
            self.native_handle.cancel()
        self._release_all()
        self.wheel = TimerWheel(1.0, self.wheel._w.now)
        self.loop = self.time_fn = self.native_call_later = self.native_handle = None
        self.ready_append = None
        self.ctx_cache = None

    cdef void _release_all(self) noexcept:
        cdef uint32_t i
        cdef PyObject *p
        for i in range(self.nslots):
            p = self.slots[i]
            if p != NULL:
                self.slots[i] = NULL
                (<TimerHandle>p)._state = CANCELLED
                _drop(<TimerHandle>p)
                Py_XDECREF(p)
        self.due_pos = self.batch.len = 0
        self.cancelled_in_wheel = 0


def selector_run_once(loop):
    """One iteration of asyncio's selector loop (BaseEventLoop._run_once), with the wheel
    in place of the heap. Due timers run after the handles ready before them, as asyncio
    appends them to its ready queue; callbacks scheduled meanwhile wait for the next
    iteration."""
    cdef WheelTimers t = loop._wheel_timers
    cdef double nxt, now
    ready = loop._ready
    timeout = None
    if ready or loop._stopping or t.due_pos < t.batch.len:
        timeout = 0
    elif tw_next_expiry(&t.wheel._w, &nxt) and nxt != INFINITY:
        now = t.now_s()
        nxt /= 1000.0
        timeout = min(max(0.0, nxt - now), MAXIMUM_SELECT_TIMEOUT)
        if t.vclock is not None and timeout > 0:
            # Virtual time: poll I/O; if nothing is ready, time jumps to the timer.
            events = loop._selector.select(0)
            if events:
                loop._process_events(events)
            else:
                t.vclock.jump_to(nxt * 1000.0)
            timeout = 0
    events = loop._selector.select(timeout)
    loop._process_events(events)
    events = None
    t.collect_due(t.now_s())
    ntodo = len(ready)
    popleft = ready.popleft
    for _ in range(ntodo):
        handle = popleft()
        if type(handle) is Handle:                # call_soon's own: no attribute lookups
            if ((<Handle>handle)._state & STATE_MASK) == CANCELLED:
                continue
            if not t.debug:
                _invoke(<Handle>handle)
                continue
        elif handle._cancelled:
            continue
        if t.debug:
            _run_debug(loop, handle)
        else:
            handle._run()
    handle = None
    t.run_due()


cdef bint _run_debug(loop, handle) except -1:
    """asyncio's debug-mode run: the current handle, the slow-callback warning in
    asyncio's words (a task's step is named by its task). True if it warned."""
    callback = handle._callback       # (timercore's handles drop it when they have run)
    try:
        loop._current_handle = handle
        t0 = loop.time()
        handle._run()
        dt = loop.time() - t0
        if dt >= loop.slow_callback_duration:
            _asyncio_logger.warning("Executing %s took %.3f seconds",
                                    _format_handle(handle, callback), dt)
            return True
    finally:
        loop._current_handle = None
    return False


cdef str _format_handle(handle, callback):
    """As asyncio names a handle in its slow-callback warning."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, _Task):
        return repr(owner)
    return str(handle)


cdef int _mute_outer_slow_warning(loop) except -1:
    """uvloop times each native timer's callback in debug mode, so after a slow timer it
    would warn a second time, about _fire. The one warning, naming the timer, is ours:
    uvloop's threshold is lifted until its own check of _fire is done (a call_soon runs
    after the timers of the iteration)."""
    threshold = loop.slow_callback_duration
    loop.slow_callback_duration = INFINITY
    loop.call_soon(_set_slow_callback_duration, loop, threshold)
    return 0


def _set_slow_callback_duration(loop, seconds):
    loop.slow_callback_duration = seconds
