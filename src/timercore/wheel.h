/* timercore's hierarchical timing wheel: plain C11, no Python objects.
 * The design is explained once, at the top of wheel.c. */
#ifndef TIMERCORE_WHEEL_H
#define TIMERCORE_WHEEL_H

#include <stddef.h>
#include <stdint.h>

#include "lateness.h"

#define TW_BITS 6
#define TW_SLOTS 64                      /* slots per level: one bit of a uint64 mask each */
#define TW_LEVELS 6                      /* 64**6 ticks = 2**36 ticks (~795 days at 1 ms) */
#define TW_LISTS (TW_LEVELS * TW_SLOTS)  /* list index of every level slot */
#define TW_OVERFLOW TW_LISTS             /* list index of the overflow list */
#define TW_DEAD 0x8000                   /* flag on a list index: cancelled, still in that list's
                                          * vector until the list is swept (see wheel.c, 4) */
#define TW_FIRED 0xFFFE                  /* list index: handed out by advance, not yet released */
#define TW_FREE 0xFFFF                   /* list index: free (on the free-slot stack) */
#define TW_NIL (-1)
#define TW_GEN_MAX 0x7FFFFFFFu           /* handles stay positive int64; a slot is retired after it */
#define TW_MAX_ORDERING 0xFFFF           /* ordering ids are 0..65535 */
#define TW_CANCEL_LOG 64                 /* cancellations whose counts wait to be settled
                                          * (see wheel.c, 4) */

/* One pending timer: 32 bytes, so an aligned slab puts each in one cache line. Its tick
 * is not stored: it is max(tick_of(deadline), elapsed), recomputed when filed. */
typedef struct tw_entry {
    double deadline;     /* exact deadline in ms: "never early" compares this, not the slot */
    uint64_t seq;        /* insertion sequence: FIFO among equal deadlines */
    int32_t pos;         /* index in its list's vector */
    uint32_t gen;        /* generation: bumped on release, so a stale handle never matches */
    uint16_t ordering;   /* ordering identifier */
    uint16_t list;       /* which list holds it: 0..TW_LISTS-1 or TW_OVERFLOW (pending; with
                          * TW_DEAD: cancelled, not yet swept), TW_FIRED, TW_FREE */
    uint32_t spare;
} tw_entry;

/* A slot's timers: a vector of slab indices (unordered: firing sorts each tick), `dead`
 * of them cancelled and not yet swept. A list with no live timer is always swept empty. */
typedef struct tw_vec {
    int32_t *items;
    uint32_t len, cap;
    uint32_t dead;
} tw_vec;

/* Sort key of a due timer; also the scratch type for one due batch. */
typedef struct tw_due {
    double deadline;
    uint64_t seq;
    uint32_t slot;
    uint32_t gen;        /* its generation when it fired (the handle handed out) */
} tw_due;

typedef struct tw_wheel {
    tw_entry *slab;
    uint32_t cap;            /* entries allocated */
    uint32_t used;           /* high-water mark: slots [0, used) have been handed out */
    int32_t *free_slots;     /* free slots, a LIFO stack with room for `cap`: the most recently
                              * freed is warm in cache, and taking one never waits on the slab
                              * however scattered the frees were (a list threaded through the
                              * slab did: one dependent cache miss per insert) */
    uint32_t free_count;     /* slots on the stack */
    uint64_t len;            /* pending timers (not fired, not cancelled) */
    uint64_t max_timers;     /* capacity limit, 0 = unlimited */
    uint64_t next_seq;
    double origin;           /* ms at tick 0 */
    double resolution;       /* ms per tick */
    double per_ms;           /* ticks per ms: tick_of multiplies (monotone, like dividing) */
    double now;              /* last time passed to advance (ms) */
    uint64_t elapsed;        /* current tick: every level slot is placed relative to it */
    uint64_t occupied[TW_LEVELS];
    tw_vec lists[TW_LISTS + 1];  /* 6 x 64 level slots, then the overflow list */
    uint64_t overflow_min;   /* smallest tick on the overflow list (valid unless overflow_dirty) */
    int overflow_dirty;
    double next_cache;       /* exact next expiry (valid when next_valid) */
    int next_valid;
    int64_t *counts;         /* pending timers per ordering id, grown on demand */
    uint32_t counts_cap;
    tw_due *scratch;         /* one due batch, reused between advances */
    size_t scratch_cap;
    int track_lateness;      /* advance records now - deadline per fired timer in `lateness` */
    tc_lat_table lateness;
    uint64_t *free_bits;     /* caller-chosen slots only: one bit per slot, set while free
                              * (free_count then counts them; the stack is unused) */
    int caller_slots;
    int owner_tracks_fired;  /* tw_owner_tracks_fired: a fired timer's tag is left as it is */
    uint32_t *tags;          /* (in the slab's block, after its cap entries) per slot:
                              * generation << 1 | 1 while it holds a pending timer,
                              * bit 0 clear otherwise. A handle is pending iff its slot's tag
                              * is its generation << 1 | 1: 4 bytes a slot, which a cancel
                              * reads and writes instead of the 32-byte entry (wheel.c, 4) */
    uint32_t unsettled;      /* cancelled slots in `cancelled` whose entries, lists and
                              * ordering counts are not yet updated (wheel.c, 4) */
    uint32_t cancelled[TW_CANCEL_LOG];   /* each: a cancelled timer's slot */
} tw_wheel;

/* A growable int64 output buffer for advance. */
typedef struct tw_out {
    int64_t *data;
    size_t len, cap;
} tw_out;

/* Return conventions, read forwards at every call site:
 * - functions that change the wheel (init, reserve, insert_many, reschedule, rearm):
 *   >= 0 on success (reschedule and rearm: 1 done, 0 not pending), -1 on out-of-memory,
 *   -2 at max_timers (insert: the handle, > 0, on success);
 * - queries (cancel, lookup, contains, next_expiry): 1 found, 0 not found or empty. */
int tw_init(tw_wheel *w, double resolution_ms, double start_ms);
void tw_free(tw_wheel *w);
/* Make room for `extra` more timers (free slots count): inserting them cannot fail on
 * the slab. A large growth maps the new slots' pages at once (see prefault in wheel.c). */
int tw_reserve(tw_wheel *w, uint32_t extra);
/* Make room to count ordering ids up to `ordering` (so bulk inserts cannot fail half-way). */
int tw_reserve_ordering(tw_wheel *w, uint16_t ordering);
/* Insert; returns the handle (> 0), or -1 on out-of-memory, -2 at max_timers. */
int64_t tw_insert(tw_wheel *w, double deadline_ms, uint16_t ordering);
/* Insert n timers (orderings may be NULL: all 0), writing their handles in input order;
 * 0, or -1 on out-of-memory with nothing inserted. The caller has checked the deadlines
 * (finite), the orderings (0..TW_MAX_ORDERING), max_timers, and called tw_reserve(n) and
 * tw_reserve_ordering(max ordering). */
int tw_insert_many(tw_wheel *w, const double *deadlines, const int64_t *orderings, size_t n,
                   int64_t *handles);
/* Caller-chosen slots: the owner (timercore's map of active timers, which files each
 * timer at its id's home slot) picks every slot, from [0, capacity); tw_insert and
 * tw_insert_many are then refused (-1), and free slots are kept in a bitmap, not on the
 * stack. tw_caller_slots switches an empty wheel to this mode with `cap` free slots;
 * tw_grow_caller_slots adds free slots up to `cap`. 0, or -1 on out-of-memory. tw_advance
 * then keeps every fired slot (release is taken as 0) until the caller's tw_release. */
int tw_caller_slots(tw_wheel *w, uint32_t cap);
int tw_grow_caller_slots(tw_wheel *w, uint32_t cap);
/* With caller-chosen slots, the owner may also keep track of which of its slots have
 * fired: tw_advance then leaves a fired timer's tag as it was (pending), which saves a
 * cache line written a timer fired (its tag's: Window fire, 1M, alternating samples:
 * 198 -> 182 ns a timer, 177 before the tags). In return the owner asks nothing by slot
 * or handle (cancel, reschedule, lookup) of a slot that fired, until it files it again
 * (tw_insert_at, tw_rearm); tw_snapshot and tw_check go by the entry. The Window does
 * (F_FIRED, core/timers.pyx); the loop's timers do not. */
void tw_owner_tracks_fired(tw_wheel *w);
/* Insert at a free slot the caller chose: the handle, -1 on out-of-memory, -2 at
 * max_timers, -3 if the slot is not free. */
int64_t tw_insert_at(tw_wheel *w, uint32_t slot, double deadline_ms, uint16_t ordering);
/* The first free slot at or after `from`, going round once; -1 if none is free. */
int64_t tw_next_free(const tw_wheel *w, uint32_t from);
static inline int tw_slot_is_free(const tw_wheel *w, uint32_t slot) {
    return slot < w->used && ((w->free_bits[slot >> 6] >> (slot & 63)) & 1);
}
/* 1 if the handle named a pending timer (now cancelled), 0 otherwise. */
int tw_cancel(tw_wheel *w, int64_t handle);
/* The same for whatever timer is pending at a slot (its owner's, with caller-chosen
 * slots): no handle to check, so its entry is not read. */
int tw_cancel_slot(tw_wheel *w, uint32_t slot);
/* Apply the cancels not yet settled: their slots become free (wheel.c, 4). */
void tw_settle(tw_wheel *w);
/* Move a pending timer to a new deadline, keeping its handle (a fresh sequence number). */
int tw_reschedule(tw_wheel *w, int64_t handle, double deadline_ms);
/* The same for whatever timer is pending at a slot. */
int tw_reschedule_slot(tw_wheel *w, uint32_t slot, double deadline_ms);
/* File a fired (TW_FIRED) timer again at a new deadline, keeping its handle (intervals). */
int tw_rearm(tw_wheel *w, int64_t handle, double deadline_ms);
/* The deadline stored in a slot, pending or fired. */
double tw_slot_deadline(const tw_wheel *w, uint32_t slot);
/* The ordering id stored in a slot, pending or fired. */
uint16_t tw_slot_ordering(const tw_wheel *w, uint32_t slot);
/* The current handle of a slot (pending or fired). */
int64_t tw_slot_handle(const tw_wheel *w, uint32_t slot);
/* Fire every timer with deadline <= now_ms in (deadline, seq) order, appending handles to out.
 * If release is 0 the fired slots stay reserved (TW_FIRED) until tw_release; otherwise they
 * are freed at once. Returns the number fired, or -1 on out-of-memory (nothing is lost:
 * the wheel is unchanged past the last fully emitted tick). */
int64_t tw_advance(tw_wheel *w, double now_ms, tw_out *out, int release);
/* Free a slot handed out by advance(release=0). */
void tw_release(tw_wheel *w, int64_t handle);
/* Found: 1 and the exact next deadline in *out; 0 when the wheel is empty. */
int tw_next_expiry(tw_wheel *w, double *out);
/* 1 and *deadline if pending. */
int tw_lookup(const tw_wheel *w, int64_t handle, double *deadline);
int tw_contains(const tw_wheel *w, int64_t handle);
/* Pending handle -> slot index, or -1. */
int64_t tw_slot_of(const tw_wheel *w, int64_t handle);
int64_t tw_count(const tw_wheel *w, uint16_t ordering);
/* Every pending timer, in slab order: any output pointer may be NULL; each array must
 * hold w->len items. Returns the count written. */
uint64_t tw_snapshot(const tw_wheel *w, int64_t *handles, double *deadlines, uint64_t *seqs,
                     uint16_t *orderings);
/* Walk every structure and check invariants; returns 0 or a negative code naming the fault. */
int tw_check(const tw_wheel *w);
/* Tests only: set a free slot's generation (to reach the wrap without 2**31 reuses). */
int tw_debug_set_gen(tw_wheel *w, uint32_t slot, uint32_t gen);

void tw_out_free(tw_out *out);

static inline int64_t tw_handle(uint32_t slot, uint32_t gen) {
    return ((int64_t)gen << 32) | (int64_t)slot;
}

#endif
