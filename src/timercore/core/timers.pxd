# Timers, the core's second level (ScopeState -> Timers -> ScopeCore): HTML §8.6
# setTimeout/setInterval/clear*, the map of active timers, "run steps after a timeout" for
# other specifications' timeouts, and Node's extensions (refresh, unref/ref), keyed by the
# same ids (core/timers.pyx).

cdef enum:
    F_LIVE = 1        # the timer's key is in the map of active timers
    F_REPEAT = 2      # setInterval
    F_STRING = 4      # handler is source text
    F_RUNSTEPS = 8    # a "run steps after a timeout" entry with a non-numeric key
    F_UNREF = 16      # unref(id): run() does not wait for it (Node's timeout.unref())
    # F_FIRED: fired, its task queued or running. The wheel left its tag as it was
    # (tw_owner_tracks_fired): it is asked nothing about the slot then (_mark_fired).
    F_FIRED = 32
    NESTING_MAX = 255  # the level saturates: only "> 5" matters
    ID_MAX = 0x7FFFFFFF
    TABLE_MIN = 64     # slots of a new scope's table


cdef struct SlotData:
    # What a timer's task needs besides its handler and arguments: one 12-byte record,
    # so a task touches one cache line here (the handler and arguments share another).
    int32_t id           # numeric id (0 for run-steps entries)
    int32_t timeout      # the timeout, for setInterval's next round
    uint8_t nesting      # the task's timer nesting level (saturating)
    uint8_t flags


cdef class Timers(ScopeState):
    cdef:
        TimerWheel _wheel        # in caller-chosen-slot mode: slots are the table's
        # The map of active timers: a numeric id lives at its home slot, id % _home_cap,
        # when that was free as it was set (found with one read: the record holds the id),
        # else at another slot listed in _displaced.
        uint32_t _home_cap
        uint64_t _home_magic     # fastmod's multiplier for _home_cap
        tc_idmap _displaced      # numeric id -> slot, for live ids not at their home slot
        Py_ssize_t _id_count     # numeric ids in the map
        dict _run_keys           # non-numeric key -> slot
        dict _orderings          # ordering identifier -> wheel ordering id
        # per slot s: [2s] handler or completion steps, [2s+1] its arguments, or for
        # run-steps entries its non-numeric key
        list _objs
        SlotData *_slots         # per slot: id, timeout, nesting, flags
        uint32_t _cap            # slots in the table (the wheel's, _slots, _objs)
        int32_t _next_id
        bint _ids_reused         # the id sequence wrapped (or was set back): check the map
        Py_ssize_t _unrefd       # live timers with F_UNREF
        object _string_policy
        public dict namespace
        tc_lat_table _lateness   # per ordering id: task start - deadline
        tw_out _batch            # handles fired by the wheel, run one task each (ScopeCore)
        size_t _batch_pos        # the next to run
        size_t _batch_marked     # those before it flagged F_FIRED (see _mark_fired)

    cdef int _init_timers(self, resolution_ms, max_timers, string_handlers,
                          namespace) except -1
    cdef int _init_table(self, uint32_t cap) except -1
    cdef int _grow_table(self) except -1
    cdef inline uint32_t _home(self, int32_t id) noexcept
    cdef inline int32_t _id_slot(self, int32_t id) noexcept
    cdef uint32_t _file(self, int32_t id, double deadline, uint16_t ordering) except? 0xFFFFFFFF
    cdef inline void _unmap_id(self, int32_t id, uint32_t slot) noexcept
    cdef inline void _forget(self, uint32_t slot) noexcept
    cdef inline void _release(self, uint32_t slot) noexcept
    cdef inline void _mark_fired(self) noexcept
    cdef inline bint _cancel_pending(self, uint32_t slot) noexcept
    cdef inline int32_t _set_timer(self, object handler, object timeout, tuple arguments,
                                   bint repeat) except -1
    cdef int32_t _init_timer(self, object handler, bint is_string, int timeout,
                             tuple arguments, bint repeat, int32_t previous_id=*,
                             uint32_t previous_slot=*) except -1
    cdef int32_t _new_id(self) except -1
    cdef int _clear(self, object id) except -1
    cdef int _run_timer_task(self, int64_t handle) except -1
    cdef int _run_string(self, str source) except -2
    cdef int _run_completion_steps(self, uint32_t slot) except -1
    cdef bint _cancel_run_steps(self, object key) except -1
    cdef inline bint _next_expiry(self, double *active_ms) noexcept
    cdef inline int32_t _live_slot(self, object id) except -2
    cdef inline bint _only_unrefd(self)
    cdef inline bint _has_ref_timers(self)
