/* A small open-addressing hash map from positive int32 ids to int32 slab slots: the
 * id side of the HTML "map of active timers" without a Python dict entry per timer.
 *
 * Timer ids are issued in sequence, so a key's home bucket is the key itself (mod the
 * capacity): ids set one after another fill neighbouring buckets, eight to a cache line,
 * where a scattering hash would cost a cache miss per setTimeout at a million timers.
 * Linear probing; deletion leaves a tombstone (backward-shift deletion would walk the
 * whole run of neighbours an identity hash makes); the table is rebuilt when live
 * entries and tombstones pass half of it. */
#ifndef TIMERCORE_IDMAP_H
#define TIMERCORE_IDMAP_H

#include <stdint.h>

typedef struct tc_idmap_entry {
    int32_t key;        /* 0 = empty, -1 = tombstone */
    int32_t val;
} tc_idmap_entry;       /* key and value side by side: one cache miss per lookup */

typedef struct tc_idmap {
    tc_idmap_entry *e;
    uint32_t mask;      /* capacity - 1 (capacity is a power of two) */
    uint32_t len;
    uint32_t tombs;
} tc_idmap;

int tc_idmap_init(tc_idmap *m);
void tc_idmap_free(tc_idmap *m);
/* Value for key, or -1. */
int32_t tc_idmap_get(const tc_idmap *m, int32_t key);
/* Insert a key that is not in the map; 0, or -1 on out-of-memory (nothing changed). */
int tc_idmap_put(tc_idmap *m, int32_t key, int32_t val);
/* 1 if removed, 0 if absent. */
int tc_idmap_del(tc_idmap *m, int32_t key);
/* Start loading key's home bucket (a task that will look the key up soon). */
static inline void tc_idmap_prefetch(const tc_idmap *m, int32_t key) {
    __builtin_prefetch(&m->e[(uint32_t)key & m->mask]);
}
/* Iteration: *pos starts at 0; returns 1 and sets key/val while entries remain. */
int tc_idmap_next(const tc_idmap *m, uint32_t *pos, int32_t *key, int32_t *val);

#endif
