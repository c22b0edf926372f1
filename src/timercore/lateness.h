/* Lateness statistics: how long after its deadline each timer fired, per ordering id.
 * A log-linear histogram (16 sub-buckets per power of two of microseconds, so a
 * quantile is within ~6 % of the truth) plus the exact count, sum and maximum: a record
 * is a few integer operations, and memory is ~5 KB per ordering id that has fired. */
#ifndef TIMERCORE_LATENESS_H
#define TIMERCORE_LATENESS_H

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

/* Record one lateness (ms; negative counts as 0). -1 if a new histogram cannot be
 * allocated (the sample is dropped; nothing else changes). */
int tc_lat_record(tc_lat_table *t, uint16_t ordering, double late_ms);
/* The histogram of an ordering id, or NULL if it never recorded. */
const tc_lat *tc_lat_get(const tc_lat_table *t, uint16_t ordering);
/* The q-quantile (0..1) in ms: the midpoint of its bucket, never above the maximum. */
double tc_lat_quantile(const tc_lat *h, double q);
void tc_lat_reset(tc_lat_table *t);
void tc_lat_free(tc_lat_table *t);

#endif
