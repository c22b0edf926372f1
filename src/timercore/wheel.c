/* timercore's hierarchical timing wheel.
 *
 * 1. What it is
 * -------------
 * A hashed, hierarchical timing wheel (Varghese & Lauck) in the style of Tokio's: six
 * levels of 64 slots; one tick is `resolution` ms (1 ms by default). A timer lives in
 * exactly one slot list, chosen from the highest bit in which its tick differs from the
 * wheel's current tick (`elapsed`): differing only in bits 0..5 puts it on level 0, in
 * bits 6..11 on level 1, and so on. Each level keeps a 64-bit occupancy mask, so the next
 * non-empty slot is one count-trailing-zeros away: the wheel never ticks through empty
 * slots, however far apart the timers are.
 *
 *   level  slot width        level range        (1 ms tick)
 *   0      1 tick   = 1 ms   64 ticks           64 ms
 *   1      64       = 64 ms  4,096              ~4 s
 *   2      4,096    ~4 s     262,144            ~4.4 min
 *   3      262,144  ~4.4 min 16,777,216         ~4.7 h
 *   4      2**24    ~4.7 h   2**30              ~12.4 days
 *   5      2**30    ~12 days 2**36              ~795 days
 *   overflow: ticks beyond level 5's range, one list, re-filed when time reaches their
 *   2**36-tick block. No timer is ever dropped or clamped.
 *
 *                elapsed
 *                   v
 *   level 0  [ . . . x x . x . . . ]   ticks of elapsed's 64-tick block
 *   level 1  [ . . . . x . . x . . ]   later 64-tick blocks of elapsed's 4096-tick block
 *   ...      each level's occupied slots lie after elapsed's own slot at that level,
 *            so the first occupied slot of the lowest non-empty level is the earliest.
 *
 * 2. Advancing and cascading
 * --------------------------
 * advance(now) repeatedly takes the earliest occupied slot whose first tick is <= now's
 * tick. On a level above 0 the slot is cascaded: elapsed moves to the slot's first tick
 * and each timer in it is filed again relative to the new elapsed, which puts it on a
 * lower level. On level 0 the slot holds exactly one tick: its due timers are handed out
 * in (exact deadline, insertion sequence) order. A slot above level 0 whose last tick is
 * before now's tick is all due, and its timers are the earliest left: it is handed out
 * the same way, straight from its level (no cascade, one sort; slots of more than
 * DIRECT_MAX timers still cascade, to keep the sort's scratch small). Then elapsed = now's
 * tick; every slot still occupied starts after it, so all placements stay valid.
 * Firing visits each due entry once, where the scan of its vector finds it (for timers
 * inserted in a run, slab order): it is marked fired (or freed) there, and its sort key
 * and handle go to a scratch batch; sorting the batch leaves only the handles to write
 * (in sorted order the slab would be visited at random). Large batches are sorted by
 * buckets on the deadline, small ones by insertion, each by (deadline, seq).
 *
 * 3. Guarantees, and where each is enforced
 * -----------------------------------------
 * - Never early: tick_of() is monotone (floor of a monotone float expression), so a timer
 *   whose deadline is > now has a tick >= now's tick. Slots of earlier ticks are due in
 *   full; in the slot of now's own tick the exact float deadline is compared (advance).
 * - Never late past the call: every timer with deadline <= now has tick <= now's tick and
 *   is reached by the loop in advance. Deadlines in the past are filed at elapsed.
 * - Deadline order with FIFO ties: ticks are taken in increasing order and each tick's
 *   batch is sorted by (deadline, seq); seq is a wheel-wide insertion counter, so the
 *   order does not depend on how a timer reached its slot (directly, by cascade, or from
 *   the overflow list).
 * - Stale handles never hit newer timers: a handle is (generation << 32) | slot and the
 *   generation is bumped whenever a slot is freed. A slot whose generation would pass
 *   2**31 - 1 is retired instead of reused, so a handle is never issued twice.
 *
 * 3a. Caller-chosen slots
 * -----------------------
 * A scope's map of active timers files each timer at a slot it picks (its id's home: see
 * core/timers.pyx), so that a lookup by id reads the slot it needs and no hash bucket
 * first. tw_caller_slots switches an empty wheel to that mode: the slots [0, used) are
 * all the caller's, free ones marked in free_bits (the stack is unused), tw_insert_at
 * files at a given free slot, tw_next_free finds the next free one, and tw_insert and
 * tw_insert_many are refused. Everything else (cancel, sweep, advance, release,
 * generations) is the same in both modes.
 *
 * 4. Trade-offs
 * -------------
 * Insert and cancel are O(1): a slot's timers are a vector of slab indices, and each
 * entry knows its position, so insert appends and a reschedule to another slot puts the
 * vector's last item into the hole. Cancel touches neither the vector nor the entry.
 * Called from Python in random order, each cancel waits for every address it reads (the
 * handle's int, then what it names), one call after the other: the interpreter's work
 * between two calls is more than the CPU looks ahead. So a cancel reads and writes only
 * its slot's tag (`tags`: generation << 1 | pending, 4 bytes a slot, 4 MB at a million
 * where the entries take 32, so more of it stays in cache and in the TLB's reach), and
 * logs the slot (`cancelled`, TW_CANCEL_LOG of them): the handle stops matching at once.
 * (1M pending, random order, alternating samples: TimerWheel.cancel 211 -> 172 ns,
 * Window.clearTimeout 427 -> 301.) settle() applies the log newest first, its entries
 * fetched first and in cache by then: each leaves the cached next expiry and its
 * ordering's count, and is taken off its vector if it is the last item (a timer cancelled
 * soon after it was set: newest first, so are timers set and cleared in turn in one
 * list), else flagged TW_DEAD and counted in its list's `dead`. It runs when the log is
 * full; before anything that reads vectors, those counts or the cached next expiry; and
 * before an insert would take a fresh slot (a cancelled one first: in set-and-clear churn
 * the one just cancelled, still in cache, is reused).
 * The flagged entries leave their vector in one sequential pass, a sweep, when they are
 * at least as many as the live ones in that list (amortised O(1) a cancel, and the slab
 * stays within twice the live timers plus TW_CANCEL_LOG), when the list has no live timer
 * left, and before it cascades or fires. Vectors rather than
 * intrusive linked lists because a cascade or a fire then walks a contiguous array whose
 * next entries can be prefetched, instead of chasing
 * one cache miss after another through a slab filled in random deadline order (5-10x
 * faster at 1M random deadlines). Vector order is not always insertion order; it need
 * not be, since each due batch is sorted by (deadline, seq) anyway (a sorted batch, the
 * usual case, is recognised in O(n) and left as it is). A timer is cascaded at most
 * once per level (at most 5 times, usually 1-2), so firing costs amortised O(levels) plus
 * the sort of its batch.
 * next_expiry() is exact: it scans the first occupied slot for its smallest deadline and
 * caches the answer until the set changes.
 *
 * 5. Memory
 * ---------
 * A cache-line-aligned slab of 32-byte tw_entry structs grown by doubling, indexed by
 * int32 (vectors hold indices, not pointers, so growth needs no fix-up); freed slots go on
 * a LIFO stack of slot indices (its own array, 4 bytes a slot: taking a slot never chases
 * a link through the slab). Per list a vector (4 bytes a timer, doubling; freed when a
 * large one empties). Per slot a 4-byte tag (section 4). Fixed per wheel: 385 vectors, 6
 * masks, a scratch, the cancel log.
 *
 * 6. Tests
 * --------
 * tests/test_wheel_model.py drives this wheel and a heap model (timercore.testing) with
 * the same random inserts, cancels and advances (Hypothesis) and requires identical fired
 * handles in identical order, len and next_expiry at every step, and tw_check() == 0.
 */
#include "wheel.h"
#include "grow.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif


_Static_assert(sizeof(tw_entry) == 32, "tw_entry must stay 32 bytes (one half cache line)");
_Static_assert(TW_CANCEL_LOG <= 64, "settle_cancelled keeps a bit a logged cancel in a uint64_t");

int64_t tc_fail_countdown = -1;

#define TICK_CAP ((uint64_t)1 << 62)   /* ticks past this share one tick; exact compare decides */
#define LEVEL_MASK(l) (((uint64_t)1 << (TW_BITS * ((l) + 1))) - 1)

static inline uint64_t tick_of(const tw_wheel *w, double ms) {
    double q = (ms - w->origin) * w->per_ms;
    if (!(q > 0.0)) return 0;
    if (q >= (double)TICK_CAP) return TICK_CAP;
    return (uint64_t)q;
}

/* A timer's tick: a deadline already passed is due at the current tick. */
static inline uint64_t entry_tick(const tw_wheel *w, const tw_entry *e) {
    uint64_t t = tick_of(w, e->deadline);
    return t < w->elapsed ? w->elapsed : t;
}

/* The level a timer due at tick `when` files into, seen from tick `elapsed`: the highest
 * 6-bit digit in which the two ticks differ. OR-ing in TW_SLOTS - 1 makes ticks that differ
 * only in the lowest digit (or not at all) level 0, and keeps `masked` non-zero, which
 * __builtin_clzll needs (its result is undefined for 0). Levels past TW_LEVELS - 1 go to
 * the overflow list (the caller's job). Enumerated at every digit boundary by
 * tests/test_wheel.py::test_level_boundaries_fire_exactly_on_their_tick. */
static inline int level_for(uint64_t elapsed, uint64_t when) {
    uint64_t masked = (elapsed ^ when) | (TW_SLOTS - 1);
    assert(masked != 0);
    int significant = 63 - __builtin_clzll(masked);
    assert(significant >= TW_BITS - 1 && significant <= 63);
    return significant / TW_BITS;
}

/* ---- lists: vectors of slab indices ------------------------------------------------ */

static inline void mark_occupied(tw_wheel *w, int list) {
    if (list < TW_LISTS) w->occupied[list / TW_SLOTS] |= (uint64_t)1 << (list % TW_SLOTS);
}

static inline void mark_empty(tw_wheel *w, int list) {
    if (list < TW_LISTS) {
        w->occupied[list / TW_SLOTS] &= ~((uint64_t)1 << (list % TW_SLOTS));
    } else {
        w->overflow_min = UINT64_MAX;
        w->overflow_dirty = 0;
    }
}

static int vec_reserve(tw_vec *v, uint32_t extra) {
    if (v->len + extra <= v->cap) return 0;
    size_t cap = v->cap;
    if (tc_grow((void **)&v->items, &cap, (size_t)v->len + extra, sizeof(int32_t), 4,
                INT32_MAX, 0) < 0) return -1;
    v->cap = (uint32_t)cap;
    return 0;
}

/* Append slot i to the vector of `list`, which has room (vec_reserve first); returns its
 * position there. The entry's own list and pos are the caller's to write. */
static inline uint32_t vec_append(tw_wheel *w, int list, int32_t i) {
    tw_vec *v = &w->lists[list];
    uint32_t pos = v->len++;
    v->items[pos] = i;
    if (pos == 0) mark_occupied(w, list);
    return pos;
}

/* Append slot i to a list whose vector has room (vec_reserve first). */
static inline void list_push(tw_wheel *w, int list, int32_t i) {
    tw_entry *e = &w->slab[i];
    e->list = (uint16_t)list;
    e->pos = (int32_t)vec_append(w, list, i);
}

static inline int next_generation(tw_wheel *w, int32_t i);

/* A list that no longer holds anything. */
static inline void list_emptied(tw_wheel *w, int list) {
    tw_vec *v = &w->lists[list];
    mark_empty(w, list);
    if (v->cap > 64) {            /* a burst's vector should not pin its memory */
        free(v->items);
        v->items = NULL;
        v->cap = 0;
    }
}

/* Take a list's cancelled entries out of its vector and free their slots: one sequential
 * pass, the entries fetched ahead. The live ones keep their order. Cancelled and live
 * entries come interleaved at random, so each is handled without a branch on which it
 * is (one would be mispredicted about half the time): a live one is kept, a cancelled one
 * gets its next generation and goes on the free stack (or its free bit is set). */
static void sweep(tw_wheel *w, int list) {
    tw_vec *v = &w->lists[list];
    int32_t *items = v->items;
    tw_entry *slab = w->slab;
    int32_t *stack = w->caller_slots ? NULL : w->free_slots;
    uint64_t *free_bits = w->free_bits;
    uint32_t len = v->len, keep = 0, free_count = w->free_count;
    for (uint32_t k = 0; k < len; k++) {
        if (k + 16 < len) __builtin_prefetch(&slab[items[k + 16]], 1);
        int32_t i = items[k];
        tw_entry *e = &slab[i];
        uint32_t dead = (uint32_t)e->list >> 15;          /* the TW_DEAD bit */
        if (__builtin_expect(dead & (e->gen >= TW_GEN_MAX), 0)) {
            next_generation(w, i);                          /* retired, never reused */
            continue;
        }
        e->pos = (int32_t)keep;                             /* (a freed slot's is unused) */
        items[keep] = i;
        keep += dead ^ 1;
        e->gen += dead;
        e->list = dead ? (uint16_t)TW_FREE : e->list;
        if (stack) {
            stack[free_count] = i;                          /* (room: i is not free yet) */
        } else {
            free_bits[(uint32_t)i >> 6] |= (uint64_t)dead << (i & 63);
        }
        free_count += dead;
    }
    w->free_count = free_count;
    v->len = keep;
    v->dead = 0;
    if (keep == 0) list_emptied(w, list);
}

/* Sweep a list whose cancelled entries are at least as many as its live ones (so also
 * one with nothing live left: `occupied` keeps meaning "has a live timer"). */
static inline void maybe_sweep(tw_wheel *w, int list) {
    tw_vec *v = &w->lists[list];
    if (v->dead && 2 * v->dead >= v->len) sweep(w, list);
}

/* After a list lost a live timer. */
static inline void list_lost_one(tw_wheel *w, int list) {
    if (w->lists[list].len == 0) list_emptied(w, list); else maybe_sweep(w, list);
}

static void free_slot(tw_wheel *w, int32_t i);
static inline void forget_deadline(tw_wheel *w, const tw_entry *e);

/* Apply the logged cancellations (section 4) to their entries, fetched first, all at
 * once: each leaves the cached next expiry and its ordering's count; the vector's last
 * item is taken off, any other is flagged and counted in its list's dead count. Newest
 * first: timers set and cleared in turn that share a list then each come off its end,
 * where oldest first would flag all but the newest (about one cancel in ten, with 64
 * logged over a few hundred lists). All of them first, since a sweep takes out every
 * flagged entry of its list; then each list they touched is emptied or swept if it now
 * qualifies. */
static void settle_cancelled(tw_wheel *w) {
    uint32_t n = w->unsettled;
    uint16_t touched[TW_CANCEL_LOG];
    w->unsettled = 0;
    for (uint32_t k = 0; k < n; k++) __builtin_prefetch(&w->slab[w->cancelled[k]], 1);
    uint64_t popped = 0;                        /* (TW_CANCEL_LOG is 64) */
    for (uint32_t k = n; k-- > 0;) {
        int32_t i = (int32_t)w->cancelled[k];
        tw_entry *e = &w->slab[i];
        int list = touched[k] = e->list;
        tw_vec *v = &w->lists[list];
        forget_deadline(w, e);
        w->counts[e->ordering]--;
        if (e->pos == (int32_t)v->len - 1) {    /* (say one cancelled soon after it was set) */
            v->len--;
            popped |= (uint64_t)1 << k;
        } else {
            e->list = (uint16_t)(list | TW_DEAD);
            v->dead++;
        }
    }
    for (uint32_t k = 0; k < n; k++) {         /* freed in cancel order: the newest on top */
        if (popped >> k & 1) free_slot(w, (int32_t)w->cancelled[k]);
        list_lost_one(w, touched[k]);
    }
}

/* Before anything that reads a vector, a dead count or an ordering's count, or can sweep. */
static inline void settle(tw_wheel *w) {
    if (w->unsettled) settle_cancelled(w);
}

void tw_settle(tw_wheel *w) { settle(w); }

/* Remove slot i from its list: O(1), the last item takes its place. */
static inline void list_remove(tw_wheel *w, int32_t i) {
    tw_entry *e = &w->slab[i];
    int list = e->list;
    tw_vec *v = &w->lists[list];
    int32_t last = v->items[--v->len];
    if (last != i) {
        v->items[e->pos] = last;
        w->slab[last].pos = e->pos;
    }
    list_lost_one(w, list);
}

/* Detach a whole list: the caller owns (and frees) the returned vector. */
static inline tw_vec list_take(tw_wheel *w, int list) {
    if (w->lists[list].dead) sweep(w, list);
    tw_vec v = w->lists[list];
    w->lists[list].items = NULL;
    w->lists[list].len = w->lists[list].cap = 0;
    mark_empty(w, list);
    return v;
}

/* The list a deadline belongs on, relative to elapsed (a past deadline is due now). */
static inline int list_for(const tw_wheel *w, double deadline, uint64_t *tick_out) {
    uint64_t tick = tick_of(w, deadline);
    if (tick < w->elapsed) tick = w->elapsed;
    *tick_out = tick;
    int level = level_for(w->elapsed, tick);
    if (level >= TW_LEVELS) return TW_OVERFLOW;
    return level * TW_SLOTS + (int)((tick >> (TW_BITS * level)) & (TW_SLOTS - 1));
}

/* A timer due at `tick` is going on `list`: keep the overflow list's minimum tick. */
static inline void note_overflow(tw_wheel *w, int list, uint64_t tick) {
    if (list == TW_OVERFLOW && !w->overflow_dirty && tick < w->overflow_min) w->overflow_min = tick;
}

/* Put slot i on `list` (its tick is `tick`); the list's vector must have room. */
static inline void file_at(tw_wheel *w, int32_t i, int list, uint64_t tick) {
    note_overflow(w, list, tick);
    list_push(w, list, i);
}

/* File slot i on its list; -1 (nothing changed) if the list cannot grow. */
static int file_entry(tw_wheel *w, int32_t i) {
    uint64_t tick;
    int list = list_for(w, w->slab[i].deadline, &tick);
    if (vec_reserve(&w->lists[list], 1) < 0) return -1;
    file_at(w, i, list, tick);
    return 0;
}

/* Re-file every item of a detached vector (cascade, overflow) relative to the new
 * elapsed. The slab entries it reads are in random order: fetched 16 ahead, enough to
 * overlap the misses (8 left the cascade waiting on memory: 43 -> 38 ns a timer). On
 * out-of-memory, undo: the items already moved come back and the vector is `list` again,
 * exactly as before; the caller restores elapsed. -1 then. */
static int refile(tw_wheel *w, int list, tw_vec v) {
    for (uint32_t k = 0; k < v.len; k++) {
        if (k + 16 < v.len) __builtin_prefetch(&w->slab[v.items[k + 16]]);
        if (file_entry(w, v.items[k]) < 0) {
            for (uint32_t j = 0; j < k; j++) list_remove(w, v.items[j]);
            w->lists[list] = v;
            for (uint32_t j = 0; j < v.len; j++) {
                w->slab[v.items[j]].list = (uint16_t)list;
                w->slab[v.items[j]].pos = (int32_t)j;
            }
            mark_occupied(w, list);
            w->overflow_dirty = 1;
            return -1;
        }
    }
    free(v.items);
    return 0;
}

static uint64_t overflow_min(tw_wheel *w) {
    if (w->overflow_dirty) {
        uint64_t m = UINT64_MAX;
        const tw_vec *v = &w->lists[TW_OVERFLOW];
        for (uint32_t k = 0; k < v->len; k++) {
            const tw_entry *e = &w->slab[v->items[k]];
            if (e->list & TW_DEAD) continue;
            uint64_t t = entry_tick(w, e);
            if (t < m) m = t;
        }
        w->overflow_min = m;
        w->overflow_dirty = 0;
    }
    return w->overflow_min;
}

/* The earliest non-empty list and the first tick it covers. Returns 0 when empty. */
static int find_first(tw_wheel *w, int *list, uint64_t *start) {
    for (int level = 0; level < TW_LEVELS; level++) {
        int pos = (int)((w->elapsed >> (TW_BITS * level)) & (TW_SLOTS - 1));
        uint64_t m = w->occupied[level] & (~(uint64_t)0 << pos);
        if (m) {
            int slot = __builtin_ctzll(m);
            *list = level * TW_SLOTS + slot;
            *start = (w->elapsed & ~LEVEL_MASK(level)) + ((uint64_t)slot << (TW_BITS * level));
            return 1;
        }
    }
    if (w->lists[TW_OVERFLOW].len) {
        *list = TW_OVERFLOW;
        *start = overflow_min(w) & ~LEVEL_MASK(TW_LEVELS - 1);
        return 1;
    }
    return 0;
}

/* ---- slab ----------------------------------------------------------------------- */

/* Map the pages of a bulk reservation's new slots in one call rather than one page fault
 * per 4 KiB as the timers are filed (1M timers: 8,192 faults, a third of insert_many's
 * time). The
 * kernel zeroes them either way; without MADV_POPULATE_WRITE (Linux < 5.14) the faults
 * happen as before. */
static void prefault(void *p, size_t bytes) {
#if defined(__linux__)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    const uintptr_t page = 4096;
    if (bytes < ((size_t)1 << 21)) return;
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(page - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

static int grow_slab(tw_wheel *w, uint32_t need) {
    if (need <= w->cap) return 0;
    size_t cap = tc_grow_cap(w->cap, need, 64, INT32_MAX);
    if (cap == 0) return -1;
    /* Cache-line aligned (realloc is not): each 32-byte entry then sits in one line.
     * (Transparent huge pages were tried: with the usual defrag=madvise setting the
     * first large allocation can stall in compaction, which a server cannot afford.) */
    if (tc_alloc_fails()) return -1;
    if (!w->caller_slots) {         /* (caller-chosen slots keep no stack) */
        int32_t *free_slots = realloc(w->free_slots, cap * sizeof(int32_t));
        if (!free_slots) return -1;
        w->free_slots = free_slots; /* (bigger than needed if the slab fails below: harmless) */
    }
    /* The tags live in the slab's own block, after the entries: one allocation and one
     * copy a growth, and the heap laid out as without them (a separate realloc'd array
     * moved where Python's own lists landed, and with them the copies they need). A slot's
     * tag is written when the slot is first handed out: none at or past `used` is read. */
    size_t bytes = (size_t)cap * (sizeof(tw_entry) + sizeof(uint32_t));
    tw_entry *slab = aligned_alloc(64, (bytes + 63) & ~(size_t)63);   /* (a multiple, as C11 asks) */
    if (!slab) return -1;
    uint32_t *tags = (uint32_t *)(slab + cap);
    if (w->slab) {
        memcpy(slab, w->slab, (size_t)w->used * sizeof(tw_entry));
        memcpy(tags, w->tags, (size_t)w->used * sizeof(uint32_t));
    }
    free(w->slab);
    w->slab = slab;
    w->tags = tags;
    w->cap = (uint32_t)cap;
    return 0;
}

int tw_reserve(tw_wheel *w, uint32_t extra) {
    if (w->caller_slots) return -1;
    if (extra > w->free_count && w->unsettled) settle_cancelled(w);   /* (their slots first) */
    if (extra <= w->free_count) return 0;
    uint64_t need = (uint64_t)w->used + (extra - w->free_count);
    if (need > (uint64_t)INT32_MAX || grow_slab(w, (uint32_t)need) < 0) return -1;
    /* The fresh slots about to be taken, not the rest of a doubled capacity. */
    prefault(w->slab + w->used, (size_t)(need - w->used) * sizeof(tw_entry));
    prefault(w->tags + w->used, (size_t)(need - w->used) * sizeof(uint32_t));
    return 0;
}

/* Take a slot there is room for: the free stack's top (the most recently freed, warm in
 * cache; the one `ahead` below it is fetched now, as inserts come in runs), else a fresh
 * one, generation 1. The counters are passed in, so a bulk insert keeps them in registers. */
static inline int32_t take_slot(tw_entry *slab, const int32_t *stack, uint32_t *free_count,
                                uint32_t *used, uint32_t ahead, uint32_t *gen) {
    if (*free_count) {
        int32_t i = stack[--*free_count];
        if (*free_count >= ahead) __builtin_prefetch(&slab[stack[*free_count - ahead]], 1);
        *gen = slab[i].gen;
        return i;
    }
    *gen = 1;
    return (int32_t)(*used)++;
}

static int32_t alloc_slot(tw_wheel *w) {
    /* A cancelled slot before a fresh one: the slab stays small, and in set-and-clear
     * churn the slot just cancelled, still in cache, is the one reused. */
    if (!w->free_count && w->unsettled) settle_cancelled(w);
    if (!w->free_count && w->used == w->cap && grow_slab(w, w->used + 1) < 0) return TW_NIL;
    uint32_t gen;
    int32_t i = take_slot(w->slab, w->free_slots, &w->free_count, &w->used, 1, &gen);
    w->slab[i].gen = gen;
    return i;
}

/* Mark slot i free with its next generation: 1 if it can be used again, 0 if retired
 * (its handles must never be issued again). */
static inline int next_generation(tw_wheel *w, int32_t i) {
    tw_entry *e = &w->slab[i];
    e->list = TW_FREE;
    if (e->gen >= TW_GEN_MAX) {
        e->gen = 0;
        return 0;
    }
    e->gen++;
    return 1;
}

/* Free slot i onto the stack (not for caller-chosen slots: see free_slot). */
static inline void push_free(tw_wheel *w, int32_t i) {
    if (next_generation(w, i)) w->free_slots[w->free_count++] = i;
}

static void free_slot(tw_wheel *w, int32_t i) {
    if (!w->caller_slots) {
        push_free(w, i);
    } else if (next_generation(w, i)) {
        w->free_bits[(uint32_t)i >> 6] |= (uint64_t)1 << (i & 63);
        w->free_count++;
    }
}

static __attribute__((noinline)) int grow_counts_to(tw_wheel *w, uint16_t ordering) {
    size_t cap = w->counts_cap;
    if (tc_grow((void **)&w->counts, &cap, (size_t)ordering + 1, sizeof(int64_t), 8,
                TW_MAX_ORDERING + 1, 1) < 0) return -1;
    w->counts_cap = (uint32_t)cap;
    return 0;
}

/* Room for the ordering's count. Inline, as every insert asks (a call cost 11 of its
 * instructions); growing, rare, is not. */
static inline int grow_counts(tw_wheel *w, uint16_t ordering) {
    return ordering < w->counts_cap ? 0 : grow_counts_to(w, ordering);
}

int tw_reserve_ordering(tw_wheel *w, uint16_t ordering) { return grow_counts(w, ordering); }

/* ---- public --------------------------------------------------------------------- */

int tw_init(tw_wheel *w, double resolution_ms, double start_ms) {
    memset(w, 0, sizeof(*w));
    w->resolution = resolution_ms;
    w->per_ms = 1.0 / resolution_ms;
    w->origin = start_ms;
    w->now = start_ms;
    w->overflow_min = UINT64_MAX;
    return grow_counts(w, 0);
}

void tw_free(tw_wheel *w) {
    for (int i = 0; i <= TW_LISTS; i++) {
        free(w->lists[i].items);
        w->lists[i].items = NULL;
        w->lists[i].len = w->lists[i].cap = w->lists[i].dead = 0;
    }
    free(w->slab);
    free(w->free_slots);
    free(w->free_bits);
    w->free_bits = NULL;
    w->tags = NULL;                     /* (in the slab's block) */
    free(w->counts);
    free(w->scratch);
    tc_lat_free(&w->lateness);
    w->slab = NULL;
    w->free_slots = NULL;
    w->free_count = 0;
    w->counts = NULL;
    w->scratch = NULL;
    w->cap = w->used = 0;
    w->len = 0;
}

/* ---- tags (section 4): generation << 1, | 1 while the slot holds a pending timer ---- */

static inline uint32_t pending_tag(uint32_t gen) { return gen << 1 | 1; }

static inline int pending_at(const tw_wheel *w, uint32_t slot) {
    return slot < w->used && (w->tags[slot] & 1);
}

/* The same, also where a fired timer's tag was left as it was (tw_owner_tracks_fired):
 * its entry is on no list. For the paths that look at every slot (snapshot, check). */
static inline int pending_entry(const tw_wheel *w, uint32_t slot) {
    return pending_at(w, slot) && w->slab[slot].list <= TW_LISTS;
}

/* Slot i's timer is no longer pending, as handles see it: a store only, so nothing waits
 * for the tag's line (a cancel, which has read it, clears the bit instead). */
static inline void unmark_pending(tw_wheel *w, int32_t i) { w->tags[i] = w->slab[i].gen << 1; }

static inline int32_t slot_of(const tw_wheel *w, int64_t handle) {
    if (handle <= 0) return TW_NIL;
    uint32_t slot = (uint32_t)(handle & 0xFFFFFFFF);
    uint32_t gen = (uint32_t)((uint64_t)handle >> 32);
    if (slot >= w->used || w->tags[slot] != pending_tag(gen)) return TW_NIL;   /* not pending */
    return (int32_t)slot;
}

int64_t tw_slot_of(const tw_wheel *w, int64_t handle) { return slot_of(w, handle); }

/* File slot i (on no list) as pending at deadline_ms with a fresh sequence number, on
 * `list`, whose vector has room (the callers reserve first, so this cannot fail). */
static void add_pending(tw_wheel *w, int32_t i, double deadline_ms, int list, uint64_t tick) {
    tw_entry *e = &w->slab[i];
    e->deadline = deadline_ms;
    e->seq = w->next_seq++;
    file_at(w, i, list, tick);
    w->tags[i] = pending_tag(e->gen);
    w->counts[e->ordering]++;
    if (w->len++ == 0) {
        w->next_cache = deadline_ms;
        w->next_valid = 1;
    } else if (w->next_valid && deadline_ms < w->next_cache) {
        w->next_cache = deadline_ms;
    }
}

/* The list for deadline_ms, with room for one more; -1 on out-of-memory. */
static inline int reserve_for(tw_wheel *w, double deadline_ms, uint64_t *tick) {
    int list = list_for(w, deadline_ms, tick);
    return vec_reserve(&w->lists[list], 1) < 0 ? -1 : list;
}

int64_t tw_insert(tw_wheel *w, double deadline_ms, uint16_t ordering) {
    uint64_t tick;
    if (w->caller_slots) return -1;         /* the owner picks (tw_insert_at) */
    if (w->max_timers && w->len >= w->max_timers) return -2;
    if (grow_counts(w, ordering) < 0) return -1;
    int list = reserve_for(w, deadline_ms, &tick);
    if (list < 0) return -1;
    int32_t i = alloc_slot(w);
    if (i == TW_NIL) return -1;
    w->slab[i].ordering = ordering;
    add_pending(w, i, deadline_ms, list, tick);
    return tw_handle((uint32_t)i, w->slab[i].gen);
}

int tw_grow_caller_slots(tw_wheel *w, uint32_t cap) {
    if (cap <= w->used) return 0;
    size_t words = ((size_t)cap + 63) / 64, had = ((size_t)w->used + 63) / 64;
    if (tc_alloc_fails()) return -1;
    uint64_t *bits = realloc(w->free_bits, words * sizeof(uint64_t));
    if (!bits) return -1;
    memset(bits + had, 0, (words - had) * sizeof(uint64_t));
    w->free_bits = bits;
    if (grow_slab(w, cap) < 0) return -1;
    for (uint32_t i = w->used; i < cap; i++) {
        w->slab[i].list = TW_FREE;
        w->slab[i].gen = 1;
        w->tags[i] = 0;                                 /* (nothing pending) */
    }
    for (uint32_t i = w->used, n; i < cap; i += n) {   /* free bits, a word at a time */
        n = 64 - (i & 63) < cap - i ? 64 - (i & 63) : cap - i;
        bits[i >> 6] |= (n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) << (i & 63);
    }
    w->free_count += cap - w->used;
    w->used = cap;
    return 0;
}

int tw_caller_slots(tw_wheel *w, uint32_t cap) {
    if (w->used) return -1;           /* an empty wheel only */
    w->caller_slots = 1;
    return tw_grow_caller_slots(w, cap);
}

void tw_owner_tracks_fired(tw_wheel *w) { w->owner_tracks_fired = w->caller_slots; }

int64_t tw_next_free(const tw_wheel *w, uint32_t from) {
    if (!w->free_count || !w->used) return -1;
    from %= w->used;
    uint32_t words = (w->used + 63) / 64, k = from >> 6;
    uint64_t word = w->free_bits[k] & (~(uint64_t)0 << (from & 63));
    for (uint32_t n = 0; n <= words; n++) {
        if (word) return (int64_t)k * 64 + __builtin_ctzll(word);
        k = k + 1 == words ? 0 : k + 1;
        word = w->free_bits[k];
    }
    return -1;
}

int64_t tw_insert_at(tw_wheel *w, uint32_t slot, double deadline_ms, uint16_t ordering) {
    uint64_t tick;
    if (!w->caller_slots || !tw_slot_is_free(w, slot)) return -3;
    if (w->max_timers && w->len >= w->max_timers) return -2;
    if (grow_counts(w, ordering) < 0) return -1;
    int list = reserve_for(w, deadline_ms, &tick);
    if (list < 0) return -1;
    w->free_bits[slot >> 6] &= ~((uint64_t)1 << (slot & 63));
    w->free_count--;
    w->slab[slot].ordering = ordering;
    add_pending(w, (int32_t)slot, deadline_ms, list, tick);
    return tw_handle(slot, w->slab[slot].gen);
}

int tw_insert_many(tw_wheel *w, const double *deadlines, const int64_t *orderings, size_t n,
                   int64_t *handles) {
    if (w->caller_slots) return -1;
    /* Two passes: how many timers go on each list first, so each vector is reserved
     * once; then the slots are taken and filed with no per-timer checks. Between the two,
     * each timer's list waits in its handle's place in the output (no temporary array
     * with fresh pages, and no second computation). Validation (finite
     * deadlines, ordering ids in range, max_timers, tw_reserve and tw_reserve_ordering)
     * is the caller's: with it done, only a vector's growth can fail, and it fails first. */
    uint32_t per_list[TW_LISTS + 1] = {0};
    uint64_t tick;
    if (n == 0) return 0;
    double least = INFINITY;
    for (size_t k = 0; k < n; k++) {
        int list = list_for(w, deadlines[k], &tick);
        per_list[list]++;
        handles[k] = list;
        if (deadlines[k] < least) least = deadlines[k];
    }
    for (int list = 0; list <= TW_LISTS; list++) {
        if (per_list[list] && vec_reserve(&w->lists[list], per_list[list]) < 0) return -1;
    }
    /* The wheel's counters are kept in locals here (the compiler must assume a store
     * through the slab or a vector may change them, so each would be a load and a store
     * per timer), and each entry is written whole, in one go (1M into a fresh wheel:
     * 19.5 -> 17.5 ns a timer). */
    tw_entry *slab = w->slab;
    uint32_t *tags = w->tags;
    const int32_t *stack = w->free_slots;
    uint32_t free_count = w->free_count, used = w->used;
    const uint32_t on_stack = free_count, fresh_from = used;
    uint64_t seq = w->next_seq;
    for (size_t k = 0; k < n; k++) {
        uint32_t gen;
        int32_t i = take_slot(slab, stack, &free_count, &used, 8, &gen);  /* (room: tw_reserve) */
        int list = (int)handles[k];
        uint16_t ordering = orderings ? (uint16_t)orderings[k] : 0;
        if (list == TW_OVERFLOW) {
            list_for(w, deadlines[k], &tick);    /* (its tick, for the overflow minimum) */
            note_overflow(w, list, tick);
        }
        uint32_t pos = vec_append(w, list, i);   /* (room: reserved above) */
        slab[i] = (tw_entry){.deadline = deadlines[k], .seq = seq++, .pos = (int32_t)pos,
                             .gen = gen, .ordering = ordering, .list = (uint16_t)list};
        if (orderings) w->counts[ordering]++;
        handles[k] = tw_handle((uint32_t)i, gen);
    }
    /* The tags after the loop: in it they cost the registers it needs (98.7 -> 105.9
     * instructions a timer). The first timers took slots off the stack (their handles
     * say which, and the generation), the rest fresh slots, generation 1. */
    for (size_t k = 0; k < on_stack - free_count; k++)
        tags[(uint32_t)handles[k]] = pending_tag((uint32_t)((uint64_t)handles[k] >> 32));
#pragma GCC unroll 4
    for (uint32_t j = fresh_from; j < used; j++) tags[j] = pending_tag(1);   /* (unrolled:
                                           * 4 stores of 4 a turn, 1.5 -> 0.4 a timer) */
    w->free_count = free_count;
    w->used = used;
    w->next_seq = seq;
    if (!orderings) w->counts[0] += (int64_t)n;  /* (one add, not a chain through memory) */
    if (w->len == 0 || (w->next_valid && least < w->next_cache)) {
        w->next_cache = least;
        w->next_valid = 1;
    }
    w->len += n;
    return 0;
}

/* A pending timer's deadline no longer counts: the cached next expiry and overflow
 * minimum it may have been are recomputed when next read. */
static inline void forget_deadline(tw_wheel *w, const tw_entry *e) {
    if (w->next_valid && e->deadline <= w->next_cache) w->next_valid = 0;
    if (e->list == TW_OVERFLOW && entry_tick(w, e) == w->overflow_min) w->overflow_dirty = 1;
}

/* A timer stops counting as pending: len and its deadline (leave_pending without the
 * tag, for a firing whose owner keeps track of fired slots). */
static inline void leave_count(tw_wheel *w, const tw_entry *e) {
    w->len--;
    forget_deadline(w, e);
}

/* Slot i's timer stops being pending: its tag, len and its deadline. Its ordering's
 * count and its list are the caller's business. */
static inline void leave_pending(tw_wheel *w, int32_t i) {
    unmark_pending(w, i);
    leave_count(w, &w->slab[i]);
}

/* (Settled first: list_remove may sweep.) */
static void remove_pending(tw_wheel *w, int32_t i) {
    w->counts[w->slab[i].ordering]--;
    leave_pending(w, i);
    list_remove(w, i);
}

/* Cancel slot i's pending timer: its tag and len now, its entry when the log is settled
 * (section 4). */
static inline int cancel_at(tw_wheel *w, int32_t i) {
    w->tags[i] &= ~1u;
    w->len--;
    w->cancelled[w->unsettled++] = (uint32_t)i;
    if (w->unsettled == TW_CANCEL_LOG) settle_cancelled(w);
    return 1;
}

int tw_cancel(tw_wheel *w, int64_t handle) {
    int32_t i = slot_of(w, handle);
    return i == TW_NIL ? 0 : cancel_at(w, i);
}

int tw_cancel_slot(tw_wheel *w, uint32_t slot) {
    return pending_at(w, slot) ? cancel_at(w, (int32_t)slot) : 0;
}

static int reschedule_at(tw_wheel *w, int32_t i, double deadline_ms) {
    uint64_t tick;
    tw_entry *e = &w->slab[i];
    if (list_for(w, deadline_ms, &tick) == e->list) {
        /* Same slot (common for refresh: a far timer's slot spans seconds): update in
         * place, no vector traffic. A fresh seq keeps the as-if-inserted-now order. */
        if (w->next_valid && (e->deadline <= w->next_cache || deadline_ms < w->next_cache)) {
            if (deadline_ms < w->next_cache) w->next_cache = deadline_ms; else w->next_valid = 0;
        }
        if (e->list == TW_OVERFLOW && entry_tick(w, e) == w->overflow_min) w->overflow_dirty = 1;
        e->deadline = deadline_ms;
        e->seq = w->next_seq++;
        if (e->list == TW_OVERFLOW && !w->overflow_dirty && tick < w->overflow_min)
            w->overflow_min = tick;
        return 1;
    }
    /* Settled, then room, so out-of-memory changes nothing. The target differs from the
     * current list (same list: updated in place above), so removing cannot free it. */
    settle(w);
    int list = reserve_for(w, deadline_ms, &tick);
    if (list < 0) return -1;
    remove_pending(w, i);
    add_pending(w, i, deadline_ms, list, tick);
    return 1;
}

int tw_reschedule(tw_wheel *w, int64_t handle, double deadline_ms) {
    int32_t i = slot_of(w, handle);
    return i == TW_NIL ? 0 : reschedule_at(w, i, deadline_ms);
}

int tw_reschedule_slot(tw_wheel *w, uint32_t slot, double deadline_ms) {
    /* (tag and entry fetched together: neither address waits for the other) */
    return pending_at(w, slot) ? reschedule_at(w, (int32_t)slot, deadline_ms) : 0;
}

int tw_rearm(tw_wheel *w, int64_t handle, double deadline_ms) {
    uint32_t slot = (uint32_t)(handle & 0xFFFFFFFF);
    if (handle <= 0 || slot >= w->used) return 0;
    tw_entry *e = &w->slab[slot];
    if (e->list != TW_FIRED || e->gen != (uint32_t)((uint64_t)handle >> 32)) return 0;
    uint64_t tick;
    int list = reserve_for(w, deadline_ms, &tick);
    if (list < 0) return -1;
    add_pending(w, (int32_t)slot, deadline_ms, list, tick);
    return 1;
}

double tw_slot_deadline(const tw_wheel *w, uint32_t slot) { return w->slab[slot].deadline; }

uint16_t tw_slot_ordering(const tw_wheel *w, uint32_t slot) { return w->slab[slot].ordering; }

int64_t tw_slot_handle(const tw_wheel *w, uint32_t slot) {
    return tw_handle(slot, w->slab[slot].gen);
}

void tw_release(tw_wheel *w, int64_t handle) {
    uint32_t slot = (uint32_t)(handle & 0xFFFFFFFF);
    if (handle <= 0 || slot >= w->used) return;
    tw_entry *e = &w->slab[slot];
    if (e->list == TW_FIRED && e->gen == (uint32_t)((uint64_t)handle >> 32)) free_slot(w, (int32_t)slot);
}

int tw_lookup(const tw_wheel *w, int64_t handle, double *deadline) {
    int32_t i = slot_of(w, handle);
    if (i == TW_NIL) return 0;
    *deadline = w->slab[i].deadline;
    return 1;
}

int tw_contains(const tw_wheel *w, int64_t handle) { return slot_of(w, handle) != TW_NIL; }

int64_t tw_count(const tw_wheel *w, uint16_t ordering) {
    if (ordering >= w->counts_cap) return 0;
    int64_t n = w->counts[ordering];
    for (uint32_t k = 0; k < w->unsettled; k++) n -= w->slab[w->cancelled[k]].ordering == ordering;
    return n;
}

int tw_next_expiry(tw_wheel *w, double *out) {
    if (w->len == 0) return 0;
    settle(w);                    /* (a cancel not yet settled may be the cached one) */
    if (!w->next_valid) {         /* (find_first: once settled, an occupied list has a
                                   * live timer) */
        int list;
        uint64_t start;
        find_first(w, &list, &start);
        double m = INFINITY;
        const tw_vec *v = &w->lists[list];
        for (uint32_t k = 0; k < v->len; k++) {
            if (k + 16 < v->len) __builtin_prefetch(&w->slab[v->items[k + 16]]);
            const tw_entry *e = &w->slab[v->items[k]];
            if (!(e->list & TW_DEAD) && e->deadline < m) m = e->deadline;
        }
        w->next_cache = m;
        w->next_valid = 1;
    }
    *out = w->next_cache;
    return 1;
}

static int out_reserve(tw_out *out, size_t extra) {
    return tc_grow((void **)&out->data, &out->cap, out->len + extra, sizeof(int64_t), 256,
                   SIZE_MAX / sizeof(int64_t), 0);
}

void tw_out_free(tw_out *out) {
    free(out->data);
    out->data = NULL;
    out->len = out->cap = 0;
}

static int scratch_reserve(tw_wheel *w, size_t n) {
    return tc_grow((void **)&w->scratch, &w->scratch_cap, n, sizeof(tw_due), 256,
                   SIZE_MAX / sizeof(tw_due), 0);
}

/* Fire slot i (off its list and its counts, with room for it in the scratch): its sort
 * key and handle go to scratch[n], and it is marked fired (or freed). */
static inline void fire_one(tw_wheel *w, int32_t i, size_t n, double now_ms, int release) {
    tw_entry *e = &w->slab[i];
    tw_due *d = &w->scratch[n];
    d->deadline = e->deadline;
    d->seq = e->seq;
    d->slot = (uint32_t)i;
    d->gen = e->gen;
    if (w->track_lateness) tc_lat_record(&w->lateness, e->ordering, now_ms - e->deadline);
    if (release) push_free(w, i); else e->list = TW_FIRED;   /* (caller slots: never released) */
}

static inline int due_less(const tw_due *a, const tw_due *b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static int due_cmp(const void *pa, const void *pb) {
    const tw_due *a = pa, *b = pb;
    return due_less(a, b) ? -1 : due_less(b, a) ? 1 : 0;
}

/* A double's bits as an unsigned key in the same order (no NaN reaches the wheel):
 * positive numbers get the sign bit set, negative ones all bits flipped. */
static inline uint64_t deadline_key(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (u >> 63) ? ~u : (u | 0x8000000000000000ull);
}

/* Insert src[from, n), one by one, into dst[0, from), which is sorted (src may be dst).
 * Linear on a nearly sorted batch, whose items mostly stay where they are. */
static void insertion_sort_due(tw_due *dst, const tw_due *src, size_t from, size_t n) {
    for (size_t i = from; i < n; i++) {
        tw_due x = src[i];
        size_t j = i;
        while (j > 0 && due_less(&x, &dst[j - 1])) { dst[j] = dst[j - 1]; j--; }
        dst[j] = x;
    }
}

/* LSD radix sort by deadline, one byte a pass, skipping the bytes all keys share (deadlines
 * of one batch agree on their high bytes, so a batch spread over a minute needs about five
 * passes). Stable, so equal deadlines stay in input order; those runs are then put in seq
 * order (FIFO). O(n) where a comparison sort of a million-timer backlog is O(n log n) with
 * a function call per comparison. Returns -1 if its buffer cannot be had. */
static int radix_sort_due(tw_due *d, size_t n) {
    size_t counts[8][256];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = deadline_key(d[i].deadline);
        for (int b = 0; b < 8; b++) counts[b][(k >> (8 * b)) & 0xFF]++;
    }
    if (tc_alloc_fails()) return -1;
    tw_due *tmp = malloc(n * sizeof(tw_due));
    if (!tmp) return -1;
    tw_due *src = d, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        size_t *c = counts[b];
        uint64_t first = (deadline_key(d[0].deadline) >> (8 * b)) & 0xFF;
        if (c[first] == n) continue;          /* every key has this byte: nothing to do */
        size_t sum = 0;
        for (int v = 0; v < 256; v++) { size_t t = c[v]; c[v] = sum; sum += t; }
        for (size_t i = 0; i < n; i++) {
            uint64_t v = (deadline_key(src[i].deadline) >> (8 * b)) & 0xFF;
            dst[c[v]++] = src[i];
        }
        tw_due *t = src; src = dst; dst = t;
    }
    if (src != d) memcpy(d, src, n * sizeof(tw_due));
    free(tmp);
    for (size_t i = 1; i < n; i++) {           /* equal deadlines: FIFO by seq */
        if (d[i].deadline == d[i - 1].deadline && d[i].seq < d[i - 1].seq) {
            size_t lo = i - 1, hi = i + 1;
            while (lo > 0 && d[lo - 1].deadline == d[i].deadline) lo--;
            while (hi < n && d[hi].deadline == d[i].deadline) hi++;
            insertion_sort_due(d + lo, d + lo, 1, hi - lo);
            i = hi - 1;
        }
    }
    return 0;
}

static int bucket_sort_due(tw_due *d, size_t n);

/* The bucket of a deadline: floor((x - lo) * scale), the top one for x = hi. */
static inline size_t bucket_of(double x, double lo, double scale, size_t buckets) {
    size_t b = (size_t)((x - lo) * scale);
    return b < buckets ? b : buckets - 1;
}

/* Most batches arrive sorted (timers inserted in deadline order): check before sorting. */
static void sort_due(tw_due *d, size_t n) {
    size_t k = 1;
    while (k < n && !due_less(&d[k], &d[k - 1])) k++;
    if (k >= n) return;
    if (n <= 24) {
        insertion_sort_due(d, d, k, n);
    } else if (n < 256 || (bucket_sort_due(d, n) < 0 && radix_sort_due(d, n) < 0)) {
        qsort(d, n, sizeof(tw_due), due_cmp);
    }
}

/* A large batch (a slot due in full: deadlines spread over its span) by buckets: a linear
 * map of the deadline onto n buckets, monotone (a subtraction and a multiplication by a
 * positive constant, floored), leaves about one in each. Two passes and one scatter, where
 * the byte-wise radix sort of random deadlines needs seven passes over the batch
 * (TimerWheel.advance of 1M timers due over a minute: 38-40 -> 33-34 ns a timer, n/4
 * buckets: 35-36). Then sort_due sorts each bucket of more than SMALL_BUCKET (clustered
 * deadlines: by buckets again, or radix), and the small ones are sorted as the batch is
 * copied back, by insertion: items of different buckets are in order already, so it only
 * moves items within a bucket (a sort_due call a bucket cost 20 instructions a timer,
 * and the copy as many again). -1 if its buffers cannot be had. */
#define SMALL_BUCKET 8
static int bucket_sort_due(tw_due *d, size_t n) {
    double lo = d[0].deadline, hi = lo;
    for (size_t i = 1; i < n; i++) {
        if (d[i].deadline < lo) lo = d[i].deadline;
        if (d[i].deadline > hi) hi = d[i].deadline;
    }
    if (!(hi > lo)) {                       /* one deadline: in sequence order, FIFO */
        qsort(d, n, sizeof(tw_due), due_cmp);
        return 0;
    }
    size_t buckets = n;
    double scale = (double)buckets / (hi - lo);
    if (!isfinite(scale)) return -1;        /* (a span too small to divide: radix then) */
    if (tc_alloc_fails()) return -1;
    uint32_t *end = calloc(buckets + 1, sizeof(uint32_t));
    tw_due *tmp = malloc(n * sizeof(tw_due));
    if (!end || !tmp) {
        free(end);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++) end[bucket_of(d[i].deadline, lo, scale, buckets)]++;
    uint32_t sum = 0, largest = 0;
    for (size_t b = 0; b < buckets; b++) {   /* end[b]: one past bucket b */
        if (end[b] > largest) largest = end[b];
        sum += end[b];
        end[b] = sum;
    }
    end[buckets] = (uint32_t)n;
    for (size_t i = n; i-- > 0;) tmp[--end[bucket_of(d[i].deadline, lo, scale, buckets)]] = d[i];
    /* now end[b] is where bucket b starts, and end[buckets] = n where the last ends */
    if (largest > SMALL_BUCKET) {
        for (size_t b = 0; b < buckets; b++) {
            size_t from = end[b], to = end[b + 1];
            if (to - from > SMALL_BUCKET) sort_due(tmp + from, to - from);
        }
    }
    insertion_sort_due(d, tmp, 0, n);        /* (back into d: the copy is the pass) */
    free(tmp);
    free(end);
    return 0;
}

/* A slot above level 0 whose last tick is before now's tick is due in full, and its
 * timers are the earliest left (find_first): fire them straight from it, sorted once,
 * instead of cascading each into level 0 and sorting tick by tick. Slots larger than
 * DIRECT_MAX still cascade, so the sort's scratch stays small. */
#define DIRECT_MAX 131072
static inline int slot_due_in_full(const tw_wheel *w, int list, uint64_t start,
                                   uint64_t now_tick) {
    if (list >= TW_LISTS || w->lists[list].len > DIRECT_MAX) return 0;
    uint64_t last = start + ((uint64_t)1 << (TW_BITS * (list / TW_SLOTS))) - 1;
    return last < now_tick;
}

/* Fire every timer of a list (a tick due in full, or a higher slot due in full), in
 * vector order: each slab entry visited once, where it is. `unmark` (a constant at each
 * call, so each copy has no test a timer): clear each fired timer's tag, unless its owner
 * keeps track of the slots that fired (tw_owner_tracks_fired). Returns the count. */
static inline __attribute__((always_inline)) size_t fire_all(tw_wheel *w, int list,
                                                             double now_ms, int release,
                                                             const int unmark) {
    tw_vec *v = &w->lists[list];
    size_t n = 0;
    for (uint32_t k = 0; k < v->len; k++) {
        if (k + 16 < v->len) {    /* its tag too: a random line of its own */
            __builtin_prefetch(&w->slab[v->items[k + 16]], 1);
            if (unmark) __builtin_prefetch(&w->tags[v->items[k + 16]], 1);
        }
        int32_t i = v->items[k];
        w->counts[w->slab[i].ordering]--;   /* (leave_pending, in bulk: below) */
        if (unmark) unmark_pending(w, i);   /* (len and next_valid: below) */
        fire_one(w, i, n++, now_ms, release);
    }
    free(list_take(w, list).items);
    w->len -= n;
    w->next_valid = 0;
    return n;
}

/* Fire the timers of now's own tick whose exact deadline has come; the rest keep their
 * order. `unmark` as for fire_all. Returns the count. */
static inline __attribute__((always_inline)) size_t fire_due(tw_wheel *w, int list,
                                                             double now_ms, int release,
                                                             const int unmark) {
    tw_vec *v = &w->lists[list];
    size_t n = 0;
    uint32_t keep = 0;
    for (uint32_t k = 0; k < v->len; k++) {
        int32_t i = v->items[k];
        tw_entry *e = &w->slab[i];
        if (e->deadline > now_ms) {
            e->pos = (int32_t)keep;
            v->items[keep++] = i;
            continue;
        }
        w->counts[e->ordering]--;
        if (unmark) unmark_pending(w, i);   /* (leave_pending, its tag as asked) */
        leave_count(w, e);
        fire_one(w, i, n++, now_ms, release);
    }
    if (n) {
        v->len = keep;
        if (keep == 0) list_emptied(w, list);
    }
    return n;
}

int64_t tw_advance(tw_wheel *w, double now_ms, tw_out *out, int release) {
    uint64_t now_tick = tick_of(w, now_ms);
    if (w->caller_slots) release = 0;      /* the caller releases its slots (tw_release) */
    settle(w);
    int64_t fired = 0;
    int list;
    uint64_t start;
    while (find_first(w, &list, &start) && start <= now_tick) {
        uint64_t before = w->elapsed;
        w->elapsed = start;   /* never moves back: every occupied slot starts at or after it */
        if (list >= TW_SLOTS && !slot_due_in_full(w, list, start, now_tick)) {
            /* a level above 0 (or overflow) that is not all due: cascade down */
            if (refile(w, list, list_take(w, list)) < 0) {
                w->elapsed = before;      /* the slot is whole again: as before this step */
                return -1;
            }
            continue;
        }
        /* Level 0: one tick. Earlier ticks are due in full; now's own tick by exact
         * deadline. Or a higher slot due in full: fired from where it is. */
        int whole = list >= TW_SLOTS || start < now_tick;
        tw_vec *v = &w->lists[list];
        if (v->dead) sweep(w, list);   /* (it keeps a live one: the list is occupied) */
        /* Room first, so that nothing below can fail. Then every slab entry is visited
         * once, in vector order (for timers inserted in a run, slab order), and the sort
         * leaves only the handles to write: in sorted order the slab is visited at random. */
        if (scratch_reserve(w, v->len) < 0 || out_reserve(out, v->len) < 0) goto out_of_memory;
        size_t n;
        if (whole) {
            n = w->owner_tracks_fired ? fire_all(w, list, now_ms, 0, 0)   /* (caller slots:
                                                                            * release 0) */
                                      : fire_all(w, list, now_ms, release, 1);
        } else {            /* now's own tick: by exact deadline; the rest keep their order */
            n = w->owner_tracks_fired ? fire_due(w, list, now_ms, 0, 0)
                                      : fire_due(w, list, now_ms, release, 1);
            if (n == 0) break;
        }
        sort_due(w->scratch, n);
        for (size_t k = 0; k < n; k++)
            out->data[out->len++] = tw_handle(w->scratch[k].slot, w->scratch[k].gen);
        fired += (int64_t)n;
        if (!whole) break;
        continue;
    out_of_memory:
        w->elapsed = before;   /* nothing of this slot moved: as before this step */
        return -1;
    }
    if (now_tick > w->elapsed) w->elapsed = now_tick;
    if (now_ms > w->now) w->now = now_ms;
    if (w->scratch_cap > 65536) {  /* one huge tick must not pin its scratch forever */
        free(w->scratch);
        w->scratch = NULL;
        w->scratch_cap = 0;
    }
    return fired;
}

uint64_t tw_snapshot(const tw_wheel *w, int64_t *handles, double *deadlines, uint64_t *seqs,
                     uint16_t *orderings) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < w->used && n < w->len; i++) {
        const tw_entry *e = &w->slab[i];
        if (!pending_entry(w, i)) continue;
        if (handles) handles[n] = tw_handle(i, e->gen);
        if (deadlines) deadlines[n] = e->deadline;
        if (seqs) seqs[n] = e->seq;
        if (orderings) orderings[n] = e->ordering;
        n++;
    }
    return n;
}

/* ---- invariants (debug builds and tests) ---------------------------------------- */

int tw_check(const tw_wheel *w) {
    uint64_t pending = 0;
    uint32_t logged[TW_LISTS + 1] = {0};       /* cancellations not yet settled, per list */
    if (w->unsettled >= TW_CANCEL_LOG) return -19;   /* (a full log is settled at once) */
    for (uint32_t k = 0; k < w->unsettled; k++) {      /* each: on its list, unflagged */
        uint32_t i = w->cancelled[k];
        if (i >= w->used || w->slab[i].list > TW_LISTS || w->slab[i].ordering >= w->counts_cap
                || w->tags[i] != w->slab[i].gen << 1) return -19;
        logged[w->slab[i].list]++;
    }
    for (int list = 0; list <= TW_LISTS; list++) {
        const tw_vec *v = &w->lists[list];
        if (v->len > v->cap || v->dead + logged[list] > v->len) return -2;
        if (v->len && v->dead == v->len) return -4;   /* nothing live: should have been swept */
        if (list < TW_LISTS) {
            int bit = (int)((w->occupied[list / TW_SLOTS] >> (list % TW_SLOTS)) & 1);
            if (bit != (v->len != 0)) return -1;      /* mask out of step with the list */
        }
        uint32_t dead = 0, cancelled = 0;
        for (uint32_t k = 0; k < v->len; k++) {
            int32_t i = v->items[k];
            if (i < 0 || (uint32_t)i >= w->used) return -2;    /* item out of the slab */
            const tw_entry *e = &w->slab[i];
            if ((e->list & ~TW_DEAD) != list || e->pos != (int32_t)k) return -3;
            if (e->list & TW_DEAD) {                 /* cancelled, not yet swept */
                dead++;
                continue;
            }
            if (!pending_at(w, (uint32_t)i)) {       /* cancelled, not yet settled */
                cancelled++;
                continue;
            }
            if (w->tags[i] != pending_tag(e->gen)) return -21;
            uint64_t tick = entry_tick(w, e);
            int level = level_for(w->elapsed, tick);
            if (list == TW_OVERFLOW) {
                if (level < TW_LEVELS) return -5;
                if (!w->overflow_dirty && tick < w->overflow_min) return -6;
            } else {
                int slot = (int)((tick >> (TW_BITS * level)) & (TW_SLOTS - 1));
                if (level * TW_SLOTS + slot != list) return -7;  /* filed in the wrong slot */
            }
            if (++pending > w->len) return -9;
        }
        if (dead != v->dead || cancelled != logged[list]) return -10;
    }
    if (pending != w->len) return -11;
    uint64_t tagged = 0;                              /* pending by tag: those just counted */
    for (uint32_t i = 0; i < w->used; i++) tagged += (uint64_t)pending_entry(w, i);
    if (tagged != w->len) return -22;
    int64_t total = 0;
    for (uint32_t k = 0; k < w->counts_cap; k++) {
        if (w->counts[k] < 0) return -12;
        total += w->counts[k];
    }
    if ((uint64_t)total != w->len + w->unsettled) return -13;
    if (w->free_count > w->used) return -15;
    uint64_t free_count = 0;                          /* free slots, not retired ones */
    for (uint32_t i = 0; i < w->used; i++) {
        int is_free = w->slab[i].list == TW_FREE && w->slab[i].gen != 0;
        free_count += is_free;
        if (w->caller_slots && is_free != tw_slot_is_free(w, i)) return -18;
    }
    if (free_count != w->free_count) return -17;
    if (!w->caller_slots) {                           /* (caller slots: the bitmap, above) */
        uint8_t *seen = calloc(w->used ? w->used : 1, 1);
        for (uint32_t k = 0; k < w->free_count; k++) {
            int32_t i = w->free_slots[k];
            if (i < 0 || (uint32_t)i >= w->used || w->slab[i].list != TW_FREE
                    || w->slab[i].gen == 0) {             /* (retired: never handed out) */
                free(seen);
                return -14;
            }
            if (seen && seen[i]++) {                      /* on the stack twice */
                free(seen);
                return -15;
            }
        }
        free(seen);
    }
    if (w->next_valid && w->len) {         /* exact once settled; till then it may be low */
        double m = INFINITY;
        for (uint32_t i = 0; i < w->used; i++)
            if (pending_entry(w, i) && w->slab[i].deadline < m) m = w->slab[i].deadline;
        if (w->unsettled ? w->next_cache > m : w->next_cache != m) return -16;
    }
    return 0;
}

int tw_debug_set_gen(tw_wheel *w, uint32_t slot, uint32_t gen) {
    settle(w);                                        /* (a cancelled slot: free now) */
    if (slot >= w->used || gen == 0 || gen > TW_GEN_MAX) return -1;
    if (w->slab[slot].list != TW_FREE || w->slab[slot].gen == 0) return -1;  /* free, not retired */
    w->slab[slot].gen = gen;
    return 0;
}
