/* Lateness histograms: see lateness.h. */
#include "lateness.h"
#include "grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

tc_lat *tc_lat_slot(tc_lat_table *t, uint16_t ordering) {
    size_t cap = t->cap;
    if (tc_grow((void **)&t->by_ordering, &cap, (size_t)ordering + 1, sizeof(tc_lat *), 4,
                UINT16_MAX + 1, 1) < 0) return NULL;
    t->cap = (uint32_t)cap;
    if (!t->by_ordering[ordering]) t->by_ordering[ordering] = calloc(1, sizeof(tc_lat));
    return t->by_ordering[ordering];
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
