/* Context snapshots for the asyncio loop's timers, without a Context object per timer.
 *
 * asyncio gives each handle its own copy of the current context. A copy is a new object
 * around the same immutable map of variables (ctx_vars), so handles scheduled from an
 * unchanged context can share one snapshot, and a callback can run "in a fresh copy" of
 * it by entering the snapshot and putting its map back afterwards. Both need the map,
 * which CPython keeps in a struct of its internal headers (Include/internal/pycore_context.h)
 * whose layout was checked to be the same in 3.11, 3.12, 3.13, 3.14 and 3.15, as is
 * PyThreadState.context. On any other interpreter (3.16 until checked, free-threaded
 * builds, PyPy) or with TIMERCORE_PORTABLE_CONTEXT defined (the build option of the same
 * name, so CI runs that path too) TC_CTX_FAST is 0 and the callers use the public API
 * instead (a copy per timer). */
#ifndef TIMERCORE_CTXSNAP_H
#define TIMERCORE_CTXSNAP_H

#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x03100000 && \
    !defined(Py_LIMITED_API) && !defined(PYPY_VERSION) && !defined(Py_GIL_DISABLED) && \
    !defined(TIMERCORE_PORTABLE_CONTEXT)
#define TC_CTX_FAST 1
typedef struct {
    PyObject_HEAD
    PyObject *ctx_prev;
    PyObject *ctx_vars;
    PyObject *ctx_weakreflist;
    int ctx_entered;
} tc_context;
#else
#define TC_CTX_FAST 0
#endif

/* 1 if `snapshot` holds the very variables of the thread's current context. */
static inline int tc_ctx_is_current(PyObject *snapshot) {
#if TC_CTX_FAST
    PyObject *cur = PyThreadState_Get()->context;
    return cur != NULL && ((tc_context *)cur)->ctx_vars == ((tc_context *)snapshot)->ctx_vars;
#else
    (void)snapshot;
    return 0;
#endif
}

/* 1 if a callback is running in `snapshot` itself (so its variables will be put back):
 * never 1 on the portable path, where callbacks run in copies. */
static inline int tc_ctx_entered(PyObject *snapshot) {
#if TC_CTX_FAST
    return ((tc_context *)snapshot)->ctx_entered;
#else
    (void)snapshot;
    return 0;
#endif
}

/* 1 if a callback can run in `snapshot` itself (tc_ctx_save + enter ... exit +
 * tc_ctx_restore), 0 if it must run in a copy (another interpreter, or already entered). */
static inline int tc_ctx_can_share(PyObject *snapshot) {
    return TC_CTX_FAST && !tc_ctx_entered(snapshot);
}

/* A new reference to the snapshot's variables, for tc_ctx_restore. */
static inline PyObject *tc_ctx_save(PyObject *snapshot) {
#if TC_CTX_FAST
    PyObject *vars = ((tc_context *)snapshot)->ctx_vars;
    Py_INCREF(vars);
    return vars;
#else
    (void)snapshot;
    return NULL;
#endif
}

/* Put back the variables saved (what the callback set is dropped); steals `saved`. */
static inline void tc_ctx_restore(PyObject *snapshot, PyObject *saved) {
#if TC_CTX_FAST
    tc_context *c = (tc_context *)snapshot;
    PyObject *now = c->ctx_vars;
    c->ctx_vars = saved;
    Py_DECREF(now);
#else
    (void)snapshot;
    (void)saved;
#endif
}

#endif
