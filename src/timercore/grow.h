/* Growth by doubling: the one place the C core (and the Cython per-slot arrays, through
 * tc_grow_cap) decide how big a growing array gets, and reallocate it. */
#ifndef TIMERCORE_GROW_H
#define TIMERCORE_GROW_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "faults.h"

/* The capacity for `need` items: `cap` (or `first`, when 0) doubled until it holds them,
 * at most `max_items`; 0 if `need` exceeds `max_items`. */
static inline size_t tc_grow_cap(size_t cap, size_t need, size_t first, size_t max_items) {
    if (need > max_items) return 0;
    if (cap == 0) cap = first;
    while (cap < need) cap = cap > max_items / 2 ? max_items : cap * 2;
    return cap;
}

/* Make *data (malloc'd, *cap items of item_size) hold `need` items, zeroing the new ones
 * if `zero`. 0; or -1 on out-of-memory or an injected failure, with nothing changed. */
static inline int tc_grow(void **data, size_t *cap, size_t need, size_t item_size,
                          size_t first, size_t max_items, int zero) {
    if (need <= *cap) return 0;
    size_t n = tc_grow_cap(*cap, need, first, max_items);
    if (n == 0 || tc_alloc_fails()) return -1;
    void *p = realloc(*data, n * item_size);
    if (!p) return -1;
    if (zero) memset((char *)p + *cap * item_size, 0, (n - *cap) * item_size);
    *data = p;
    *cap = n;
    return 0;
}

#endif
