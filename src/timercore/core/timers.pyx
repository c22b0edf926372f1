# HTML §8.6 timers: the timer initialization steps and the task they queue, clearTimeout,
# the map of active timers (numeric ids at their home slot, other keys in a dict), "run steps
# after a timeout", and Node's extensions of the same timers (refresh, unref/ref: not in
# the HTML Standard, documented as such); Timers, declared in core/timers.pxd. Spec step
# numbers run through the code and the test names (tests/test_8_6_timers.py).

TIMER_ORDERING = "setTimeout/setInterval"


class CompileStringsError(Exception):
    """HostEnsureCanCompileStrings refused a string handler (``string_handlers``)."""


@cython.final
cdef class _ActiveTimerKey:
    """A unique non-numeric key in the map of active timers (run steps after a timeout)."""
    cdef readonly str ordering_identifier

    def __repr__(self):
        return f"<timer key {self.ordering_identifier!r} at {id(self):#x}>"


cdef class Timers(ScopeState):
    """The timers of one scope.

    Invariants: a slot's per-slot data (callback, args, id, flags) is valid from insert
    until the slot is released; a fired slot is held (not reusable) until its task has
    run, so callbacks that set new timers cannot overwrite a batch still waiting to run.
    """

    def __cinit__(self, *args, **kwargs):
        if tc_idmap_init(&self._displaced) < 0:
            raise MemoryError()
        self._next_id = 1
        self._run_keys = {}
        self._orderings = {TIMER_ORDERING: 0}
        self._objs = []

    cdef int _init_timers(self, resolution_ms, max_timers, string_handlers,
                          namespace) except -1:
        as_count(max_timers, "max_timers")
        # Lateness is recorded when each task starts (below), not when the wheel fires.
        self._wheel = TimerWheel(resolution_ms, self._clock.now_ms(), lateness=False,
                                 max_timers=max_timers)
        self._init_table(TABLE_MIN)
        if not (isinstance(string_handlers, bool) or callable(string_handlers)):
            raise TypeError("string_handlers must be a bool or a callable (source) -> bool, "
                            f"not {type(string_handlers).__name__}")
        self._string_policy = string_handlers
        if namespace is not None and not isinstance(namespace, dict):
            raise TypeError(f"namespace must be a dict, not {type(namespace).__name__}")
        self.namespace = namespace
        return 0

    def __dealloc__(self):
        tc_idmap_free(&self._displaced)
        tc_lat_free(&self._lateness)
        PyMem_Free(self._slots)

    # -- the table: a slot per entry of the map of active timers -----------------------
    #
    # Each entry (a timer, or a run-steps key) holds one slot of the table: its wheel
    # entry, its record in _slots and its two objects in _objs. A numeric id is filed at its
    # home slot, id % _home_cap, when that is free (ids are issued in sequence, so they
    # usually are): clearTimeout then finds it by reading the record it needs anyway, with
    # no hash bucket to load first (a random-order clear at a million timers waited on
    # three cache misses in a chain, now two). An id whose home was taken, or that a
    # growth moved its home away from, is listed in _displaced. Nothing ever moves: a
    # slot is held from insert until released, as the wheel's handles and a running
    # task's slot need.

    cdef int _init_table(self, uint32_t cap) except -1:
        """A new, empty table of `cap` free slots (the wheel must be new)."""
        if tw_caller_slots(&self._wheel._w, cap) < 0:
            raise MemoryError()
        tw_owner_tracks_fired(&self._wheel._w)     # (F_FIRED says which slots fired)
        self._slots = <SlotData *>grow_array(self._slots, cap, sizeof(SlotData))
        memset(self._slots, 0, cap * sizeof(SlotData))
        self._objs = [None] * (2 * cap)
        self._cap = self._home_cap = cap
        self._home_magic = fastmod_magic(cap)
        return 0

    cdef int _grow_table(self) except -1:
        """Half again as many slots. The ids whose home slot then changes, and that are
        not at the new one, go to a rebuilt _displaced; on out-of-memory the homes stay
        as they were (extra free slots are harmless)."""
        cdef uint32_t s, old = self._cap
        cdef uint32_t cap = <uint32_t>min(<uint64_t>old + old // 2 + 63 & ~(<uint64_t>63),
                                          0x7FFFFFC0)
        cdef uint64_t magic = fastmod_magic(cap)
        cdef tc_idmap displaced
        cdef int32_t id
        if cap <= old:
            raise MemoryError("the map of active timers is full")
        self._slots = <SlotData *>grow_array(self._slots, cap, sizeof(SlotData))
        memset(self._slots + old, 0, (cap - old) * sizeof(SlotData))
        self._objs.extend([None] * (2 * (cap - old)))
        if tw_grow_caller_slots(&self._wheel._w, cap) < 0:
            raise MemoryError()
        self._cap = cap
        # While every id issued so far is below the old capacity, its home (the id
        # itself) is the same in both: where each id is found does not change.
        if self._ids_reused or <uint32_t>self._next_id > self._home_cap:
            if tc_idmap_init(&displaced) < 0:
                raise MemoryError()
            for s in range(old):
                if self._slots[s].flags & (F_LIVE | F_RUNSTEPS) == F_LIVE:
                    id = self._slots[s].id
                    if fastmod(<uint32_t>id, magic, cap) != s and \
                            tc_idmap_put(&displaced, id, <int32_t>s) < 0:
                        tc_idmap_free(&displaced)
                        raise MemoryError()
            tc_idmap_free(&self._displaced)
            self._displaced = displaced
        self._home_cap = cap
        self._home_magic = magic
        return 0

    cdef inline uint32_t _home(self, int32_t id) noexcept:
        return fastmod(<uint32_t>id, self._home_magic, self._home_cap)

    cdef inline int32_t _id_slot(self, int32_t id) noexcept:
        """The slot of id (> 0) in the map of active timers, or -1."""
        cdef uint32_t s = Timers._home(self, id)
        if self._slots[s].id == id and self._slots[s].flags & F_LIVE:
            return <int32_t>s
        if self._displaced.len:
            return tc_idmap_get(&self._displaced, id)
        return -1

    cdef uint32_t _file(self, int32_t id, double deadline,
                        uint16_t ordering) except? 0xFFFFFFFF:
        """Take a slot for a new entry of the map (id 0: a run-steps key) and file it in
        the wheel at `deadline`: id's home slot if free, else the next free one (a
        run-steps key starts half the table away from where new ids go)."""
        cdef int64_t h, slot
        cdef uint32_t home
        if self._wheel._w.free_count <= self._cap >> 3:     # 7/8 taken: grow first
            tw_settle(&self._wheel._w)                      # (counting cleared ones free)
            if self._wheel._w.free_count <= self._cap >> 3:
                self._grow_table()
        if id:
            home = Timers._home(self, id)
        else:
            home = (Timers._home(self, self._next_id) + self._cap // 2) % self._cap
        slot = home
        h = tw_insert_at(&self._wheel._w, home, deadline, ordering)
        if h == -3:                                         # home taken: the next free
            slot = tw_next_free(&self._wheel._w, home)
            h = tw_insert_at(&self._wheel._w, <uint32_t>slot, deadline, ordering) \
                if slot >= 0 else -1
        if h == -2:
            raise OverflowError(f"max_timers={self._wheel._w.max_timers} reached: the scope "
                                f"holds {self._wheel._w.len} pending timers")
        if h < 0:
            raise MemoryError()
        if id and slot != home and tc_idmap_put(&self._displaced, id, <int32_t>slot) < 0:
            tw_cancel(&self._wheel._w, h)
            raise MemoryError()
        return <uint32_t>slot

    cdef inline void _unmap_id(self, int32_t id, uint32_t slot) noexcept:
        """id leaves the map of active timers (its slot is released separately)."""
        self._slots[slot].flags &= ~F_LIVE
        self._id_count -= 1
        if self._displaced.len and slot != Timers._home(self, id):
            tc_idmap_del(&self._displaced, id)

    cdef inline void _forget(self, uint32_t slot) noexcept:
        """Drop a slot's references (handler or steps, arguments or key) and flags.
        The references die last, at return: a handler's __del__ may set a timer, which
        can reuse this very slot, so the slot must be fully cleared before it runs."""
        if self._slots[slot].flags & F_UNREF:
            self._unrefd -= 1
        self._slots[slot].flags = 0
        _handler = self._objs[2 * slot]          # (held until return: see above)
        _rest = self._objs[2 * slot + 1]
        list_store(self._objs, 2 * slot, None)
        list_store(self._objs, 2 * slot + 1, None)

    cdef inline void _release(self, uint32_t slot) noexcept:
        """A fired slot's task is over: forget it, and let the wheel reuse the slot."""
        tw_release(&self._wheel._w, tw_slot_handle(&self._wheel._w, slot))
        self._forget(slot)

    cdef inline void _mark_fired(self) noexcept:
        """Flag F_FIRED the slots of the fired batch whose tasks have not run yet (the
        running task flags its own): the wheel left their tags as they were, so it must
        not be asked about them by slot. Done only before such a question, not as a batch
        fires: most batches run with none asked (a loop over the batch cost Window fire 6
        instructions a timer)."""
        cdef size_t k = max(self._batch_marked, self._batch_pos)
        while k < self._batch.len:
            self._slots[<uint32_t>self._batch.data[k]].flags |= F_FIRED
            k += 1
        self._batch_marked = self._batch.len

    cdef inline bint _cancel_pending(self, uint32_t slot) noexcept:
        """If the slot's timer is still pending in the wheel, cancel and forget it."""
        Timers._mark_fired(self)
        if self._slots[slot].flags & F_FIRED or not tw_cancel_slot(&self._wheel._w, slot):
            return False
        self._forget(slot)
        return True

    # -- §8.6 timers ------------------------------------------------------------------

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def setTimeout(self, handler, timeout=0, *arguments):
        """HTML §8.6 setTimeout(): run ``handler(*arguments)`` after ``timeout`` ms.

        A ``str`` handler (or an object with its own ``__str__``, converted now) is run
        as Python source in ``namespace`` when the timer fires; any other non-callable
        handler (None, a number, ...) is a TypeError: a call where a function was meant.
        ``timeout=None`` is 0, as ``undefined`` is.
        An ``async def`` handler runs as an asyncio task on a hosted scope (a TypeError on
        one that is not). Returns the timer's id (int > 0).
        """
        return self._set_timer(handler, timeout, arguments, False)

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def setInterval(self, handler, timeout=0, *arguments):
        """HTML §8.6 setInterval(): like setTimeout, repeating every ``timeout`` ms."""
        return self._set_timer(handler, timeout, arguments, True)

    cdef inline int32_t _set_timer(self, object handler, object timeout, tuple arguments,
                                   bint repeat) except -1:
        """WebIDL conversions in argument order (the handler: a callable, or a DOMString
        now; then the timeout, a long), then the timer initialization steps."""
        cdef bint is_string = not callable(handler)
        if is_string:
            if not _is_source(handler):
                _not_a_handler("setInterval" if repeat else "setTimeout", handler)
            handler = _domstring(handler)
        else:
            check_async_hosted(self, handler, "setInterval" if repeat else "setTimeout")
        return self._init_timer(handler, is_string, _timeout_arg(timeout), arguments, repeat)

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def clearTimeout(self, id=0):
        """Remove ``id`` from the map of active timers; unknown ids (and None) do nothing."""
        self._clear(id)

    @cython.binding(False)      # a method descriptor: CPython's cheapest call
    def clearInterval(self, id=0):
        """The same as clearTimeout: both clear entries from one map."""
        self._clear(id)

    cdef int32_t _init_timer(self, object handler, bint is_string, int timeout,
                             tuple arguments, bint repeat, int32_t previous_id=0,
                             uint32_t previous_slot=0) except -1:
        """The timer initialization steps (§8.6), steps 2-14."""
        cdef int32_t id
        cdef int nesting
        cdef uint32_t slot
        ScopeState._check_open(self)
        # Step 1 (thisArg) is the scope itself: handlers are plain callables here.
        # 2. previousId, or a new id > 0 not in the map of active timers.
        id = previous_id if previous_id else self._new_id()
        # 3. Nesting level: the currently running task's, if it is a timer task; else 0.
        nesting = self._current_nesting
        # 4. Negative timeouts become 0.
        if timeout < 0:
            timeout = 0
        # 5. Clamp nested timers.
        if nesting > 5 and timeout < 4:
            timeout = 4
        # 6-8. Realms and the initiating script have no Python counterpart.
        # 9. The task is _run_timer_task, driven by the slot's data below.
        # 10-11. The task's nesting level.
        nesting = nesting + 1 if nesting < NESTING_MAX else NESTING_MAX
        # 12-13. Run steps after a timeout: map[id] = now + timeout; the wheel keeps the
        # (deadline, insertion) order that step 13's ordering rule requires.
        deadline = ScopeState._now(self) + timeout
        ScopeState._wake_before(self, deadline)
        if previous_id:
            slot = previous_slot
            if tw_rearm(&self._wheel._w, tw_slot_handle(&self._wheel._w, slot), deadline) < 0:
                raise MemoryError()
        else:
            slot = self._file(id, deadline, 0)
            self._id_count += 1
            list_store(self._objs, 2 * slot, handler)
            list_store(self._objs, 2 * slot + 1, arguments)
            self._slots[slot].id = id
        self._slots[slot].timeout = timeout
        self._slots[slot].nesting = <uint8_t>nesting
        self._slots[slot].flags = (F_LIVE | (F_REPEAT if repeat else 0)
                                   | (F_STRING if is_string else 0)
                                   | (self._slots[slot].flags & F_UNREF if previous_id else 0))
        # 14.
        return id

    cdef int32_t _new_id(self) except -1:
        """Step 2's "user-agent-defined integer > 0 not in the map": the next in sequence;
        until the sequence first wraps at 2**31 - 1 none can be in the map (no lookup)."""
        cdef int32_t id
        while True:
            id = self._next_id
            if id == ID_MAX:
                self._next_id = 1
                self._ids_reused = True
            else:
                self._next_id = id + 1
            if not self._ids_reused or Timers._id_slot(self, id) < 0:
                return id

    cdef int _clear(self, object id) except -1:
        cdef int32_t slot, key
        ScopeState._check_thread(self)
        key = <int32_t>as_key(id, "id", TIMER_ID)
        if not key:
            return 0         # names no timer (None, a string, 0, a negative number...)
        slot = Timers._id_slot(self, key)
        if slot < 0:
            return 0
        Timers._unmap_id(self, key, <uint32_t>slot)
        if self._slots[slot].flags & F_UNREF:
            self._unrefd -= 1
            self._slots[slot].flags &= ~F_UNREF
        # Pending in the wheel: gone now. Fired or running: its task sees !F_LIVE (9.1/9.4).
        self._cancel_pending(<uint32_t>slot)
        return 0

    cdef int _run_timer_task(self, int64_t handle) except -1:
        """The task of timer initialization step 9 (or a run-steps completion)."""
        cdef uint32_t slot = <uint32_t>handle   # the low 32 bits: the slot
        cdef uint8_t flags = self._slots[slot].flags
        cdef int32_t id
        self._slots[slot].flags = flags | F_FIRED       # (see _mark_fired)
        if flags & F_RUNSTEPS:
            return self._run_completion_steps(slot)
        # 9.1 If id is no longer in the map of active timers, abort.
        if not flags & F_LIVE:
            self._release(slot)
            return 0
        tc_lat_record(&self._lateness, 0,
                      ScopeState._now(self) - tw_slot_deadline(&self._wheel._w, slot))
        handler = self._objs[2 * slot]
        args = self._objs[2 * slot + 1]
        id = self._slots[slot].id
        self._current_nesting = self._slots[slot].nesting
        try:
            # 9.2 / 9.3: call the Function, or compile and run the string.
            if flags & F_STRING:
                if self._run_string(handler) < 0:
                    # 9.3.2 The compile-strings check threw: abort these steps (an
                    # interval does not repeat; the entry leaves the map).
                    Timers._unmap_id(self, id, slot)
            else:
                call_handler(self, handler, args)
        finally:
            if not self._closed:
                if not self._slots[slot].flags & F_LIVE:
                    # 9.4 Author code cleared it: abort.
                    self._release(slot)
                elif flags & F_REPEAT:
                    # 9.5 Run the timer initialization steps again with the same id.
                    self._init_timer(handler, flags & F_STRING, self._slots[slot].timeout, args,
                                     True, id, slot)
                else:
                    # 9.6 Remove map[id].
                    Timers._unmap_id(self, id, slot)
                    self._release(slot)
            self._current_nesting = 0
        # The event loop's microtask checkpoint after the task.
        if self._microtasks:
            self._checkpoint()
        return 0

    cdef int _run_string(self, str source) except -2:
        """Returns -1 if the compile-strings check refused the source (reported)."""
        return -1 if call_reported(self, self._run_classic_script, (source,)) is False else 0

    def _run_classic_script(self, str source):
        # 9.3.2 HostEnsureCanCompileStrings: refused -> report, False.
        policy = self._string_policy
        if policy is not True and (policy is False or not policy(source)):
            self.report_exception(CompileStringsError(
                "string handlers are not allowed in this scope (string_handlers)"))
            return False
        # 9.3.3-8 Create and run a classic script, in the global scope like eval().
        exec(compile(source, "<timer string handler>", "exec"), self._namespace())
        return True

    def _namespace(self):
        if self.namespace is None:
            self.namespace = self._default_namespace()
        return self.namespace

    def _default_namespace(self):
        return {}

    # -- run steps after a timeout ------------------------------------------------------

    def run_steps_after_timeout(self, str ordering_identifier, milliseconds, completion_steps,
                                *, timer_key=None):
        """HTML "run steps after a timeout", for other specifications' timeouts.

        Waits ``milliseconds`` of active time and for every earlier-started call with the
        same ordering identifier and an equal or smaller timeout, then calls
        ``completion_steps()`` as a task. Returns the key it holds in ``active_timers``
        (a unique non-numeric object), removed once the steps have run.
        """
        cdef double ms, deadline
        cdef uint32_t slot
        ScopeState._check_open(self)
        if not callable(completion_steps):
            raise TypeError("completion_steps must be callable, "
                            f"not {type(completion_steps).__name__}")
        ms = as_ms(milliseconds, "milliseconds", CLOCK_TIME)
        # 1-2. A key of our own; numeric keys belong to the timer initialization steps.
        if timer_key is None:
            key = _ActiveTimerKey.__new__(_ActiveTimerKey)
            (<_ActiveTimerKey>key).ordering_identifier = ordering_identifier
        elif isinstance(timer_key, (int, float)):
            raise ValueError("timer_key must not be numeric: numeric keys are the ids of "
                             "setTimeout/setInterval")
        elif timer_key in self._run_keys:
            raise ValueError(f"timer_key {timer_key!r} is already in the map of active timers")
        else:
            key = timer_key
        ordering = self._orderings.get(ordering_identifier)
        if ordering is None:
            ordering = len(self._orderings)
            if ordering > 0xFFFF:
                raise ValueError("too many ordering identifiers in one scope (65536)")
            self._orderings[ordering_identifier] = ordering
        # 3-4. map[key] = startTime + milliseconds.
        deadline = ScopeState._now(self) + ms
        ScopeState._wake_before(self, deadline)
        slot = self._file(0, deadline, ordering)
        list_store(self._objs, 2 * slot, completion_steps)
        list_store(self._objs, 2 * slot + 1, key)
        self._slots[slot].id = 0
        self._slots[slot].flags = F_LIVE | F_RUNSTEPS
        self._run_keys[key] = slot
        # 5. The waiting is the wheel's; the completion is _run_completion_steps.
        return key

    cdef bint _cancel_run_steps(self, object key) except -1:
        """Drop a pending run-steps entry (its completion steps will not run). True if it
        was pending. Used by cancelIdleCallback so a dead timeout stops bounding idle
        deadlines."""
        cdef int32_t slot = self._run_keys.get(key, -1)
        if slot < 0 or not self._cancel_pending(<uint32_t>slot):
            return False
        del self._run_keys[key]
        return True

    cdef int _run_completion_steps(self, uint32_t slot) except -1:
        tc_lat_record(&self._lateness, tw_slot_ordering(&self._wheel._w, slot),
                      ScopeState._now(self) - tw_slot_deadline(&self._wheel._w, slot))
        steps = self._objs[2 * slot]
        key = self._objs[2 * slot + 1]
        try:
            # 5.5 Perform completionSteps (as a task: not a timer task, nesting 0).
            call_reported(self, steps, NO_ARGS)
        finally:
            # 5.6 Remove the non-numeric key.
            if not self._closed:
                self._run_keys.pop(key, None)
                self._release(slot)
        if self._microtasks:
            self._checkpoint()
        return 0

    # -- the map of active timers ------------------------------------------------------

    def _active_get(self, key):
        """map[key] in clock time, or KeyError."""
        cdef int32_t slot = -1
        if type(key) is int:
            if 0 < key <= ID_MAX:
                slot = Timers._id_slot(self, key)
        else:
            slot = self._run_keys.get(key, -1)
        if slot < 0:
            raise KeyError(key)
        return ScopeState._to_clock(self, tw_slot_deadline(&self._wheel._w, slot))

    def _active_keys(self):
        cdef uint32_t s
        keys = []
        for s in range(self._cap):
            if self._slots[s].flags & (F_LIVE | F_RUNSTEPS) == F_LIVE:
                keys.append(self._slots[s].id)
        keys.sort()
        keys.extend(self._run_keys)
        return keys

    def _active_len(self):
        return self._id_count + len(self._run_keys)

    cdef inline bint _next_expiry(self, double *active_ms) noexcept:
        """The earliest expiry in the map of active timers (active time): False if none
        will ever come. Time ends at MAX_TIME_MS (2**53 ms): past it ``now + 1 == now``,
        so a timer due there never fires and the loop never waits for it (an interval
        would otherwise come due at the same instant forever)."""
        return self._wheel.c_next_expiry(active_ms) and active_ms[0] < MAX_TIME_MS_C

    def close(self):
        ScopeState.close(self)
        self._wheel = TimerWheel(self._wheel._w.resolution, 0.0)
        tc_idmap_free(&self._displaced)
        tc_idmap_init(&self._displaced)
        self._run_keys.clear()
        self._init_table(TABLE_MIN)
        self._id_count = 0
        self._unrefd = 0

    # -- Node's extensions: refresh, unref / ref / has_ref -------------------------------

    cdef inline int32_t _live_slot(self, object id) except -2:
        """The slot of a live numeric timer id, or -1 (any other int names no timer)."""
        cdef int32_t key
        ScopeState._check_thread(self)
        key = <int32_t>as_key(id, "id", NODE_ID)
        return Timers._id_slot(self, key) if key else -1

    @cython.binding(False)                    # a plain method descriptor, called as
    @cython.always_allow_keywords(False)      # METH_O: the cheapest call (one per packet)
    def refresh(self, id):
        """Re-arm a pending timer with its own timeout, counted from now; it keeps its id
        and orders after the timers already due at its new time (as if set now). O(1):
        the idle-timeout pattern, one call per packet. Returns True if re-armed; False if
        ``id`` names no pending timer (cleared, or fired and not an interval, or its task
        is running now: an interval then re-arms itself when the task ends)."""
        cdef int32_t slot = Timers._live_slot(self, id)
        cdef double deadline
        cdef int rc
        if slot < 0:                 # (a closed scope's map is empty: no open check needed)
            return False
        Timers._mark_fired(self)
        if self._slots[slot].flags & F_FIRED:
            return False             # (its task is queued or running)
        deadline = ScopeState._now(self) + self._slots[slot].timeout
        rc = tw_reschedule_slot(&self._wheel._w, slot, deadline)
        if rc < 0:
            raise MemoryError()
        if rc:
            ScopeState._wake_before(self, deadline)
        return rc != 0

    def refresh_many(self, ids):
        """``refresh`` for many ids at once (a 1-d array or sequence of ints): the loop
        runs in C, no Python call per id. Returns how many were re-armed; ids that name
        no pending timer are skipped, as ``refresh`` would return False for them."""
        cdef const int64_t[::1] v
        cdef Py_ssize_t i, n
        cdef int64_t key
        cdef int32_t slot
        cdef int rc
        cdef long long done = 0
        cdef double now, deadline, earliest = INFINITY
        ScopeState._check_thread(self)
        v = as_array(ids, np.int64, "ids", "iu")
        n = v.shape[0]
        now = ScopeState._now(self)
        Timers._mark_fired(self)
        for i in range(n):
            key = v[i]
            if not 0 < key <= ID_MAX:
                continue
            slot = Timers._id_slot(self, <int32_t>key)
            if slot < 0 or self._slots[slot].flags & F_FIRED:
                continue
            deadline = now + self._slots[slot].timeout
            rc = tw_reschedule_slot(&self._wheel._w, slot, deadline)
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
        cdef int32_t slot = Timers._live_slot(self, id)
        if slot < 0:
            return False
        if not self._slots[slot].flags & F_UNREF:
            self._slots[slot].flags |= F_UNREF
            self._unrefd += 1
        return True

    def ref(self, id):
        """Undo ``unref(id)``: ``run()`` waits for this timer again. True if live."""
        cdef int32_t slot = Timers._live_slot(self, id)
        if slot < 0:
            return False
        if self._slots[slot].flags & F_UNREF:
            self._slots[slot].flags &= ~F_UNREF
            self._unrefd -= 1
        return True

    def has_ref(self, id):
        """True if ``id`` is a live timer that ``run()`` waits for."""
        cdef int32_t slot = Timers._live_slot(self, id)
        return slot >= 0 and not self._slots[slot].flags & F_UNREF

    cdef inline bint _only_unrefd(self):
        """Every entry of the map of active timers is unref'd (and there is one)."""
        return self._unrefd > 0 and not self._has_ref_timers()

    cdef inline bint _has_ref_timers(self):
        """Does run() wait for the active timers? (False when all are unref'd.)"""
        return self._id_count + len(self._run_keys) > self._unrefd

    def _waits_for_timers(self):
        return self._has_ref_timers()

    # snake_case aliases
    set_timeout = setTimeout
    set_interval = setInterval
    clear_timeout = clearTimeout
    clear_interval = clearInterval


# WebIDL conversions happen in argument order, before the algorithm runs: the handler
# (a callable, or else a DOMString right now), then the timeout as a long.

cdef inline str _domstring(object handler):
    return handler if type(handler) is str else str(handler)


cdef inline int _timeout_arg(object timeout) except? -1:
    """WebIDL ``long``, in C for what real code passes: ints (and int subclasses, bool),
    floats (and numpy.float64): truncated toward zero, NaN and infinities to 0. What
    would wrap modulo 2**32, and other numbers (numpy ints, __index__ / __float__
    objects), go to webidl.to_long, which warns when it wraps."""
    cdef int overflow = 0
    cdef long long t
    cdef double d
    if PyLong_Check(timeout):
        t = PyLong_AsLongLongAndOverflow(timeout, &overflow)
        if not overflow and -0x80000000 <= t <= 0x7FFFFFFF:
            return <int>t
    elif PyFloat_Check(timeout):
        d = PyFloat_AS_DOUBLE(timeout)
        if not isfinite(d):
            if not isnan(d):
                warn_infinite(d)
            return 0
        d = trunc(d)
        if -2147483648.0 <= d <= 2147483647.0:
            return <int>d
    elif timeout is None:
        return 0             # undefined (an omitted timeout) converts to 0
    return to_long(timeout, "timeout")


cdef inline bint _is_source(handler):
    """A str, or an object whose class says how it reads as source (its own __str__, as
    JavaScript's toString): what a string handler may be. None, numbers, containers and
    bare objects read as source only by accident."""
    return isinstance(handler, str) or (type(handler).__str__ is not object.__str__
                                        and not isinstance(handler, (bytes, bytearray)))


cdef int _not_a_handler(str method, handler) except -1:
    # The spec converts any non-function to a string of code; no Python user passes None
    # or 42 meaning source code: it is a call where a function was meant (docs/porting-js.md).
    raise TypeError(
        f"{method}() handler must be a function (or a str of Python code), not "
        f"{type(handler).__name__} {handler!r:.60}: pass the function itself, e.g. "
        f"{method}(save, ...) rather than {method}(save(), ...)")
