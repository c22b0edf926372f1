# TimerWheel: the Python face of the C hierarchical timing wheel (wheel.c).


LatenessStats = namedtuple("LatenessStats", "count p50 p99 max mean")
LatenessStats.__doc__ = """How late timers fired (ms after their deadline): count, the 50th and
99th percentiles (within ~6 %: a log-linear histogram), the exact maximum and mean."""

WheelSnapshot = namedtuple("WheelSnapshot", "handles deadlines ordering_ids")
WheelSnapshot.__doc__ = """Every pending timer, in firing order: int64 handles, float64
deadlines (ms), uint16 ordering ids — three numpy arrays, no Python object per timer."""


cdef object lateness_stats(const tc_lat *h):
    if h == NULL or h.count == 0:
        return LatenessStats(0, 0.0, 0.0, 0.0, 0.0)
    return LatenessStats(h.count, tc_lat_quantile(h, 0.5), tc_lat_quantile(h, 0.99),
                         h.max_ms, h.sum_ms / h.count)


cdef inline int _as_ordering(object ordering_id) except -1:
    cdef object o = (ordering_id if type(ordering_id) is int
                     else as_index(ordering_id, "ordering_id"))
    if not 0 <= o <= TW_MAX_ORDERING:
        raise ValueError(f"ordering_id must be in 0..{TW_MAX_ORDERING}, got {o}")
    return <int>o


cdef class TimerWheel:
    """A hierarchical timing wheel of pending deadlines (milliseconds, float).

    Six levels of 64 slots over ticks of ``resolution_ms``; deadlines beyond the top
    level's range (2**36 ticks) wait on an overflow list, so none is dropped.

    Guarantees: ``advance(now)`` returns every timer whose exact deadline is <= now and
    none later, in (deadline, insertion order) order; a handle names one timer only,
    never a later one in the same slot. Insert, cancel and reschedule are O(1); firing is
    amortised O(1) per timer plus the sort of equal-tick batches. Each pending timer
    costs 32 bytes of C memory and no Python object.
    """

    def __cinit__(self, resolution_ms=1.0, start_ms=0.0, *, max_timers=0, lateness=True):
        cdef double res = as_ms(resolution_ms, "resolution_ms", POSITIVE)
        cdef double start = as_ms(start_ms, "start_ms")
        max_timers = as_count(max_timers, "max_timers")
        if tw_init(&self._w, res, start) < 0:
            raise MemoryError()
        self._w.max_timers = max_timers
        self._w.track_lateness = bool(lateness)

    def __dealloc__(self):
        tw_free(&self._w)
        tw_out_free(&self._out)

    # -- scalar ------------------------------------------------------------------------

    # -- the C API (declared in core/wheel.pxd) ------------------------------------------

    cdef int64_t c_insert(self, double deadline_ms, int ordering_id) except -1:
        cdef int64_t h = tw_insert(&self._w, deadline_ms, <uint16_t>ordering_id)
        if h == -2:
            raise OverflowError(f"max_timers={self._w.max_timers} reached: the wheel holds "
                                f"{self._w.len} pending timers")
        if h < 0:
            raise MemoryError()
        return h

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def insert(self, deadline_ms, ordering_id=0):
        """Add a timer due at ``deadline_ms``; return its handle (int > 0). O(1).

        A deadline in the past is legal and fires at the next ``advance``.
        Raises ``TypeError``/``ValueError`` for a non-number or non-finite deadline or
        an ordering_id outside 0..65535; ``OverflowError`` at ``max_timers``.
        """
        cdef double d = as_ms(deadline_ms, "deadline_ms")
        return self.c_insert(d, 0 if ordering_id is 0 else _as_ordering(ordering_id))

    @cython.binding(False)                    # a plain method descriptor, called as
    @cython.always_allow_keywords(False)      # METH_O: the cheapest call
    def cancel(self, handle):
        """Cancel a pending timer. True if it was pending; False for a stale, unknown,
        fired or already-cancelled handle. O(1). ``TypeError`` for a non-integer."""
        return tw_cancel(&self._w, as_key(handle, "handle", WHEEL_HANDLE)) != 0

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def reschedule(self, handle, deadline_ms):
        """Move a pending timer to a new deadline, keeping its handle; it then orders
        after timers already pending at that deadline. O(1). False if not pending."""
        cdef int64_t h = as_key(handle, "handle", WHEEL_HANDLE)
        cdef int rc = tw_reschedule(&self._w, h, as_ms(deadline_ms, "deadline_ms"))
        if rc < 0:
            raise MemoryError()
        return rc != 0

    def deadline(self, handle):
        """The deadline (ms) of a pending timer; ``KeyError`` if the handle is stale."""
        cdef double d
        if not tw_lookup(&self._w, as_key(handle, "handle", WHEEL_HANDLE), &d):
            raise KeyError(handle)
        return d

    def next_expiry(self):
        """The earliest pending deadline (ms), or None when empty. O(1) when cached;
        otherwise a scan of the first occupied slot."""
        cdef double d
        if tw_next_expiry(&self._w, &d):
            return d
        return None

    cdef bint c_cancel(self, int64_t handle) noexcept:
        return tw_cancel(&self._w, handle) != 0

    cdef int c_reschedule(self, int64_t handle, double deadline_ms) except -1:
        cdef int rc = tw_reschedule(&self._w, handle, deadline_ms)
        if rc < 0:
            raise MemoryError()
        return rc

    cdef bint c_next_expiry(self, double *deadline_ms) noexcept:
        return tw_next_expiry(&self._w, deadline_ms)

    cdef const int64_t *c_fired(self) noexcept:
        return self._out.data

    cdef int64_t c_advance(self, double now_ms, bint release=True) except -1:
        """Fire into self._out (cleared first); returns the count."""
        cdef int64_t n
        self._out.len = 0
        with nogil:
            n = tw_advance(&self._w, now_ms, &self._out, release)
        if n < 0:
            # Out of memory part-way: what fired is in _out and is returned (no timer is
            # lost); the rest stays pending for the next advance. Nothing fired: raise.
            if self._out.len == 0:
                raise MemoryError()
            n = self._out.len
        return n

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def advance(self, now_ms):
        """Move time to ``now_ms`` and return the handles of every timer whose deadline
        is <= now_ms, in (deadline, insertion) order, as an int64 array.

        ``ValueError`` if now_ms is before ``now`` or not finite.
        """
        cdef double now = as_ms(now_ms, "now_ms")
        if now < self._w.now:
            raise ValueError(f"now_ms={now!r} is before the wheel's now={self._w.now!r}")
        cdef Py_ssize_t n = self.c_advance(now, True)
        cdef cnp.npy_intp dims = n
        cdef cnp.ndarray out = cnp.PyArray_SimpleNew(1, &dims, cnp.NPY_INT64)
        if n:
            memcpy(cnp.PyArray_DATA(out), self._out.data, n * sizeof(int64_t))
        if self._out.cap > 65536 and <size_t>n < self._out.cap // 4:
            tw_out_free(&self._out)   # don't keep a huge buffer after one big batch
        return out

    # -- bulk --------------------------------------------------------------------------

    def insert_many(self, deadlines, ordering_ids=None):
        """Insert many timers; returns their handles (int64 array) in input order.

        ``deadlines`` is converted to float64; all are checked before any is inserted,
        so bad input leaves the wheel unchanged. The GIL is released while inserting.
        """
        cdef cnp.ndarray[cnp.float64_t, ndim=1] d_arr = as_array(
            deadlines, np.float64, "deadlines", "biuf")
        cdef Py_ssize_t n = d_arr.shape[0]
        if n and not np.isfinite(d_arr).all():
            raise ValueError("deadlines must all be finite")
        cdef cnp.ndarray o_arr = None
        if ordering_ids is not None:
            o_arr = as_array(ordering_ids, np.int64, "ordering_ids", "biu")
            if o_arr.shape[0] != n:
                raise ValueError(f"ordering_ids has {o_arr.shape[0]} items, deadlines {n}")
            if n and (o_arr.min() < 0 or o_arr.max() > TW_MAX_ORDERING):
                raise ValueError(f"ordering_ids must be in 0..{TW_MAX_ORDERING}")
        if self._w.max_timers and self._w.len + n > self._w.max_timers:
            raise OverflowError(f"the wheel holds max_timers={self._w.max_timers} timers")
        if n > 0x7FFFFFFF or tw_reserve(&self._w, <uint32_t>n) < 0:
            raise MemoryError()
        if o_arr is not None and n and tw_reserve_ordering(&self._w, <uint16_t>o_arr.max()) < 0:
            raise MemoryError()
        cdef cnp.ndarray[cnp.int64_t, ndim=1] out = np.empty(n, dtype=np.int64)
        cdef const double[::1] dv = d_arr
        cdef const int64_t[::1] ov
        cdef int64_t[::1] hv = out
        cdef const int64_t *orderings = NULL
        cdef int rc = 0
        if n == 0:
            return out
        if o_arr is not None:
            ov = o_arr
            orderings = &ov[0]
        with nogil:
            rc = tw_insert_many(&self._w, &dv[0], orderings, <size_t>n, &hv[0])
        if rc < 0:            # all or nothing
            raise MemoryError()
        return out

    def cancel_many(self, handles):
        """Cancel many handles; returns how many were pending. GIL released."""
        cdef cnp.ndarray h_arr = as_array(handles, np.int64, "handles", "iu")
        cdef const int64_t[::1] hv = h_arr
        cdef Py_ssize_t i, n = hv.shape[0]
        cdef int64_t cancelled = 0
        with nogil:
            for i in range(n):
                cancelled += tw_cancel(&self._w, hv[i])
        return cancelled

    # -- introspection -----------------------------------------------------------------

    def __len__(self):
        return self._w.len

    def __contains__(self, handle):
        return tw_contains(&self._w, as_key(handle, "handle", WHEEL_HANDLE)) != 0

    @property
    def now(self):
        """The last time passed to ``advance`` (ms), initially ``start_ms``."""
        return self._w.now

    @property
    def resolution_ms(self):
        return self._w.resolution

    @property
    def max_timers(self):
        return self._w.max_timers

    def count(self, ordering_id=0):
        """Pending timers with this ordering id. O(1)."""
        return tw_count(&self._w, <uint16_t>_as_ordering(ordering_id))

    cdef tuple _snapshot(self):
        """(handles, deadlines, seqs, orderings) of every pending timer, in slab order."""
        cdef Py_ssize_t n = self._w.len
        cdef cnp.ndarray handles = np.empty(n, dtype=np.int64)
        cdef cnp.ndarray deadlines = np.empty(n, dtype=np.float64)
        cdef cnp.ndarray seqs = np.empty(n, dtype=np.uint64)
        cdef cnp.ndarray orderings = np.empty(n, dtype=np.uint16)
        with nogil:
            tw_snapshot(&self._w, <int64_t *>cnp.PyArray_DATA(handles),
                        <double *>cnp.PyArray_DATA(deadlines),
                        <uint64_t *>cnp.PyArray_DATA(seqs),
                        <uint16_t *>cnp.PyArray_DATA(orderings))
        return handles, deadlines, seqs, orderings

    def snapshot(self):
        """Every pending timer as a WheelSnapshot of numpy arrays (handles, deadlines,
        ordering_ids), in firing order: (deadline, insertion). Read straight from the C
        slab: a million timers cost three arrays, not a million objects."""
        handles, deadlines, seqs, orderings = self._snapshot()
        order = np.lexsort((seqs, deadlines))
        return WheelSnapshot(handles[order], deadlines[order], orderings[order])

    def lateness(self, ordering_id=0):
        """LatenessStats of the timers with this ordering id fired since the last reset:
        lateness = the ``now_ms`` passed to ``advance`` minus the timer's deadline.
        Zeros if ``lateness=False`` was passed to the constructor."""
        return lateness_stats(tc_lat_get(&self._w.lateness, <uint16_t>_as_ordering(ordering_id)))

    def reset_lateness(self):
        """Forget the lateness recorded so far (every ordering id)."""
        tc_lat_reset(&self._w.lateness)

    def _check(self):
        """Walk the slab and levels and assert every invariant (tests, debugging)."""
        cdef int rc = tw_check(&self._w)
        if rc:
            raise AssertionError(f"timing wheel invariant {rc} violated")

    def _slot_of(self, handle):
        """Slab index of a pending handle, or -1 (tests)."""
        return tw_slot_of(&self._w, as_key(handle, "handle", WHEEL_HANDLE))

    def _set_generation(self, slot, gen):
        """Set a slab slot's generation (tests: reach the wrap without 2**31 reuses)."""
        if tw_debug_set_gen(&self._w, slot, gen) < 0:
            raise ValueError(f"cannot set slot {slot} to generation {gen}")

    def __repr__(self):
        return (f"<TimerWheel pending={self._w.len} now={self._w.now!r} "
                f"resolution_ms={self._w.resolution!r}>")
