"""ScopeCore: the compiled heart of a WindowOrWorkerGlobalScope.

It owns the scope's timing wheel, the map of active timers (numeric ids in a C hash,
other keys in a dict), the per-slot callbacks, the microtask queue and the loop that
runs due timers as tasks. The HTML §8.6 timer initialization steps and the task they
queue are written here, in spec step order, because they are the hot path; everything
else about a scope lives in the Python façade (python/timercore/scope.py).
"""
cimport cython
cimport numpy as cnp
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_Check
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.pythread cimport PyThread_get_thread_ident
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.math cimport isfinite, trunc, INFINITY

from timercore._clock cimport Clock, VirtualClock
from timercore._wheel cimport (TimerWheel, lateness_stats, tc_lat, tc_lat_free, tc_lat_get,
                               tc_lat_record, tc_lat_reset, tc_lat_table, tw_advance,
                               tw_cancel, tw_count, tw_next_expiry, tw_out, tw_out_free,
                               tw_rearm, tw_release, tw_reschedule, tw_slot_deadline,
                               tw_slot_handle, tw_slot_ordering, tw_wheel)

from asyncio import iscoroutine as _iscoroutine
from collections import OrderedDict, deque
from types import CoroutineType as _CoroutineType
from operator import index as _operator_index

import numpy as np

from timercore._clock import MAX_TIME_MS, as_clock
from timercore.webidl import to_long

cnp.import_array()

cdef extern from *:
    """
    /* An `async def` function, or a method of one: a flag of its code object. */
    static inline int tc_is_async_function(PyObject *f) {
        if (PyMethod_Check(f)) f = PyMethod_GET_FUNCTION(f);
        return PyFunction_Check(f) &&
               (((PyCodeObject *)PyFunction_GET_CODE(f))->co_flags & CO_COROUTINE) != 0;
    }
    """
    bint _is_async_function "tc_is_async_function" (object f) noexcept

cdef extern from "faults.h":
    long long tc_fail_countdown

cdef extern from "idmap.h" nogil:
    ctypedef struct tc_idmap:
        uint32_t len
    int tc_idmap_init(tc_idmap *m)
    void tc_idmap_free(tc_idmap *m)
    int32_t tc_idmap_get(const tc_idmap *m, int32_t key)
    int tc_idmap_put(tc_idmap *m, int32_t key, int32_t val)
    int tc_idmap_del(tc_idmap *m, int32_t key)
    int tc_idmap_next(const tc_idmap *m, uint32_t *pos, int32_t *key, int32_t *val)

cdef enum:
    F_LIVE = 1        # the timer's key is in the map of active timers
    F_REPEAT = 2      # setInterval
    F_STRING = 4      # handler is source text
    F_RUNSTEPS = 8    # a "run steps after a timeout" entry with a non-numeric key
    F_UNREF = 16      # unref(id): run() does not wait for it (Node's timeout.unref())
    NESTING_MAX = 255 # the level saturates: only "> 5" matters
    ID_MAX = 0x7FFFFFFF

cdef tuple NO_ARGS = ()


cdef struct SlotData:
    # What a timer's task needs besides its handler and arguments: one 12-byte record,
    # so a task touches one cache line here (the handler and arguments share another).
    int32_t id           # numeric id (0 for run-steps entries)
    int32_t timeout      # the timeout, for setInterval's next round
    uint8_t nesting      # the task's timer nesting level (saturating)
    uint8_t flags
TIMER_ORDERING = "setTimeout/setInterval"


cdef class IdleDeadline       # defined at the end of the module


class TaskLimitReached(Exception):
    """Internal: the task limit set by run_all() was reached (becomes LoopLimitError)."""


class CompileStringsError(Exception):
    """HostEnsureCanCompileStrings refused a string handler (``string_handlers``)."""


@cython.final
cdef class _ActiveTimerKey:
    """A unique non-numeric key in the map of active timers (run steps after a timeout)."""
    cdef readonly str ordering_identifier

    def __repr__(self):
        return f"<timer key {self.ordering_identifier!r} at {id(self):#x}>"


cdef class ScopeCore:
    """Timers, microtasks and the task loop of one global scope.

    Invariants: a slot's per-slot data (callback, args, id, flags) is valid from insert
    until the slot is released; a fired slot is held (not reusable) until its task has
    run, so callbacks that set new timers cannot overwrite a batch still waiting to run.
    """
    cdef:
        TimerWheel _wheel
        Clock _clock
        bint _virtual
        tc_idmap _ids            # numeric id -> slot
        dict _run_keys           # non-numeric key -> slot
        dict _orderings          # ordering identifier -> wheel ordering id
        list _objs               # per slot s: [2s] handler or completion steps, [2s+1] its
                                 # arguments, or for run-steps entries its non-numeric key
        SlotData *_slots         # per slot: id, timeout, nesting, flags
        uint32_t _cap
        int32_t _next_id
        int _current_nesting     # timer nesting level of the currently running task
        object _microtasks       # deque of callables
        object _tasks            # deque of (callable, args): tasks of other task sources
        bint _in_checkpoint
        bint _running
        bint _closed
        bint _suspended
        double _suspended_at
        double _suspended_total
        tw_out _batch            # handles fired by the wheel, run one task each
        size_t _batch_pos
        object _string_policy
        public dict namespace
        object _wake             # hosted on asyncio: called when work appears earlier than
        double _armed_ms         # the one wake-up the host has scheduled (active time)
        # requestIdleCallback state (the steps are in python/timercore/idle.py; the two hot
        # ones, posting and invoking, are here)
        public object _idle_pending      # OrderedDict handle -> callback: idle request callbacks
        public object _idle_runnable     # OrderedDict handle -> callback: runnable idle callbacks
        public dict _idle_timeouts       # handle -> run-steps key of its timeout
        public long long _idle_identifier
        readonly long long timer_tasks_run   # timer tasks run so far (run_all's loop limit)
        long long _task_limit    # run_all: stop (TaskLimitReached) when timer_tasks_run hits it
        Py_ssize_t _unrefd       # live timers with F_UNREF
        unsigned long _owner     # the thread that created the scope: the only one allowed
        tc_lat_table _lateness   # per ordering id: task start - deadline

    def __cinit__(self, *args, **kwargs):
        if tc_idmap_init(&self._ids) < 0:
            raise MemoryError()
        self._next_id = 1
        self._armed_ms = INFINITY
        self._owner = PyThread_get_thread_ident()
        self._task_limit = -1

    def __init__(self, *, clock=None, resolution_ms=1.0, string_handlers=True, namespace=None,
                 max_timers=0):
        self._clock = as_clock(clock)
        self._virtual = isinstance(self._clock, VirtualClock)
        if type(max_timers) is not int or max_timers < 0:
            raise ValueError(f"max_timers must be an int >= 0 (0: unlimited), got {max_timers!r}")
        # Lateness is recorded when each task starts (below), not when the wheel fires.
        self._wheel = TimerWheel(resolution_ms, self._clock.now_ms(), lateness=False,
                                 max_timers=max_timers)
        self._run_keys = {}
        self._orderings = {TIMER_ORDERING: 0}
        self._objs = []
        self._microtasks = deque()
        self._tasks = deque()
        self._idle_pending = OrderedDict()
        self._idle_runnable = OrderedDict()
        self._idle_timeouts = {}
        if not (isinstance(string_handlers, bool) or callable(string_handlers)):
            raise TypeError("string_handlers must be a bool or a callable (source) -> bool, "
                            f"not {type(string_handlers).__name__}")
        self._string_policy = string_handlers
        if namespace is not None and not isinstance(namespace, dict):
            raise TypeError(f"namespace must be a dict, not {type(namespace).__name__}")
        self.namespace = namespace

    def __dealloc__(self):
        tc_idmap_free(&self._ids)
        tw_out_free(&self._batch)
        tc_lat_free(&self._lateness)
        PyMem_Free(self._slots)

    # -- time -------------------------------------------------------------------------

    cdef inline double _now(self) except? -1.0:
        """Active time: the clock less the time spent suspended (§7.5.9 bookkeeping)."""
        if self._suspended:
            return self._suspended_at - self._suspended_total
        return self._clock.now_ms() - self._suspended_total

    def now(self):
        """The scope's clock, in ms."""
        return self._clock.now_ms()

    @property
    def clock(self):
        return self._clock

    def suspend(self):
        """Stop time counting for this scope's timers (the Document is not fully active)."""
        self._check_open()
        if not self._suspended:
            self._suspended_at = self._clock.now_ms()
            self._suspended = True

    def resume(self):
        """Count time again: every active timer's expiry moves by the suspended duration."""
        self._check_open()
        if self._suspended:
            self._suspended_total += self._clock.now_ms() - self._suspended_at
            self._suspended = False

    @property
    def suspended(self):
        return self._suspended

    # -- per-slot storage -------------------------------------------------------------

    cdef int _ensure_slot(self, uint32_t slot) except -1:
        cdef uint32_t cap
        if slot < self._cap:
            return 0
        cap = self._cap * 2 if self._cap else 64
        while cap <= slot:
            cap *= 2
        self._slots = <SlotData *>_grow(self._slots, cap * sizeof(SlotData))
        self._objs.extend([None] * (2 * (cap - self._cap)))
        self._cap = cap
        return 0

    cdef inline void _forget(self, uint32_t slot):
        """Drop a slot's references (handler or steps, arguments or key) and flags.
        The references die last, at return: a handler's __del__ may set a timer, which
        can reuse this very slot, so the slot must be fully cleared before it runs."""
        if self._slots[slot].flags & F_UNREF:
            self._unrefd -= 1
        self._slots[slot].flags = 0
        handler = self._objs[2 * slot]
        rest = self._objs[2 * slot + 1]
        self._objs[2 * slot] = None
        self._objs[2 * slot + 1] = None

    cdef inline void _release(self, uint32_t slot):
        """A fired slot's task is over: forget it, and let the wheel reuse the slot."""
        tw_release(&self._wheel._w, tw_slot_handle(&self._wheel._w, slot))
        self._forget(slot)

    cdef inline bint _cancel_pending(self, uint32_t slot):
        """If the slot's timer is still pending in the wheel, cancel and forget it."""
        if not tw_cancel(&self._wheel._w, tw_slot_handle(&self._wheel._w, slot)):
            return False
        self._forget(slot)
        return True

    cdef inline int _check_open(self) except -1:
        """Every call that changes the scope passes here: open, and from its own thread
        (a pthread_self() compare, ~1 ns; the data it guards is not locked)."""
        if self._closed:
            raise RuntimeError("this scope is closed")
        if PyThread_get_thread_ident() != self._owner:
            self._wrong_thread()
        return 0

    cdef int _wrong_thread(self) except -1:
        raise RuntimeError(
            "a scope belongs to the thread that created it; from other threads use "
            "schedule_threadsafe() (or loop.call_soon_threadsafe on a hosted scope)")

    # -- §8.6 timers ------------------------------------------------------------------

    def setTimeout(self, handler, timeout=0, *arguments):
        """HTML §8.6 setTimeout(): run ``handler(*arguments)`` after ``timeout`` ms.

        A non-callable handler is converted with ``str()`` now and run as Python source
        in ``namespace`` when the timer fires. ``timeout=None`` is 0, as ``undefined`` is.
        An ``async def`` handler runs as an asyncio task on a hosted scope (a TypeError on
        one that is not). Returns the timer's id (int > 0).
        """
        return self._set_timer(handler, timeout, arguments, False)

    def setInterval(self, handler, timeout=0, *arguments):
        """HTML §8.6 setInterval(): like setTimeout, repeating every ``timeout`` ms."""
        return self._set_timer(handler, timeout, arguments, True)

    cdef inline int32_t _set_timer(self, object handler, object timeout, tuple arguments,
                                   bint repeat) except -1:
        """WebIDL conversions in argument order (the handler: a callable, or a DOMString
        now; then the timeout, a long), then the timer initialization steps."""
        cdef bint is_string = not callable(handler)
        if is_string:
            handler = _domstring(handler)
        elif self._wake is None and _is_async_function(handler):
            _no_coroutines_here("setInterval" if repeat else "setTimeout")
        return self._init_timer(handler, is_string, _timeout_arg(timeout), arguments, repeat)

    def clearTimeout(self, id=0):
        """Remove ``id`` from the map of active timers; unknown ids (and None) do nothing."""
        self._clear(id)

    def clearInterval(self, id=0):
        """The same as clearTimeout: both clear entries from one map."""
        self._clear(id)

    cdef int32_t _init_timer(self, object handler, bint is_string, int timeout,
                             tuple arguments, bint repeat, int32_t previous_id=0,
                             uint32_t previous_slot=0) except -1:
        """The timer initialization steps (§8.6), steps 2-14."""
        cdef int32_t id
        cdef int nesting
        cdef int64_t h
        cdef uint32_t slot
        self._check_open()
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
        deadline = self._now() + timeout
        if self._wake is not None and deadline < self._armed_ms:
            self._armed_ms = deadline
            self._wake()
        if previous_id:
            slot = previous_slot
            if tw_rearm(&self._wheel._w, tw_slot_handle(&self._wheel._w, slot), deadline) < 0:
                raise MemoryError()
        else:
            h = self._wheel._insert(deadline, 0)
            slot = <uint32_t>h
            self._ensure_slot(slot)
            if tc_idmap_put(&self._ids, id, <int32_t>slot) < 0:
                tw_cancel(&self._wheel._w, h)
                raise MemoryError()
            self._objs[2 * slot] = handler
            self._objs[2 * slot + 1] = arguments
            self._slots[slot].id = id
        self._slots[slot].timeout = timeout
        self._slots[slot].nesting = <uint8_t>nesting
        self._slots[slot].flags = (F_LIVE | (F_REPEAT if repeat else 0) | (F_STRING if is_string else 0)
                                   | (self._slots[slot].flags & F_UNREF if previous_id else 0))
        # 14.
        return id

    cdef int32_t _new_id(self) except -1:
        cdef int32_t id
        while True:
            id = self._next_id
            self._next_id = 1 if id == ID_MAX else id + 1
            if tc_idmap_get(&self._ids, id) < 0:
                return id

    cdef int _clear(self, object id) except -1:
        cdef int32_t slot, key
        cdef int overflow = 0
        cdef long long as_c = 0
        if PyThread_get_thread_ident() != self._owner:
            self._wrong_thread()
        if type(id) is int:
            as_c = PyLong_AsLongLongAndOverflow(id, &overflow)
        if type(id) is int and not overflow and 0 < as_c <= ID_MAX:
            key = <int32_t>as_c
        elif type(id) is int and not overflow and -0x80000000 <= as_c <= 0:
            return 0         # no wrap can make it an id
        elif id is None or isinstance(id, (str, bytes)) or not (
                hasattr(type(id), "__index__") or hasattr(type(id), "__float__")):
            return 0         # accepted and ignored: it names no timer
        else:
            key = to_long(id, "id")
            if key <= 0:
                return 0
        slot = tc_idmap_get(&self._ids, key)
        if slot < 0:
            return 0
        tc_idmap_del(&self._ids, key)
        if self._slots[slot].flags & F_UNREF:
            self._unrefd -= 1
        self._slots[slot].flags &= ~(F_LIVE | F_UNREF)
        # Pending in the wheel: gone now. Fired or running: its task sees !F_LIVE (9.1/9.4).
        self._cancel_pending(<uint32_t>slot)
        return 0

    cdef int _run_timer_task(self, int64_t handle) except -1:
        """The task of timer initialization step 9 (or a run-steps completion)."""
        cdef uint32_t slot = <uint32_t>handle   # the low 32 bits: the slot
        cdef uint8_t flags = self._slots[slot].flags
        cdef int32_t id
        if flags & F_RUNSTEPS:
            return self._run_completion_steps(slot)
        # 9.1 If id is no longer in the map of active timers, abort.
        if not flags & F_LIVE:
            self._release(slot)
            return 0
        tc_lat_record(&self._lateness, 0, self._now() - tw_slot_deadline(&self._wheel._w, slot))
        handler = self._objs[2 * slot]
        args = self._objs[2 * slot + 1]
        id = self._slots[slot].id
        self._current_nesting = self._slots[slot].nesting
        try:
            # 9.2 / 9.3: call the Function, or compile and run the string.
            try:
                if flags & F_STRING:
                    if self._run_string(handler) < 0:
                        # 9.3.2 The compile-strings check threw: abort these steps (an
                        # interval does not repeat; the entry leaves the map).
                        self._slots[slot].flags &= ~F_LIVE
                        tc_idmap_del(&self._ids, id)
                else:
                    result = handler() if args is NO_ARGS else handler(*args)
                    if result is not None and _is_coroutine(result):
                        self._run_coroutine(result)      # an async def handler
            except Exception as exc:
                self.report_exception(exc)
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
                    tc_idmap_del(&self._ids, id)
                    self._release(slot)
            self._current_nesting = 0
        # The event loop's microtask checkpoint after the task.
        if self._microtasks:
            self._checkpoint()
        return 0

    cdef int _run_string(self, str source) except -2:
        """Returns -1 if the compile-strings check refused the source (reported)."""
        # 9.3.2 HostEnsureCanCompileStrings.
        policy = self._string_policy
        if policy is not True and (policy is False or not policy(source)):
            self.report_exception(CompileStringsError(
                "string handlers are not allowed in this scope (string_handlers)"))
            return -1
        # 9.3.3-8 Create and run a classic script, in the global scope like eval().
        exec(compile(source, "<timer string handler>", "exec"), self._namespace())
        return 0

    def _namespace(self):
        if self.namespace is None:
            self.namespace = self._default_namespace()
        return self.namespace

    def _default_namespace(self):
        return {}

    # -- Node-style extensions (documented as such: not in the HTML Standard) ------------

    cdef int32_t _live_slot(self, object id) except -2:
        """The slot of a live numeric timer id, or -1 (any other value names no timer)."""
        cdef int overflow = 0
        cdef long long key
        if PyThread_get_thread_ident() != self._owner:
            self._wrong_thread()
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
        deadline = self._now() + self._slots[slot].timeout
        rc = tw_reschedule(&self._wheel._w, tw_slot_handle(&self._wheel._w, slot), deadline)
        if rc < 0:
            raise MemoryError()
        if rc and self._wake is not None and deadline < self._armed_ms:
            self._armed_ms = deadline
            self._wake()
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
        if PyThread_get_thread_ident() != self._owner:
            self._wrong_thread()
        try:
            arr = np.asarray(ids)
        except (TypeError, ValueError, OverflowError) as exc:
            raise TypeError(f"ids must be a 1-d array of timer ids: {exc}") from None
        if arr.ndim != 1 or (arr.shape[0] and arr.dtype.kind not in "iu"):
            raise TypeError(f"ids must be a 1-d array of integers, not {arr.dtype} "
                            f"with {arr.ndim} dimensions")
        v = np.ascontiguousarray(arr, dtype=np.int64)
        n = v.shape[0]
        now = self._now()
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
        if self._wake is not None and earliest < self._armed_ms:
            self._armed_ms = earliest
            self._wake()
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
        return self._unrefd > 0 and self._ids.len + len(self._run_keys) == self._unrefd

    def _waits_for_timers(self):
        """Does run() wait for the active timers? (False when all are unref'd.)"""
        return self._ids.len + len(self._run_keys) > self._unrefd

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
        return ids[order], deadlines[order] + self._suspended_total, orderings[order]

    def _lateness_of(self, str ordering_identifier):
        cdef const tc_lat *h = NULL
        o = self._orderings.get(ordering_identifier)
        if o is not None:
            h = tc_lat_get(&self._lateness, <uint16_t>o)
        return lateness_stats(h)

    def reset_lateness_stats(self):
        """Forget the lateness recorded so far."""
        tc_lat_reset(&self._lateness)

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
        cdef int64_t h
        cdef uint32_t slot
        self._check_open()
        if not callable(completion_steps):
            raise TypeError("completion_steps must be callable, "
                            f"not {type(completion_steps).__name__}")
        if isinstance(milliseconds, (str, bytes)) or not hasattr(type(milliseconds), "__float__"):
            raise TypeError(f"milliseconds must be a number, not {type(milliseconds).__name__}")
        ms = float(milliseconds)
        if not isfinite(ms) or abs(ms) > MAX_TIME_MS:
            raise ValueError(f"milliseconds must be finite and within 2**53, got {ms!r}")
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
        deadline = self._now() + ms
        if self._wake is not None and deadline < self._armed_ms:
            self._armed_ms = deadline
            self._wake()
        h = self._wheel._insert(deadline, ordering)
        slot = <uint32_t>h
        self._ensure_slot(slot)
        self._objs[2 * slot] = completion_steps
        self._objs[2 * slot + 1] = key
        self._slots[slot].id = 0
        self._slots[slot].flags = F_LIVE | F_RUNSTEPS
        self._run_keys[key] = slot
        # 5. The waiting is the wheel's; the completion is _run_completion_steps.
        return key

    def _cancel_run_steps(self, key):
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
                      self._now() - tw_slot_deadline(&self._wheel._w, slot))
        steps = self._objs[2 * slot]
        key = self._objs[2 * slot + 1]
        try:
            try:
                # 5.5 Perform completionSteps (as a task: not a timer task, nesting 0).
                steps()
            except Exception as exc:
                self.report_exception(exc)
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
                slot = tc_idmap_get(&self._ids, key)
        else:
            slot = self._run_keys.get(key, -1)
        if slot < 0:
            raise KeyError(key)
        return tw_slot_deadline(&self._wheel._w, slot) + self._suspended_total

    def _active_keys(self):
        cdef uint32_t pos = 0
        cdef int32_t key, slot
        keys = []
        while tc_idmap_next(&self._ids, &pos, &key, &slot):
            keys.append(key)
        keys.sort()
        keys.extend(self._run_keys)
        return keys

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

    def _active_len(self):
        return self._ids.len + len(self._run_keys)

    def _next_active_expiry(self):
        """The smallest value in the map of active timers (clock time), or None."""
        cdef double d
        if tw_next_expiry(&self._wheel._w, &d):
            return None
        return d + self._suspended_total

    # -- requestIdleCallback: the hot steps ------------------------------------------

    def requestIdleCallback(self, callback, options=None, *, timeout=None):
        """W3C requestIdleCallback: queue ``callback(deadline)`` for the next idle period;
        returns its handle (1, 2, ... for the scope's lifetime). ``options`` may be
        ``{"timeout": ms}`` or an object with a ``timeout`` attribute; a positive timeout
        runs the callback with ``didTimeout=True`` if no idle period came first."""
        if options is not None or timeout is not None or not callable(callback):
            return self._request_idle_callback_steps(callback, options, timeout)
        self._check_open()
        # 1-3. The handle: the incremented idle callback identifier. 4. Push the callback.
        self._idle_identifier += 1
        self._idle_pending[self._idle_identifier] = callback
        if self._wake is not None:
            self._wake()
        return self._idle_identifier

    cdef inline double _idle_deadline(self, double cap) except? -1.0:
        """HTML computeDeadline: the period's start + 50, bounded by every value in the
        map of active timers (clock time), evaluated now."""
        cdef double nxt
        if not tw_next_expiry(&self._wheel._w, &nxt) and nxt + self._suspended_total < cap:
            return nxt + self._suspended_total
        return cap

    def _idle_deadline_now(self, double cap):
        return self._idle_deadline(cap)

    def _invoke_idle_callbacks(self, double cap):
        """The "invoke idle callbacks" task for a period whose deadline is capped at
        ``cap``. The spec runs one callback per task so that timers and microtasks
        interleave; this task runs a microtask checkpoint after each callback and yields
        to the loop as soon as a timer is due or another task is queued: the same order."""
        cdef IdleDeadline deadline
        cdef double nxt
        runnable = self._idle_runnable
        while runnable and not self._closed and not self._suspended:
            # 1. End early if other work became runnable: continue in a later task.
            if self._tasks or (not tw_next_expiry(&self._wheel._w, &nxt) and nxt <= self._now()):
                self._queue_task(self._invoke_idle_callbacks, cap)
                return
            # 2-3. Past the deadline: this period is over.
            if self._clock.now_ms() >= self._idle_deadline(cap):
                return
            handle, callback = runnable.popitem(False)
            if self._idle_timeouts:
                key = self._idle_timeouts.pop(handle, None)
                if key is not None:
                    self._cancel_run_steps(key)
            deadline = IdleDeadline.__new__(IdleDeadline)
            deadline._scope = self
            deadline._cap = cap
            try:
                callback(deadline)
            except Exception as exc:
                self.report_exception(exc)
            if self._microtasks:
                self._checkpoint()

    def _timed_out_deadline(self):
        """The IdleDeadline of a timeout: deadline = now, didTimeout = True."""
        cdef IdleDeadline d = IdleDeadline.__new__(IdleDeadline)
        d._scope = self
        d._cap = self._clock.now_ms()
        d._fixed = True
        d._did_timeout = True
        return d

    # -- §8.7 microtasks --------------------------------------------------------------

    def queueMicrotask(self, callback):
        """HTML §8.7: run ``callback()`` after the current task, before the next one."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        self._check_open()
        self._microtasks.append(callback)
        if self._wake is not None:
            self._wake()

    cdef int _checkpoint(self) except -1:
        """Perform a microtask checkpoint (microtasks queued meanwhile run in it too)."""
        if self._in_checkpoint:
            return 0
        self._in_checkpoint = True
        self._current_nesting = 0
        try:
            while self._microtasks:
                callback = self._microtasks.popleft()
                try:
                    callback()
                except Exception as exc:
                    self.report_exception(exc)
        finally:
            self._in_checkpoint = False
        return 0

    def _perform_microtask_checkpoint(self):
        self._checkpoint()

    # -- tasks and the loop's timer step ----------------------------------------------

    def _queue_task(self, callback, *args):
        """Queue a task (of a non-timer task source) on this scope's loop."""
        self._check_open()
        self._tasks.append((callback, args))
        if self._wake is not None:
            self._wake()

    def _run_queued_tasks(self):
        """Run the tasks queued so far (not those they queue), each followed by a
        microtask checkpoint. Returns how many ran."""
        cdef Py_ssize_t n = len(self._tasks), i
        for i in range(n):
            if self._closed or self._suspended or not self._tasks:
                return i
            callback, args = self._tasks.popleft()
            try:
                callback(*args)
            except Exception as exc:
                self.report_exception(exc)
            if self._microtasks:
                self._checkpoint()
        return n

    def _has_microtasks(self):
        return bool(self._microtasks)

    def _has_tasks(self):
        """Whether a task is runnable (none is while suspended: not fully active)."""
        return not self._suspended and (bool(self._tasks) or self._batch_pos < self._batch.len)

    def _run_due_timers(self, double jump_until=-INFINITY):
        """Run every timer due now, in order, one task each, with a microtask checkpoint
        after each. On a VirtualClock, also jump from expiry to expiry up to
        ``jump_until`` (clock time) while no other task is queued. Returns the count."""
        cdef Py_ssize_t count = self._run_batch()
        cdef double now, nxt, limit = jump_until - self._suspended_total
        cdef int64_t fired
        while not self._closed and not self._suspended:
            now = self._now()
            if now < self._wheel._w.now:
                now = self._wheel._w.now      # a foreign clock went back: time stands still
            if tw_next_expiry(&self._wheel._w, &nxt):
                break
            if nxt > now:
                if not self._virtual or nxt > limit or self._tasks or self._idle_pending \
                        or self._idle_runnable:
                    break         # (an idle period may start before that timer)
                if limit == INFINITY and self._only_unrefd():
                    break     # run(): nothing left that it waits for
                self._clock.jump_to(nxt + self._suspended_total)
                now = nxt
            self._batch.len = 0
            self._batch_pos = 0
            with nogil:
                fired = tw_advance(&self._wheel._w, now, &self._batch, 0)
            if fired < 0 and self._batch.len == 0:
                raise MemoryError()       # nothing fired, nothing lost: the next turn retries
            count += self._run_batch()
        return count

    cdef Py_ssize_t _run_batch(self) except -1:
        cdef Py_ssize_t n = 0
        while self._batch_pos < self._batch.len and not self._closed and not self._suspended:
            if self.timer_tasks_run == self._task_limit:
                raise TaskLimitReached()   # before the task: the rest stay for next time
            self._batch_pos += 1       # first: an exception leaves the rest for next time
            self.timer_tasks_run += 1
            self._run_timer_task(self._batch.data[self._batch_pos - 1])
            n += 1
        return n

    @staticmethod
    def _fail_allocation_after(long long k):
        """Tests: make the k-th next allocation of this module's C core (wheel, id map)
        fail (-1: stop injecting)."""
        global tc_fail_countdown
        tc_fail_countdown = k

    def _set_task_limit(self, long long limit):
        """run_all: raise TaskLimitReached once timer_tasks_run reaches ``limit`` (-1: off)."""
        self._task_limit = limit

    def _set_next_id(self, int32_t id):
        """Tests: the id counter's next candidate (to reach the 2**31 - 1 wrap)."""
        if not 0 < id <= ID_MAX:
            raise ValueError(f"id must be in 1..{ID_MAX}")
        self._next_id = id

    def _set_host(self, wake):
        """Hosting (timercore.aio): ``wake()`` is called whenever a task or microtask is
        queued, or a timer is set earlier than the armed time (see _set_armed)."""
        self._wake = wake
        self._armed_ms = INFINITY

    def _set_armed(self, double clock_ms):
        """The host's one scheduled wake-up, on the scope's clock (inf: none)."""
        self._armed_ms = clock_ms - self._suspended_total

    def _queue_wake(self):
        """Tell the asyncio host (if any) that work appeared."""
        if self._wake is not None:
            self._wake()

    def _jump_clock(self, double t_ms):
        """Move a VirtualClock forward to t_ms (real clocks ignore it)."""
        self._clock.jump_to(t_ms)

    def _enter_loop(self):
        self._check_open()
        if self._running:
            raise RuntimeError("this scope's loop is already running: run() cannot be called "
                               "from inside one of its tasks")
        self._running = True

    def _exit_loop(self):
        self._running = False

    # -- errors and closing ------------------------------------------------------------

    # report_exception(exc) is the façade's (events.EventTarget): it fires the ErrorEvent.

    def close(self):
        """Clear every timer, task and microtask; the scope is unusable afterwards."""
        if self._closed:
            return
        self._closed = True
        self._wheel = TimerWheel(self._wheel._w.resolution, 0.0)
        tc_idmap_free(&self._ids)
        tc_idmap_init(&self._ids)
        self._run_keys.clear()
        self._objs = [None] * (2 * self._cap)
        self._microtasks.clear()
        self._tasks.clear()
        self._batch.len = 0
        self._batch_pos = 0
        self._unrefd = 0

    @property
    def closed(self):
        return self._closed

    # snake_case aliases
    set_timeout = setTimeout
    set_interval = setInterval
    clear_timeout = clearTimeout
    clear_interval = clearInterval
    queue_microtask = queueMicrotask


# WebIDL conversions happen in argument order, before the algorithm runs: the handler
# (a callable, or else a DOMString right now), then the timeout as a long.

cdef inline bint _is_coroutine(object value):
    return type(value) is _CoroutineType or _iscoroutine(value)


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
            return 0
        d = trunc(d)
        if -2147483648.0 <= d <= 2147483647.0:
            return <int>d
    elif timeout is None:
        return 0             # undefined (an omitted timeout) converts to 0
    return to_long(timeout, "timeout")


cdef int _no_coroutines_here(str method) except -1:
    raise TypeError(f"{method}() got an async function: its coroutine can only run on a "
                    "scope hosted on asyncio (Window(loop=asyncio.get_running_loop())); "
                    "or schedule a plain function that starts it")


@cython.final
cdef class IdleDeadline:
    """What an idle callback receives: ``timeRemaining()`` (ms) and ``didTimeout``."""
    cdef ScopeCore _scope
    cdef double _cap          # the period's start + 50 ms, or the fixed deadline
    cdef bint _fixed          # a timeout's deadline: now at its invocation
    cdef bint _did_timeout

    def __init__(self):
        raise TypeError("IdleDeadline objects are made by the scope, not by callers")

    def timeRemaining(self):
        """max(0, deadline - now), the deadline re-evaluated on every call (a timer set
        inside the callback shortens it)."""
        cdef double d = self._cap if self._fixed else self._scope._idle_deadline(self._cap)
        cdef double r = d - self._scope._clock.now_ms()
        return r if r > 0 else 0.0

    def time_remaining(self):
        return self.timeRemaining()

    @property
    def didTimeout(self):
        return self._did_timeout

    @property
    def did_timeout(self):
        return self._did_timeout

    def __repr__(self):
        return f"<IdleDeadline timeRemaining={self.timeRemaining()!r} didTimeout={self._did_timeout}>"


cdef void *_grow(void *p, size_t size) except NULL:
    cdef void *q = PyMem_Realloc(p, size)
    if q == NULL:
        raise MemoryError()
    return q
