# ScopeCore, the last link of the scope's chain (core/scope_state -> microtasks -> timers
# -> node_timers -> idle -> event_loop -> here): construction, and what tests and tools
# read: counts, snapshots, lateness, invariants (the façade's timercore/introspection.py
# builds on these); declared in core/introspection.pxd.


cdef class ScopeCore(EventLoop):
    """Timers, microtasks, idle callbacks and the event loop of one global scope."""

    def __init__(self, *, clock=None, resolution_ms=1.0, string_handlers=True, namespace=None,
                 max_timers=0):
        self._init_clock(clock)
        self._init_timers(resolution_ms, max_timers, string_handlers, namespace)

    # -- introspection -------------------------------------------------------------------

    def _ordering_names(self):
        """Ordering identifiers, indexed by their wheel ordering id."""
        return tuple(self._orderings)

    def timer_counts(self):
        """Pending timers per ordering identifier (timers whose task has not started)."""
        return {name: tw_count(&self._wheel._w, <uint16_t>o) for name, o in self._orderings.items()}

    def _snapshot_arrays(self):
        """(ids, deadlines, ordering_ids) of the pending timers in firing order, from C;
        ids are 0 for run-steps entries (their keys are not numbers)."""
        cdef cnp.ndarray handles, deadlines, seqs, orderings
        handles, deadlines, seqs, orderings = self._wheel._snapshot()
        cdef Py_ssize_t i, n = handles.shape[0]
        cdef cnp.ndarray ids = np.empty(n, dtype=np.int64)
        cdef int64_t *h = <int64_t *>cnp.PyArray_DATA(handles)
        cdef int64_t *out = <int64_t *>cnp.PyArray_DATA(ids)
        with nogil:
            for i in range(n):
                out[i] = self._slots[<uint32_t>h[i]].id
        order = np.lexsort((seqs, deadlines))
        # (active -> clock time for a whole array: what _to_clock does for one)
        return ids[order], deadlines[order] + ScopeState._to_clock(self, 0.0), orderings[order]

    def _lateness_of(self, str ordering_identifier):
        cdef const tc_lat *h = NULL
        o = self._orderings.get(ordering_identifier)
        if o is not None:
            h = tc_lat_get(&self._lateness, <uint16_t>o)
        return lateness_stats(h)

    def reset_lateness_stats(self):
        """Forget the lateness recorded so far."""
        tc_lat_reset(&self._lateness)

    def _check(self):
        """Assert the scope's invariants (tests): the wheel's, and that every id in the
        map names a live slot holding that id, with the unref'd count in step."""
        cdef uint32_t pos = 0
        cdef int32_t key, slot
        cdef Py_ssize_t unrefd = 0
        self._wheel._check()
        while tc_idmap_next(&self._ids, &pos, &key, &slot):
            if slot < 0 or <uint32_t>slot >= self._cap or self._slots[slot].id != key \
                    or not self._slots[slot].flags & F_LIVE:
                raise AssertionError(f"map of active timers: id {key} -> bad slot {slot}")
            if self._slots[slot].flags & F_UNREF:
                unrefd += 1
        for k, slot in self._run_keys.items():
            if not self._slots[slot].flags & F_RUNSTEPS or self._objs[2 * slot + 1] is not k:
                raise AssertionError(f"map of active timers: key {k!r} -> bad slot {slot}")
            if self._slots[slot].flags & F_UNREF:
                unrefd += 1
        if unrefd != self._unrefd:
            raise AssertionError(f"unref'd count {self._unrefd}, found {unrefd}")

    def _set_next_id(self, int32_t id):
        """Tests: the id counter's next candidate (to reach the 2**31 - 1 wrap)."""
        if not 0 < id <= ID_MAX:
            raise ValueError(f"id must be in 1..{ID_MAX}")
        self._next_id = id
        self._ids_reused = True


def _fail_allocation_after(long long k):
    """Tests: make the k-th next allocation of the C core (wheel, id map, lateness)
    fail (-1: stop injecting). One switch: the process has one copy of the core."""
    global tc_fail_countdown
    tc_fail_countdown = k
