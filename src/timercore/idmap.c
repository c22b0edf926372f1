#include "idmap.h"
#include "faults.h"

#include <stdlib.h>
#include <string.h>

#define TOMB (-1)

static inline uint32_t home(const tc_idmap *m, int32_t key) {
    return (uint32_t)key & m->mask;      /* sequential ids: neighbouring buckets */
}

static int alloc_table(tc_idmap *m, uint32_t cap) {
    m->e = tc_alloc_fails() ? NULL : calloc(cap, sizeof(tc_idmap_entry));
    if (!m->e) return -1;
    m->mask = cap - 1;
    m->tombs = 0;
    return 0;
}

int tc_idmap_init(tc_idmap *m) {
    m->len = 0;
    return alloc_table(m, 16);
}

void tc_idmap_free(tc_idmap *m) {
    free(m->e);
    m->e = NULL;
    m->len = 0;
    m->mask = 0;
    m->tombs = 0;
}

int32_t tc_idmap_get(const tc_idmap *m, int32_t key) {
    for (uint32_t i = home(m, key);; i = (i + 1) & m->mask) {
        if (m->e[i].key == key) return m->e[i].val;
        if (m->e[i].key == 0) return -1;
    }
}

/* Into the first empty or tombstone bucket of key's probe run (the caller knows the key
 * is absent). */
static void place(tc_idmap *m, int32_t key, int32_t val) {
    uint32_t i = home(m, key);
    while (m->e[i].key > 0) i = (i + 1) & m->mask;
    if (m->e[i].key == TOMB) m->tombs--;
    m->e[i].key = key;
    m->e[i].val = val;
}

/* Rebuild at a capacity that keeps the live entries at most a quarter full: grows, or
 * at the same size only sweeps the tombstones out. */
static int rebuild(tc_idmap *m, uint32_t need) {
    uint64_t cap = 16;
    while (cap < (uint64_t)need * 4) cap *= 2;
    if (cap > ((uint64_t)1 << 31)) return -1;
    tc_idmap old = *m;
    if (alloc_table(m, (uint32_t)cap) < 0) {
        *m = old;
        return -1;
    }
    for (uint32_t i = 0; i <= old.mask; i++)
        if (old.e[i].key > 0) place(m, old.e[i].key, old.e[i].val);
    free(old.e);
    return 0;
}

int tc_idmap_put(tc_idmap *m, int32_t key, int32_t val) {
    if ((uint64_t)(m->len + 1 + m->tombs) * 2 > (uint64_t)m->mask + 1 &&
            rebuild(m, m->len + 1) < 0)
        return -1;
    place(m, key, val);
    m->len++;
    return 0;
}

int tc_idmap_del(tc_idmap *m, int32_t key) {
    uint32_t i = home(m, key);
    while (m->e[i].key != key) {
        if (m->e[i].key == 0) return 0;
        i = (i + 1) & m->mask;
    }
    m->len--;
    if (m->e[(i + 1) & m->mask].key == 0) {
        m->e[i].key = 0;       /* the end of its run: no probe passes here, no tombstone */
        return 1;
    }
    m->e[i].key = TOMB;
    m->tombs++;
    return 1;
}

int tc_idmap_next(const tc_idmap *m, uint32_t *pos, int32_t *key, int32_t *val) {
    for (uint32_t i = *pos; i <= m->mask; i++) {
        if (m->e[i].key > 0) {
            *key = m->e[i].key;
            *val = m->e[i].val;
            *pos = i + 1;
            return 1;
        }
    }
    *pos = m->mask + 1;
    return 0;
}
