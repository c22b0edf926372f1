/* Lateness statistics: how long after its deadline each timer fired, per ordering id.
 * A log-linear histogram (16 sub-buckets per power of two of microseconds, so a
 * quantile is within ~6 % of the truth) plus the exact count, sum and maximum: a record
 * is a few integer operations, and memory is ~5 KB per ordering id that has fired. */
#ifndef TIMERCORE_LATENESS_H
#define TIMERCORE_LATENESS_H

#include <stddef.h>
#include <stdint.h>

#define TC_LAT_SUB_BITS 4
#define TC_LAT_SUB (1 << TC_LAT_SUB_BITS)
#define TC_LAT_MAX_EXP 40                 /* 2**40 us ~ 12.7 days: later values share a bucket */
#define TC_LAT_BUCKETS (TC_LAT_SUB + (TC_LAT_MAX_EXP - TC_LAT_SUB_BITS + 1) * TC_LAT_SUB)

typedef struct tc_lat {
    uint64_t count;
    double sum_ms;
    double max_ms;
    uint64_t buckets[TC_LAT_BUCKETS];
} tc_lat;

typedef struct tc_lat_table {
    tc_lat **by_ordering;   /* NULL until an ordering id first records */
    uint32_t cap;
} tc_lat_table;

/* The histogram of an ordering id, allocated on first use; NULL if it cannot be. */
tc_lat *tc_lat_slot(tc_lat_table *t, uint16_t ordering);

static inline uint32_t tc_lat_bucket(uint64_t us) {
    if (us < TC_LAT_SUB) return (uint32_t)us;
    int e = 63 - __builtin_clzll(us);
    if (e > TC_LAT_MAX_EXP) return TC_LAT_BUCKETS - 1;
    uint32_t sub = (uint32_t)(us >> (e - TC_LAT_SUB_BITS)) & (TC_LAT_SUB - 1);
    return TC_LAT_SUB + (uint32_t)(e - TC_LAT_SUB_BITS) * TC_LAT_SUB + sub;
}

/* Record one lateness (ms; negative and NaN count as 0). Inline: it runs once per fired
 * timer. -1 if a new histogram cannot be allocated (the sample is dropped). */
static inline int tc_lat_record(tc_lat_table *t, uint16_t ordering, double late_ms) {
    tc_lat *h = ordering < t->cap ? t->by_ordering[ordering] : NULL;
    if (__builtin_expect(h == NULL, 0) && (h = tc_lat_slot(t, ordering)) == NULL) return -1;
    if (!(late_ms > 0)) late_ms = 0;
    double us = late_ms * 1000.0;
    h->buckets[tc_lat_bucket(us >= 1.8e19 ? UINT64_MAX : (uint64_t)us)]++;
    h->count++;
    h->sum_ms += late_ms;
    if (late_ms > h->max_ms) h->max_ms = late_ms;
    return 0;
}
/* The histogram of an ordering id, or NULL if it never recorded. */
const tc_lat *tc_lat_get(const tc_lat_table *t, uint16_t ordering);
/* The q-quantile (0..1) in ms: the midpoint of its bucket, never above the maximum. */
double tc_lat_quantile(const tc_lat *h, double q);
void tc_lat_reset(tc_lat_table *t);
void tc_lat_free(tc_lat_table *t);

#endif
