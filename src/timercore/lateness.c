/* Lateness histograms: see lateness.h. */
#include "lateness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t bucket_of(uint64_t us) {
    if (us < TC_LAT_SUB) return (uint32_t)us;
    int e = 63 - __builtin_clzll(us);
    if (e > TC_LAT_MAX_EXP) return TC_LAT_BUCKETS - 1;
    uint32_t sub = (uint32_t)(us >> (e - TC_LAT_SUB_BITS)) & (TC_LAT_SUB - 1);
    return TC_LAT_SUB + (uint32_t)(e - TC_LAT_SUB_BITS) * TC_LAT_SUB + sub;
}

/* [lo, hi) of a bucket, in microseconds. */
static void bucket_bounds(uint32_t b, double *lo, double *hi) {
    if (b < TC_LAT_SUB) {
        *lo = b;
        *hi = b + 1;
        return;
    }
    uint32_t e = (b - TC_LAT_SUB) / TC_LAT_SUB + TC_LAT_SUB_BITS;
    uint32_t sub = (b - TC_LAT_SUB) % TC_LAT_SUB;
    double unit = ldexp(1.0, (int)(e - TC_LAT_SUB_BITS));
    *lo = (TC_LAT_SUB + sub) * unit;
    *hi = (TC_LAT_SUB + sub + 1) * unit;
}

int tc_lat_record(tc_lat_table *t, uint16_t ordering, double late_ms) {
    if (ordering >= t->cap) {
        uint32_t cap = t->cap ? t->cap : 4;
        while (cap <= ordering) cap *= 2;
        tc_lat **p = realloc(t->by_ordering, cap * sizeof(tc_lat *));
        if (!p) return -1;
        memset(p + t->cap, 0, (cap - t->cap) * sizeof(tc_lat *));
        t->by_ordering = p;
        t->cap = cap;
    }
    tc_lat *h = t->by_ordering[ordering];
    if (!h) {
        h = calloc(1, sizeof(tc_lat));
        if (!h) return -1;
        t->by_ordering[ordering] = h;
    }
    if (!(late_ms > 0)) late_ms = 0;   /* NaN too */
    double us = late_ms * 1000.0;
    h->buckets[bucket_of(us >= 1.8e19 ? UINT64_MAX : (uint64_t)us)]++;
    h->count++;
    h->sum_ms += late_ms;
    if (late_ms > h->max_ms) h->max_ms = late_ms;
    return 0;
}

const tc_lat *tc_lat_get(const tc_lat_table *t, uint16_t ordering) {
    return ordering < t->cap ? t->by_ordering[ordering] : NULL;
}

double tc_lat_quantile(const tc_lat *h, double q) {
    if (!h || h->count == 0) return 0.0;
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (uint32_t b = 0; b < TC_LAT_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            if (b == 0) return 0.0;      /* under 1 us: on time */
            double lo, hi;
            bucket_bounds(b, &lo, &hi);
            double mid = (lo + hi) / 2.0 / 1000.0;
            return mid < h->max_ms ? mid : h->max_ms;
        }
    }
    return h->max_ms;
}

void tc_lat_reset(tc_lat_table *t) {
    for (uint32_t k = 0; k < t->cap; k++) {
        free(t->by_ordering[k]);
        t->by_ordering[k] = NULL;
    }
}

void tc_lat_free(tc_lat_table *t) {
    tc_lat_reset(t);
    free(t->by_ordering);
    t->by_ordering = NULL;
    t->cap = 0;
}
