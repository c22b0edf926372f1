# The asyncio loops' timers (core/asyncio_timers.pyx).

cdef class WheelTimers


cdef class LoopCallback:
    # What Handle and TimerHandle share: a callback, its arguments and context, its state.
    cdef:
        PyObject *_cb                # owned; NULL once run or cancelled (see _drop)
        PyObject *_cb_args           # owned tuple (NO_ARGS for none); NULL likewise
        PyObject *_ctx               # owned Context; NULL likewise
        WheelTimers _timers
        int _state
    # (no cdef methods: no vtable pointer; its steps are functions in the .pyx)


@cython.final
cdef class Handle(LoopCallback):
    # call_soon's, on timercore's asyncio loop
    cdef object __weakref__          # as asyncio's (a handle may be kept in a weak map)


@cython.final
cdef class TimerHandle(LoopCallback):
    cdef:
        double _when_s               # (in the 8 bytes after _state: 64 bytes in all)


cdef class WheelTimers:
    cdef:
        TimerWheel wheel
        PyObject **slots             # per wheel slot: its TimerHandle (owned) or NULL
        uint32_t nslots
        tw_out batch                 # wheel handles collected by advance; [due_pos, len) to run
        size_t due_pos
        readonly object loop
        object time_fn               # a foreign loop's time(); None: monotonic or virtual
        VirtualClock vclock          # virtual time, or None
        object native_call_later     # a foreign loop's own call_later, unbound; or None
        object native_handle         # the native timer armed at armed_when
        double armed_when
        bint in_fire
        public bint debug            # the loop's debug flag (kept in sync by set_debug)
        readonly bint closed
        object ready_append          # the loop's ready deque's append (call_soon's)
        Py_ssize_t cancelled_in_wheel  # cancelled handles whose wheel entry is still there
        object ctx_cache             # the last context snapshot (see the module doc)
        bint slow_warned             # _fire: a timer it ran got the slow-callback warning
        # debug mode: id(handle) -> [source traceback, repr kept when it ran or was
        # cancelled, else None]
        public dict debug_info

    cdef double now_s(self) except? -1.0
    cdef _debug_checks(self, callback, str method)
    cdef TimerHandle _schedule(self, double when, callback, tuple args, context)
    cdef object _snapshot(self)
    cdef int _grow_slots(self, uint32_t slot) except -1
    cdef int _purge(self) except -1
    cdef Py_ssize_t collect_due(self, double now_s) except -1
    cdef int run_due(self) except -1
    cdef int _arm(self, double when) except -1
    cdef void _release_all(self) noexcept
