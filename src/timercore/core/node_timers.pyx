# Node-style timer extensions (documented as such: not in the HTML Standard): refresh,
# refresh_many, unref / ref / has_ref; NodeTimers, declared in core/node_timers.pxd.


cdef class NodeTimers(Timers):
    """Node's timeout.refresh() / unref() / ref() / hasRef(), keyed by timer id."""

    cdef int32_t _live_slot(self, object id) except -2:
        """The slot of a live numeric timer id, or -1 (any other value names no timer)."""
        cdef int overflow = 0
        cdef long long key
        ScopeState._check_thread(self)
        if type(id) is not int:
            try:
                if isinstance(id, bool):
                    raise TypeError
                id = _operator_index(id)
            except TypeError:
                raise TypeError(f"id must be a timer id (int), not {type(id).__name__}") from None
        key = PyLong_AsLongLongAndOverflow(id, &overflow)
        if overflow or not 0 < key <= ID_MAX:
            return -1
        return tc_idmap_get(&self._ids, <int32_t>key)

    @cython.binding(False)                    # a plain method descriptor, called as
    @cython.always_allow_keywords(False)      # METH_O: the cheapest call (one per packet)
    def refresh(self, id):
        """Re-arm a pending timer with its own timeout, counted from now; it keeps its id
        and orders after the timers already due at its new time (as if set now). O(1):
        the idle-timeout pattern, one call per packet. Returns True if re-armed; False if
        ``id`` names no pending timer (cleared, or fired and not an interval, or its task
        is running now: an interval then re-arms itself when the task ends)."""
        cdef int32_t slot = self._live_slot(id)
        cdef double deadline
        cdef int rc
        if slot < 0:                 # (a closed scope's map is empty: no open check needed)
            return False
        deadline = ScopeState._now(self) + self._slots[slot].timeout
        rc = tw_reschedule(&self._wheel._w, tw_slot_handle(&self._wheel._w, slot), deadline)
        if rc < 0:
            raise MemoryError()
        if rc:
            ScopeState._wake_before(self, deadline)
        return rc != 0

    def refresh_many(self, ids):
        """``refresh`` for many ids at once (a 1-d array or sequence of ints): the loop
        runs in C, no Python call per id. Returns how many were re-armed; ids that name
        no pending timer are skipped, as ``refresh`` would return False for them."""
        cdef cnp.ndarray arr
        cdef const int64_t[::1] v
        cdef Py_ssize_t i, n
        cdef int64_t key
        cdef int32_t slot
        cdef int rc
        cdef long long done = 0
        cdef double now, deadline, earliest = INFINITY
        ScopeState._check_thread(self)
        try:
            arr = np.asarray(ids)
        except (TypeError, ValueError, OverflowError) as exc:
            raise TypeError(f"ids must be a 1-d array of timer ids: {exc}") from None
        if arr.ndim != 1 or (arr.shape[0] and arr.dtype.kind not in "iu"):
            raise TypeError(f"ids must be a 1-d array of integers, not {arr.dtype} "
                            f"with {arr.ndim} dimensions")
        v = np.ascontiguousarray(arr, dtype=np.int64)
        n = v.shape[0]
        now = ScopeState._now(self)
        for i in range(n):
            key = v[i]
            if not 0 < key <= ID_MAX:
                continue
            slot = tc_idmap_get(&self._ids, <int32_t>key)
            if slot < 0:
                continue
            deadline = now + self._slots[slot].timeout
            rc = tw_reschedule(&self._wheel._w, tw_slot_handle(&self._wheel._w, slot), deadline)
            if rc < 0:
                raise MemoryError()     # the ids before this one are re-armed
            if rc:
                done += 1
                if deadline < earliest:
                    earliest = deadline
        ScopeState._wake_before(self, earliest)
        return done

    def unref(self, id):
        """Let ``run()`` (and ``run_async()``) return while this timer is still pending:
        it fires only if the loop runs for other reasons. True if ``id`` is a live timer."""
        cdef int32_t slot = self._live_slot(id)
        if slot < 0:
            return False
        if not self._slots[slot].flags & F_UNREF:
            self._slots[slot].flags |= F_UNREF
            self._unrefd += 1
        return True

    def ref(self, id):
        """Undo ``unref(id)``: ``run()`` waits for this timer again. True if live."""
        cdef int32_t slot = self._live_slot(id)
        if slot < 0:
            return False
        if self._slots[slot].flags & F_UNREF:
            self._slots[slot].flags &= ~F_UNREF
            self._unrefd -= 1
        return True

    def has_ref(self, id):
        """True if ``id`` is a live timer that ``run()`` waits for."""
        cdef int32_t slot = self._live_slot(id)
        return slot >= 0 and not self._slots[slot].flags & F_UNREF

    cdef inline bint _only_unrefd(self):
        """Every entry of the map of active timers is unref'd (and there is one)."""
        return self._unrefd > 0 and not self._has_ref_timers()

    cdef inline bint _has_ref_timers(self):
        """Does run() wait for the active timers? (False when all are unref'd.)"""
        return self._ids.len + len(self._run_keys) > self._unrefd

    def _waits_for_timers(self):
        return self._has_ref_timers()
