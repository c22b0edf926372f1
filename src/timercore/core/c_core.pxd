# The C core's declarations (wheel.h, lateness.h, idmap.h, faults.h, linepool.h, ctxsnap.h,
# intread.h), once.


cdef extern from "lateness.h" nogil:
    ctypedef struct tc_lat:
        uint64_t count
        double sum_ms
        double max_ms
    ctypedef struct tc_lat_table:
        tc_lat **by_ordering
        uint32_t cap
    int tc_lat_record(tc_lat_table *t, uint16_t ordering, double late_ms)
    const tc_lat *tc_lat_get(const tc_lat_table *t, uint16_t ordering)
    double tc_lat_quantile(const tc_lat *h, double q)
    void tc_lat_reset(tc_lat_table *t)
    void tc_lat_free(tc_lat_table *t)


cdef extern from "wheel.h" nogil:
    enum:
        TW_MAX_ORDERING
        TW_LEVELS
        TW_SLOTS

    ctypedef struct tw_entry:
        double deadline

    ctypedef struct tw_wheel:
        tw_entry *slab
        uint64_t len
        uint64_t max_timers
        double now
        double resolution
        uint64_t elapsed
        uint32_t used
        uint32_t cap
        uint32_t free_count
        int track_lateness
        tc_lat_table lateness

    ctypedef struct tw_out:
        int64_t *data
        size_t len
        size_t cap

    int tw_init(tw_wheel *w, double resolution_ms, double start_ms)
    void tw_free(tw_wheel *w)
    int tw_reserve(tw_wheel *w, uint32_t extra)
    int tw_reserve_ordering(tw_wheel *w, uint16_t ordering)
    int64_t tw_insert(tw_wheel *w, double deadline_ms, uint16_t ordering)
    int tw_insert_many(tw_wheel *w, const double *deadlines, const int64_t *orderings,
                       size_t n, int64_t *handles)
    bint tw_cancel(tw_wheel *w, int64_t handle)        # found (it was pending)
    bint tw_cancel_slot(tw_wheel *w, uint32_t slot)     # found (one was pending there)
    void tw_settle(tw_wheel *w)                         # cancelled slots now free
    int tw_reschedule(tw_wheel *w, int64_t handle, double deadline_ms)
    int tw_reschedule_slot(tw_wheel *w, uint32_t slot, double deadline_ms)
    int tw_rearm(tw_wheel *w, int64_t handle, double deadline_ms)
    double tw_slot_deadline(const tw_wheel *w, uint32_t slot)
    int64_t tw_slot_handle(const tw_wheel *w, uint32_t slot)
    uint16_t tw_slot_ordering(const tw_wheel *w, uint32_t slot)
    int64_t tw_advance(tw_wheel *w, double now_ms, tw_out *out, int release)
    void tw_release(tw_wheel *w, int64_t handle)
    bint tw_next_expiry(tw_wheel *w, double *out)     # found; False: empty
    bint tw_lookup(const tw_wheel *w, int64_t handle, double *deadline)  # found
    bint tw_contains(const tw_wheel *w, int64_t handle)
    int64_t tw_slot_of(const tw_wheel *w, int64_t handle)
    int64_t tw_count(const tw_wheel *w, uint16_t ordering)
    uint64_t tw_snapshot(const tw_wheel *w, int64_t *handles, double *deadlines,
                         uint64_t *seqs, uint16_t *orderings)
    int tw_check(const tw_wheel *w)
    int tw_debug_set_gen(tw_wheel *w, uint32_t slot, uint32_t gen)
    int tw_caller_slots(tw_wheel *w, uint32_t cap)
    int tw_grow_caller_slots(tw_wheel *w, uint32_t cap)
    void tw_owner_tracks_fired(tw_wheel *w)     # (the owner then asks nothing of fired slots)
    int64_t tw_insert_at(tw_wheel *w, uint32_t slot, double deadline_ms, uint16_t ordering)
    int64_t tw_next_free(const tw_wheel *w, uint32_t start)
    void tw_out_free(tw_out *out)


cdef extern from "idmap.h" nogil:
    ctypedef struct tc_idmap:
        uint32_t len
        uint32_t tombs
    int tc_idmap_init(tc_idmap *m)
    void tc_idmap_free(tc_idmap *m)
    int32_t tc_idmap_get(const tc_idmap *m, int32_t key)
    int tc_idmap_put(tc_idmap *m, int32_t key, int32_t val)
    int tc_idmap_del(tc_idmap *m, int32_t key)
    int tc_idmap_next(const tc_idmap *m, uint32_t *pos, int32_t *key, int32_t *val)
    void tc_idmap_prefetch(const tc_idmap *m, int32_t key)


cdef extern from "faults.h":
    long long tc_fail_countdown      # allocation-failure injection (tests)


cdef extern from "grow.h" nogil:
    size_t tc_grow_cap(size_t cap, size_t need, size_t first, size_t max_items)


cdef extern from "linepool.h":
    Py_ssize_t tc_linepool_chunks     # chunks mapped (tests)
    int tc_linepool_install(type t) except -1


cdef extern from "ctxsnap.h":
    int TC_CTX_FAST
    int tc_ctx_is_current(object snapshot) noexcept
    int tc_ctx_entered(object snapshot) noexcept
    int tc_ctx_can_share(object snapshot) noexcept
    PyObject *tc_ctx_save(object snapshot) noexcept
    void tc_ctx_restore(object snapshot, PyObject *saved) noexcept


cdef extern from "intread.h":
    int tc_read_small_int(object v, long long *out) noexcept


cdef extern from *:
    """
    static inline void tc_prefetch(const void *p) { __builtin_prefetch(p); }

    /* a % d for any 32-bit a, without a division: Lemire, Kaser and Kurz, "Faster
     * remainder by direct computation" (2019); magic = tc_fastmod_magic(d), d > 0. */
    static inline uint64_t tc_fastmod_magic(uint32_t d) {
        return UINT64_C(0xFFFFFFFFFFFFFFFF) / d + 1;
    }
    static inline uint32_t tc_fastmod(uint32_t a, uint64_t magic, uint32_t d) {
        return (uint32_t)(((__uint128_t)(magic * a) * d) >> 64);
    }

    static inline void tc_prefetch_list_item(PyObject *lst, Py_ssize_t i) {
        __builtin_prefetch(&PyList_GET_ITEM(lst, i));
    }

    /* f(*args) as a new reference, or NULL with the exception set: a call with no
       try/except around it (Cython's saves and restores the exception state each time). */
    static inline PyObject *tc_call(PyObject *f, PyObject *args) {
        return PyTuple_GET_SIZE(args) ? PyObject_Call(f, args, NULL) : PyObject_CallNoArgs(f);
    }

    /* Lets Cython code handle the exception a C call left set: "raises" it. */
    static inline int tc_raise_pending(void) { return -1; }

    /* lst[i] = v, i in range: the store Cython's generic item assignment makes out of
       line in this module (two calls per setTimeout). */
    static inline void tc_list_store(PyObject *lst, Py_ssize_t i, PyObject *v) {
        PyObject *old = PyList_GET_ITEM(lst, i);
        Py_INCREF(v);
        PyList_SET_ITEM(lst, i, v);
        Py_XDECREF(old);
    }

    /* An `async def` function, or a method of one: a flag of its code object. */
    static inline int tc_is_async_function(PyObject *f) {
        if (PyMethod_Check(f)) f = PyMethod_GET_FUNCTION(f);
        return PyFunction_Check(f) &&
               (((PyCodeObject *)PyFunction_GET_CODE(f))->co_flags & CO_COROUTINE) != 0;
    }
    """
    void prefetch "tc_prefetch" (const void *p) noexcept nogil
    uint64_t fastmod_magic "tc_fastmod_magic" (uint32_t d) noexcept nogil
    uint32_t fastmod "tc_fastmod" (uint32_t a, uint64_t magic, uint32_t d) noexcept nogil
    PyObject *call_object "tc_call" (object f, tuple args) noexcept
    int raise_pending "tc_raise_pending" () except -1
    void list_store "tc_list_store" (list lst, Py_ssize_t i, object v) noexcept
    void prefetch_list_item "tc_prefetch_list_item" (list lst, Py_ssize_t i) noexcept
    bint is_async_function "tc_is_async_function" (object f) noexcept
