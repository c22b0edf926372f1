# The event loop of a scope: EventLoop, declared in core/event_loop.pxd. One turn:
#
#     microtask checkpoint -> staged batches (schedule_threadsafe) -> queued tasks (the
#     idle-task source, ...) -> due timers, one task each with a checkpoint after each
#     (a VirtualClock jumps from expiry to expiry up to the horizon while nothing else
#     is queued) -> nothing ran: an idle period, if idle callbacks wait
#
# then _next_turn_at() says when the next turn is due. GlobalScope.run() (and the
# virtual-time helpers) wait for that time by sleeping or jumping the clock; the asyncio
# host arms one call_at for it.


class TaskLimitReached(Exception):
    """Internal: the task limit set by run_all() was reached (becomes LoopLimitError)."""


cdef class EventLoop(IdleCallbacks):
    """Turns of a scope's event loop."""

    def __cinit__(self, *args, **kwargs):
        self._task_limit = -1

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
        ran += self._run_due_timers(-INFINITY if not self._virtual or self._has_idle_work()
                                    else horizon)
        if ran or self._has_tasks():
            return True
        return may_idle and self._start_idle_period()

    def _next_turn_at(self, bint did_work, double idle_retry_ms=INFINITY):
        """When the next turn is due, on the scope's clock: -inf (now: a task or microtask
        is runnable, or idle callbacks wait and the work just done may have let an idle
        period start); the earliest timer expiry or end of the last idle period; or None,
        if nothing will become runnable by itself. ``idle_retry_ms``: an idle period could
        start now but the turn could not start it (the asyncio host's loop was busy):
        look again that much later."""
        cdef double t, idle, now
        cdef bint has_timer
        if self._has_tasks() or self._microtasks or (did_work and self._has_idle_work()):
            return -INFINITY
        if self._suspended:
            return None
        has_timer = self._next_expiry(&t)
        if has_timer:
            t = ScopeState._to_clock(self, t)
        if self._has_idle_work():
            idle = self._idle_blocked_until()
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
        return self._has_ref_timers() or self._has_idle_work() or self._has_tasks()

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
                if not self._virtual or nxt > limit or self._tasks or self._has_idle_work():
                    break         # (an idle period may start before that timer)
                if limit == INFINITY and self._only_unrefd():
                    break     # run(): nothing left that it waits for
                self._clock.jump_to(ScopeState._to_clock(self, nxt))
                now = nxt
            self._batch.len = 0
            self._batch_pos = 0
            with nogil:
                fired = tw_advance(&self._wheel._w, now, &self._batch, 0)
            if fired < 0 and self._batch.len == 0:
                raise MemoryError()       # nothing fired, nothing lost: the next turn retries
            count += self._run_batch()
        return count

    cdef inline void _prefetch_tasks(self, size_t pos) noexcept:
        """Start loading what the tasks a few places ahead will touch (they fired in
        deadline order: their slots and ids are anywhere in memory): their slot record,
        wheel entry and handler pointers eight ahead, their id's bucket four ahead (its
        id is read from the record loaded four tasks ago)."""
        cdef uint32_t s
        if pos + 8 < self._batch.len:
            s = <uint32_t>self._batch.data[pos + 8]
            prefetch(&self._slots[s])
            prefetch(&self._wheel._w.slab[s])
            prefetch_list_item(self._objs, 2 * s)
        if pos + 4 < self._batch.len:
            s = <uint32_t>self._batch.data[pos + 4]
            tc_idmap_prefetch(&self._ids, self._slots[s].id)

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
        IdleCallbacks.close(self)
        self._batch.len = 0
        self._batch_pos = 0
