/* Cache-line-aligned memory for small Python objects: the asyncio loops' TimerHandle.
 *
 * A TimerHandle is 64 bytes. pymalloc carves its 64-byte blocks from 16 KiB pools after a
 * 48-byte pool header, so every block starts 48 bytes past a line boundary and straddles
 * two cache lines: a cancel or a fire in random order misses on both (the reference count
 * in one, the state in the other). Here each object is one 64-byte block of a line-aligned
 * chunk: one line, one miss.
 *
 * Chunks are 256 KiB, mapped at their own alignment, so a block finds its chunk by masking
 * its address; a chunk's first block is its header. Chunks with a free block form a list,
 * the one at its head serves allocations. A chunk whose blocks are all free again goes back
 * to the system, except one kept for the next burst. Called with the GIL held only (the
 * module declares it needs the GIL).
 *
 * Under AddressSanitizer objects keep CPython's allocator, so the sanitizer sees them:
 * tc_linepool_install is a no-op there. */
#ifndef TIMERCORE_LINEPOOL_H
#define TIMERCORE_LINEPOOL_H

#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "faults.h"

#if defined(__SANITIZE_ADDRESS__)
#define TC_LINEPOOL_ON 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TC_LINEPOOL_ON 0
#endif
#endif
#ifndef TC_LINEPOOL_ON
#define TC_LINEPOOL_ON 1
#endif

#define TC_LINE 64
#define TC_CHUNK ((size_t)256 * 1024)
#define TC_CHUNK_BLOCKS ((uint32_t)(TC_CHUNK / TC_LINE))  /* block 0 is the header */

typedef struct tc_chunk {
    struct tc_chunk *next, *prev;   /* the list of chunks with a free block */
    void *freed;                    /* freed blocks, linked through their first word */
    uint32_t used;                  /* blocks handed out */
    uint32_t fresh;                 /* blocks [fresh, TC_CHUNK_BLOCKS) never handed out */
} tc_chunk;

static tc_chunk *tc_open_chunks;    /* chunks with a free block; the head serves */
static tc_chunk *tc_spare_chunk;    /* an empty chunk kept for reuse, or NULL */
static Py_ssize_t tc_linepool_chunks;   /* chunks mapped (tests, memory accounting) */

static inline void tc_chunk_link(tc_chunk *c) {
    c->prev = NULL;
    c->next = tc_open_chunks;
    if (c->next) c->next->prev = c;
    tc_open_chunks = c;
}

static inline void tc_chunk_unlink(tc_chunk *c) {
    if (c->prev) c->prev->next = c->next;
    else tc_open_chunks = c->next;
    if (c->next) c->next->prev = c->prev;
}

/* A chunk with every block free, linked at the head; NULL on out-of-memory. */
static tc_chunk *tc_chunk_new(void) {
    tc_chunk *c = tc_spare_chunk;
    if (c) {
        tc_spare_chunk = NULL;
    } else {
        if (tc_alloc_fails()) return NULL;
        /* Map twice the size, keep the aligned chunk inside, unmap the rest. */
        char *raw = mmap(NULL, 2 * TC_CHUNK, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) return NULL;
        char *start = (char *)(((uintptr_t)raw + TC_CHUNK - 1) & ~(uintptr_t)(TC_CHUNK - 1));
        if (start > raw) munmap(raw, (size_t)(start - raw));
        munmap(start + TC_CHUNK, (size_t)(raw + 2 * TC_CHUNK - (start + TC_CHUNK)));
        c = (tc_chunk *)start;
        tc_linepool_chunks++;
    }
    c->freed = NULL;
    c->used = 0;
    c->fresh = 1;
    tc_chunk_link(c);
    return c;
}

static inline void *tc_linepool_alloc(void) {
    tc_chunk *c = tc_open_chunks;
    void *b;
    if (!c && !(c = tc_chunk_new())) return NULL;
    if (c->freed) {
        b = c->freed;
        c->freed = *(void **)b;
    } else {
        b = (char *)c + (size_t)c->fresh++ * TC_LINE;
    }
    if (++c->used == TC_CHUNK_BLOCKS - 1) tc_chunk_unlink(c);      /* full */
    return b;
}

static inline void tc_linepool_free(void *b) {
    tc_chunk *c = (tc_chunk *)((uintptr_t)b & ~(uintptr_t)(TC_CHUNK - 1));
    if (c->used == TC_CHUNK_BLOCKS - 1) tc_chunk_link(c);          /* was full */
    *(void **)b = c->freed;
    c->freed = b;
    if (--c->used == 0) {                                           /* all free again */
        tc_chunk_unlink(c);
        if (!tc_spare_chunk) {
            tc_spare_chunk = c;
        } else {
            munmap(c, TC_CHUNK);
            tc_linepool_chunks--;
        }
    }
}

static PyObject *tc_linepool_tp_alloc(PyTypeObject *type, Py_ssize_t nitems) {
    (void)nitems;
    void *b = tc_linepool_alloc();
    if (!b) return PyErr_NoMemory();
    memset(b, 0, (size_t)type->tp_basicsize);
    return PyObject_Init((PyObject *)b, type);
}

static void tc_linepool_tp_free(void *p) { tc_linepool_free(p); }

/* Make `type` (fixed size, at most one line, not tracked by the GC, no subclasses: a
 * final type) allocate its objects here. 1 if installed; 0 if not (a sanitizer build);
 * -1 with ValueError if the type does not qualify. */
static int tc_linepool_install(PyTypeObject *type) {
    if (type->tp_basicsize > TC_LINE || type->tp_itemsize != 0 ||
            PyType_HasFeature(type, Py_TPFLAGS_HAVE_GC) ||
            PyType_HasFeature(type, Py_TPFLAGS_BASETYPE)) {
        PyErr_Format(PyExc_ValueError, "%s cannot live in 64-byte lines", type->tp_name);
        return -1;
    }
    if (!TC_LINEPOOL_ON) return 0;
    type->tp_alloc = tc_linepool_tp_alloc;
    type->tp_free = tc_linepool_tp_free;
    return 1;
}

#endif
