#include "idmap.h"
#include "faults.h"

#include <stdlib.h>

static inline uint32_t hash(int32_t key) {
    /* Ids are sequential: a multiplicative hash spreads neighbours across the table. */
    return (uint32_t)key * 0x9E3779B1u;
}

static int alloc_table(tc_idmap *m, uint32_t cap) {
    m->e = tc_alloc_fails() ? NULL : calloc(cap, sizeof(tc_idmap_entry));
    if (!m->e) return -1;
    m->mask = cap - 1;
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
}

int32_t tc_idmap_get(const tc_idmap *m, int32_t key) {
    for (uint32_t i = hash(key) & m->mask;; i = (i + 1) & m->mask) {
        if (m->e[i].key == key) return m->e[i].val;
        if (m->e[i].key == 0) return -1;
    }
}

static void put_fresh(tc_idmap *m, int32_t key, int32_t val) {
    uint32_t i = hash(key) & m->mask;
    while (m->e[i].key != 0) i = (i + 1) & m->mask;
    m->e[i].key = key;
    m->e[i].val = val;
}

static int grow(tc_idmap *m) {
    tc_idmap old = *m;
    if ((uint64_t)(old.mask + 1) * 2 > ((uint64_t)1 << 31)) return -1;
    if (alloc_table(m, (old.mask + 1) * 2) < 0) {
        *m = old;
        return -1;
    }
    for (uint32_t i = 0; i <= old.mask; i++)
        if (old.e[i].key) put_fresh(m, old.e[i].key, old.e[i].val);
    free(old.e);
    return 0;
}

int tc_idmap_put(tc_idmap *m, int32_t key, int32_t val) {
    uint32_t i = hash(key) & m->mask;
    for (; m->e[i].key != 0; i = (i + 1) & m->mask) {
        if (m->e[i].key == key) {
            m->e[i].val = val;
            return 0;
        }
    }
    if ((m->len + 1) * 2 > m->mask + 1) {
        if (grow(m) < 0) return -1;
        put_fresh(m, key, val);
    } else {
        m->e[i].key = key;
        m->e[i].val = val;
    }
    m->len++;
    return 0;
}

int tc_idmap_del(tc_idmap *m, int32_t key) {
    uint32_t i = hash(key) & m->mask;
    while (m->e[i].key != key) {
        if (m->e[i].key == 0) return 0;
        i = (i + 1) & m->mask;
    }
    /* Backward shift: pull later members of the probe run into the hole. */
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & m->mask; m->e[j].key != 0; j = (j + 1) & m->mask) {
        uint32_t home = hash(m->e[j].key) & m->mask;
        /* j may move to hole iff home is not cyclically in (hole, j]. */
        if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
            m->e[hole].key = m->e[j].key;
            m->e[hole].val = m->e[j].val;
            hole = j;
        }
    }
    m->e[hole].key = 0;
    m->len--;
    return 1;
}

int tc_idmap_next(const tc_idmap *m, uint32_t *pos, int32_t *key, int32_t *val) {
    for (uint32_t i = *pos; i <= m->mask; i++) {
        if (m->e[i].key) {
            *key = m->e[i].key;
            *val = m->e[i].val;
            *pos = i + 1;
            return 1;
        }
    }
    *pos = m->mask + 1;
    return 0;
}
