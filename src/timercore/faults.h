/* Allocation-failure injection for tests: every allocation site of the C core asks
 * tc_alloc_fails() first. Off (countdown < 0) it is one predictable branch; tests set
 * tc_fail_countdown = k to make the k-th next allocation fail (MemoryError paths). */
#ifndef TIMERCORE_FAULTS_H
#define TIMERCORE_FAULTS_H

#include <stdint.h>

extern int64_t tc_fail_countdown;

static inline int tc_alloc_fails(void) {
    if (__builtin_expect(tc_fail_countdown < 0, 1)) return 0;
    return tc_fail_countdown-- == 0;
}

#endif
