# ScopeCore, the core's third and last level (ScopeState -> Timers -> ScopeCore; declared
# in core/scope_core.pxd): one global scope's timers, microtasks and tasks (inherited),
# its idle callbacks (a composed part, core/idle.pyx), and its event loop. One turn:
#
#     microtask checkpoint -> staged batches (schedule_threadsafe) -> queued tasks (the
#     idle-task source, ...) -> due timers, one task each with a checkpoint after each
#     (a VirtualClock jumps from expiry to expiry up to the horizon while nothing else
#     is queued) -> nothing ran: an idle period, if idle callbacks wait
#
# then _next_turn_at() says when the next turn is due. GlobalScope.run() (and the
# virtual-time helpers) wait for that time by sleeping or jumping the clock; the asyncio
# host arms one call_at for it. Below the loop: what tests and tools read (counts,
# snapshots, lateness, invariants; the façade's timercore/introspection.py builds on them).


class TaskLimitReached(Exception):
    """Internal: the task limit set by run_all() was reached (becomes LoopLimitError)."""


cdef class ScopeCore(Timers):
    """Timers, microtasks, idle callbacks and the event loop of one global scope."""

    def __cinit__(self, *args, **kwargs):
        self._task_limit = -1
        self._idle = IdleCallbacks(self)

    def __init__(self, *, clock=None, resolution_ms=1.0, string_handlers=True, namespace=None,
                 max_timers=0):
        self._init_clock(clock)
        self._init_timers(resolution_ms, max_timers, string_handlers, namespace)

    def __dealloc__(self):
        tw_out_free(&self._batch)

    def _turn(self, double horizon=-INFINITY, bint may_idle=True):
        """One turn (see above); ``horizon`` (clock time) bounds a VirtualClock's jumps;
        ``may_idle``: whether an idle period may start if nothing ran. True if anything
        ran or became runnable."""
        cdef Py_ssize_t ran
        self._checkpoint()
        self._merge_staged()
        ran = self._run_queued_tasks()
        # Jump from timer to timer inside the core only when no idle period could come
        # between them.
        ran += self._run_due_timers(-INFINITY if not self._virtual or self._idle._has_work()
                                    else horizon)
        if ran or self._has_tasks():
            return True
        return may_idle and self._idle._start_period()

    def _next_turn_at(self, bint did_work, double idle_retry_ms=INFINITY):
        """When the next turn is due, on the scope's clock: -inf (now: a task or microtask
        is runnable, or idle callbacks wait and the work just done may have let an idle
        period start); the earliest timer expiry or end of the last idle period; or None,
        if nothing will become runnable by itself. ``idle_retry_ms``: an idle period could
        start now but the turn could not start it (the asyncio host's loop was busy):
        look again that much later."""
        cdef double t, idle, now
        cdef bint has_timer
        if self._has_tasks() or self._microtasks or (did_work and self._idle._has_work()):
            return -INFINITY
        if self._suspended:
            return None
        has_timer = self._next_expiry(&t)
        if has_timer:
            t = ScopeState._to_clock(self, t)
        if self._idle._has_work():
            idle = self._idle._blocked_until()
            now = self._clock.now_ms()
            if idle <= now:
                idle = now + idle_retry_ms
            if idle != INFINITY and (not has_timer or idle < t):
                return idle
        return t if has_timer else None

    def _next_active_expiry(self):
        """The smallest value in the map of active timers (clock time) that will ever
        come due, or None. Timers the wheel has fired whose tasks have not run yet (a
        batch cut short by run_all's loop limit) are due now."""
        cdef double d
        if self._batch_pos < self._batch.len and not self._suspended:
            return self._clock.now_ms()
        if not self._next_expiry(&d):
            return None
        return ScopeState._to_clock(self, d)

    def _waits(self):
        """Does run() wait for anything: a timer that is not unref'd, an idle callback,
        a task? (False when only unref'd timers are left.)"""
        return self._has_ref_timers() or self._idle._has_work() or self._has_tasks()

    def _merge_staged(self):
        """The top of a turn: the façade merges batches staged by other threads."""

    cdef inline bint _has_tasks(self):
        """Whether a task is runnable (none is while suspended: not fully active)."""
        return not self._suspended and (bool(self._tasks) or self._batch_pos < self._batch.len)

    cdef Py_ssize_t _run_due_timers(self, double jump_until) except -1:
        """Run every timer due now, in order, one task each, with a microtask checkpoint
        after each. On a VirtualClock, also jump from expiry to expiry up to
        ``jump_until`` (clock time) while no other task is queued. Returns the count."""
        cdef Py_ssize_t count = self._run_batch()
        cdef double now, nxt, limit = ScopeState._to_active(self, jump_until)
        cdef int64_t fired
        while not self._closed and not self._suspended:
            now = ScopeState._now(self)
            if now < self._wheel._w.now:
                now = self._wheel._w.now      # a foreign clock went back: time stands still
            if not self._next_expiry(&nxt):
                break
            if nxt > now:
                if not self._virtual or nxt > limit or self._tasks or self._idle._has_work():
                    break         # (an idle period may start before that timer)
                if limit == INFINITY and self._only_unrefd():
                    break     # run(): nothing left that it waits for
                self._clock.jump_to(ScopeState._to_clock(self, nxt))
                now = nxt
            self._batch.len = self._batch_pos = self._batch_marked = 0
            with nogil:
                fired = tw_advance(&self._wheel._w, now, &self._batch, 0)
            if fired < 0 and self._batch.len == 0:
                raise MemoryError()       # nothing fired, nothing lost: the next turn retries
            count += self._run_batch()
        return count

    cdef inline void _prefetch_tasks(self, size_t pos) noexcept:
        """Start loading what the task eight places ahead will touch (they fired in
        deadline order: their slots are anywhere in memory): its slot record, wheel entry
        and handler pointers."""
        cdef uint32_t s
        if pos + 8 < self._batch.len:
            s = <uint32_t>self._batch.data[pos + 8]
            prefetch(&self._slots[s])
            prefetch(&self._wheel._w.slab[s])
            prefetch_list_item(self._objs, 2 * s)

    cdef Py_ssize_t _run_batch(self) except -1:
        cdef Py_ssize_t n = 0
        while self._batch_pos < self._batch.len and not self._closed and not self._suspended:
            self._prefetch_tasks(self._batch_pos)
            if self.timer_tasks_run == self._task_limit:
                raise TaskLimitReached()   # before the task: the rest stay for next time
            self._batch_pos += 1       # first: an exception leaves the rest for next time
            self.timer_tasks_run += 1
            self._run_timer_task(self._batch.data[self._batch_pos - 1])
            n += 1
        return n

    def _set_task_limit(self, long long limit):
        """run_all: raise TaskLimitReached once timer_tasks_run reaches ``limit`` (-1: off)."""
        self._task_limit = limit

    def _enter_loop(self):
        ScopeState._check_open(self)
        if self._running:
            raise RuntimeError("this scope's loop is already running: run() cannot be called "
                               "from inside one of its tasks")
        self._running = True

    def _exit_loop(self):
        self._running = False

    def close(self):
        """Close the scope: the queues, the timers (the map of active timers, with the idle
        callbacks' timeouts), the idle callbacks, the fired batch. Each level and part
        clears its own state, called here by name."""
        Timers.close(self)
        self._idle._close()
        self._batch.len = self._batch_pos = self._batch_marked = 0

    # -- W3C requestIdleCallback (the steps: the _idle part, core/idle.pyx) --------------

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def requestIdleCallback(self, callback, options=None, *, timeout=None):
        """W3C requestIdleCallback: queue ``callback(deadline)`` for the next idle period;
        returns its handle (1, 2, ... for the scope's lifetime). ``options`` may be
        ``{"timeout": ms}`` or an object with a ``timeout`` attribute; a positive timeout
        runs the callback with ``didTimeout=True`` if no idle period came first."""
        return self._idle._request(callback, options, timeout)

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def cancelIdleCallback(self, handle):
        """Remove the callback from both lists (unknown handles are ignored), and drop its
        timeout so that a dead entry stops bounding idle deadlines."""
        self._idle._cancel(handle)

    def request_idle_callback(self, callback, options=None, *, timeout=None):
        return self._idle._request(callback, options, timeout)

    cancel_idle_callback = cancelIdleCallback

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

    def _table(self):
        """(slots in the table, live ids away from their home slot): tests."""
        return self._cap, self._displaced.len

    def _check(self):
        """Assert the scope's invariants (tests): the wheel's; that every live id is found
        where it is (at its home slot, or listed as displaced), with the counts in step."""
        cdef uint32_t s, pos = 0
        cdef int32_t key, slot
        cdef Py_ssize_t unrefd = 0, ids = 0
        self._wheel._check()
        for s in range(self._cap):
            if self._slots[s].flags & (F_LIVE | F_RUNSTEPS) == F_LIVE:
                key = self._slots[s].id
                ids += 1
                if Timers._id_slot(self, key) != <int32_t>s:
                    raise AssertionError(f"map of active timers: id {key} at slot {s} "
                                         "not found there")
                if self._slots[s].flags & F_UNREF:
                    unrefd += 1
        if ids != self._id_count:
            raise AssertionError(f"id count {self._id_count}, found {ids}")
        while tc_idmap_next(&self._displaced, &pos, &key, &slot):
            if slot < 0 or <uint32_t>slot >= self._cap or self._slots[slot].id != key \
                    or not self._slots[slot].flags & F_LIVE \
                    or <uint32_t>slot == Timers._home(self, key):
                raise AssertionError(f"displaced ids: {key} -> bad slot {slot}")
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
