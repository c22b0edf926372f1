"""TimerWheel unit tests: the contract in API.md ("The core") and issue #3, case by case."""
import gc
import math
import os
import tracemalloc

import numpy as np
import pytest

from timercore import TimerWheel
from timercore.testing import HeapWheel

GEN_MAX = 0x7FFFFFFF
CANCEL_LOG = 64             # wheel.h TW_CANCEL_LOG: cancels whose entries wait to be settled


def test_handles_are_positive_ints_of_slot_and_generation():
    w = TimerWheel()
    h = w.insert(10.0)
    assert isinstance(h, int) and h > 0
    assert w._slot_of(h) == h & 0xFFFFFFFF
    assert h >> 32 == 1


def test_fires_in_deadline_order_with_fifo_ties():
    w = TimerWheel()
    a, b, c, d = w.insert(5.0), w.insert(3.0), w.insert(5.0), w.insert(3.0)
    assert w.advance(10.0).tolist() == [b, d, a, c]


def test_never_early_within_a_tick():
    w = TimerWheel(resolution_ms=10.0)
    h = w.insert(15.0)
    assert w.advance(14.999).tolist() == []
    assert w.advance(15.0).tolist() == [h]


def test_past_deadline_fires_at_next_advance_even_without_moving_time():
    w = TimerWheel(start_ms=100.0)
    w.advance(200.0)
    h = w.insert(50.0)
    assert w.next_expiry() == 50.0
    assert w.advance(200.0).tolist() == [h]


def test_cascaded_timer_keeps_fifo_with_a_directly_filed_one():
    w = TimerWheel()
    first = w.insert(5000.0)          # filed on a high level
    w.advance(4990.0)
    second = w.insert(5000.0)         # filed on level 0 after the first cascades
    assert w.advance(5000.0).tolist() == [first, second]


def test_overflow_timers_beyond_the_top_level_are_kept_and_fire_exactly():
    w = TimerWheel()
    far = 2.0 ** 36 * 3 + 0.5        # three top-level ranges away
    h = w.insert(far)
    near = w.insert(1.0)
    assert w.next_expiry() == 1.0
    assert w.advance(far - 1).tolist() == [near]
    assert w.next_expiry() == far
    assert w.advance(far).tolist() == [h]
    w._check()


def test_huge_deadlines_past_the_tick_cap_compare_exactly():
    w = TimerWheel()
    a, b = w.insert(1e300), w.insert(2e300)
    assert w.advance(1.5e300).tolist() == [a]
    assert w.advance(1e308).tolist() == [b]


def _expected_order(handles, deadlines, now):
    """(deadline, insertion order) order of the handles due at `now`."""
    due = [(d, k) for k, d in enumerate(deadlines) if d <= now]
    return [handles[k] for _, k in sorted(due)]


@pytest.mark.parametrize("n", [1000, 70_000, 350_000])  # whole slots fired; the last too big
def test_slots_due_in_full_fire_in_deadline_order_with_fifo_ties(n):
    # Deadlines over ~10 s (levels 1 and 2), many equal (FIFO ties across slots), the
    # last slot only partly due: one advance fires whole slots straight from their
    # level and cascades the partial one.
    rng = np.random.default_rng(7)
    ds = np.round(rng.random(n) * 10_000.0, 1)
    ds[: n // 10] = ds[n // 10: 2 * (n // 10)]                      # ties
    w = TimerWheel()
    hs = w.insert_many(ds).tolist()
    first = w.advance(7_000.5).tolist()
    assert first == _expected_order(hs, ds.tolist(), 7_000.5)
    w._check()
    fired = set(first)
    assert w.advance(20_000.0).tolist() == [h for h in _expected_order(hs, ds.tolist(), 2e4)
                                             if h not in fired]


@pytest.mark.parametrize("n", [70_000, 140_000])   # fired whole; > DIRECT_MAX: cascades
def test_many_timers_in_one_64_ms_slot_fire_in_order(n):
    ds = [100.0 + (k * 37 % 64) for k in range(n)]         # 64 deadlines, clustered
    w = TimerWheel()
    hs = [w.insert(d) for d in ds]
    assert w.advance(1000.0).tolist() == _expected_order(hs, ds, 1000.0)


def test_insert_many_reuses_freed_slots_before_growing():
    w = TimerWheel()
    w.insert_many(np.arange(1000.0))
    w.advance(2000.0)
    hs = w.insert_many(np.arange(1000.0) + 3000.0)
    assert max(w._slot_of(int(h)) for h in hs) < 1000      # all from the free list
    w._check()


def test_freed_slots_are_reused_last_freed_first_however_scattered():
    # Free slots are a stack of their own: scattered frees (random-order fires or
    # cancels) are taken back most recent first, with nothing to chase through the slab.
    w = TimerWheel()
    hs = [w.insert(1.0 + i) for i in range(64)]       # one per 1 ms slot: each cancel frees
    freed = [w._slot_of(h) for h in hs]
    rng = np.random.default_rng(3)
    rng.shuffle(freed)
    by_slot = {w._slot_of(h): h for h in hs}
    for s in freed:
        w.cancel(by_slot[s])
    assert len(w) == 0
    w._check()
    again = [w.insert(500.0) for _ in range(64)]
    assert [w._slot_of(h) for h in again] == freed[::-1]
    w._check()


@pytest.mark.parametrize("span", [1.0, 1e-9, 0.0])
def test_a_slot_due_in_full_sorts_clustered_deadlines_and_ties_in_insertion_order(span):
    # Thousands due at once in one slot, a few distinct deadlines (or one, or ones too
    # close to divide the span by), the slot's vector out of sequence order after
    # reschedules: fired by (deadline, insertion), as the heap model fires them.
    rng = np.random.default_rng(11)
    w, model = TimerWheel(), HeapWheel()
    pairs = []
    for _ in range(5000):
        d = 200.0 + span * int(rng.integers(0, 3))
        pairs.append((w.insert(d), model.insert(d)))
    for k in rng.choice(len(pairs), 2000, replace=False):
        d = 200.0 + span * int(rng.integers(0, 3))
        h, m = pairs[k]
        assert w.reschedule(h, d) and model.reschedule(m, d)
    to_model = dict(pairs)
    assert [to_model[h] for h in w.advance(10_000.0).tolist()] == list(model.advance(10_000.0))
    w._check()


@pytest.mark.parametrize("per_bucket", [2, 8, 9, 40])
def test_a_slot_due_in_full_sorts_buckets_small_and_large(per_bucket):
    # The bucket sort leaves buckets of a few to the insertion pass that copies the batch
    # back and sorts larger ones first: groups of per_bucket deadlines each within a
    # bucket's width, inserted out of order with ties, fire by (deadline, insertion).
    rng = np.random.default_rng(per_bucket)
    groups = 4000 // per_bucket
    ds = (300.0 + np.repeat(np.arange(groups) * 0.01, per_bucket)
          + np.round(rng.random(groups * per_bucket) * 1e-3, 4))
    rng.shuffle(ds)
    w = TimerWheel()
    hs = w.insert_many(ds).tolist()
    assert w.advance(5000.0).tolist() == _expected_order(hs, ds.tolist(), 5000.0)
    w._check()


def test_cancel_reports_live_stale_unknown_and_fired():
    w = TimerWheel()
    h = w.insert(1.0)
    assert w.cancel(h) is True
    assert w.cancel(h) is False                 # already cancelled
    assert w.cancel(12345) is False             # unknown
    assert w.cancel(-1) is False and w.cancel(0) is False
    assert w.cancel(2 ** 80) is False           # beyond int64
    g = w.insert(1.0)
    w.advance(1.0)
    assert w.cancel(g) is False                 # fired


def test_cancel_flags_the_entry_and_sweeps_so_the_slab_stays_within_twice_the_live():
    # A cancel leaves the slot's vector alone; the flagged entries leave it in one pass
    # once they outnumber the live ones, so churn beside many pending timers in the same
    # slot reuses slots instead of growing the slab.
    w = TimerWheel()
    live = [w.insert(5000.0 + i / 1000) for i in range(1000)]      # one level-2 slot
    highest = 0
    for k in range(20_000):
        h, g = w.insert(5000.5), w.insert(5000.6)
        highest = max(highest, w._slot_of(h), w._slot_of(g))
        # Cancelled out of set order (settled newest first, h then g): h is not its
        # vector's last, so it is flagged; g is, so it is taken off.
        assert w.cancel(g) is True and g not in w
        assert w.cancel(h) is True and h not in w
        if k % 997 == 0:
            w._check()
    assert highest < 2 * len(live) + CANCEL_LOG + 2     # (cancelled slots: free once settled)
    for h in live[::2]:                                  # random-ish order, half of them
        w.cancel(h)
    w._check()
    for h in live[1::2]:
        w.cancel(h)
    assert len(w) == 0 and w.next_expiry() is None
    w._check()                                           # the emptied slot was swept whole
    again = [w.insert(5000.0) for _ in range(2 * len(live))]
    assert max(w._slot_of(h) for h in again) <= highest  # every flagged slot was freed


@pytest.mark.parametrize("reader", ["next_expiry", "advance", "reschedule"])
def test_cancels_are_counted_before_anything_reads_the_counts(reader):
    # A cancel clears its slot's tag and logs the slot; its entry is flagged (or taken off,
    # if its vector's last item) and its list's and ordering's counts updated later, in a
    # batch. Whatever reads those counts or vectors, or can sweep, must settle the log first.
    w = TimerWheel()
    b, x, d, c, y = (w.insert(10.0) for _ in range(5))   # one slot's vector, in this order
    z = w.insert(100.0)
    w.cancel(c)               # logged (y is after it in the vector)
    w.cancel(y)               # logged, the vector's last: taken off when settled
    w.cancel(b)               # logged; when settled, c is the vector's last, cancelled
    if reader == "reschedule":
        assert w.reschedule(x, 500.0) and w.reschedule(d, 500.0)   # moving empties it
        expect = [z, x, d]
    else:
        assert w.cancel(x) and w.cancel(d)   # no live timer left there, counts not applied
        expect = [z]
        if reader == "next_expiry":
            assert w.next_expiry() == 100.0
        else:
            assert len(w.advance(20.0)) == 0
    w._check()
    assert len(w) == w.count() == len(expect)
    assert list(w.advance(1000.0)) == expect
    w._check()


def test_a_full_cancel_log_is_applied_and_sweeps(n=1000):
    w = TimerWheel()
    hs = [w.insert(5000.0 + (k * 7919 % n) / n, k % 3) for k in range(n)]   # one slot
    for k, h in enumerate(hs[: n - 1]):       # all but the vector's last, so all flagged
        assert w.cancel(h)
        if k % 97 == 0:
            w._check()
            assert [w.count(o) for o in range(3)] == [
                sum(1 for j in range(k + 1, n) if j % 3 == o) for o in range(3)]
    w._check()
    assert w.next_expiry() == w.deadline(hs[-1])
    again = w.insert_many(np.full(n - 1, 6000.0))
    assert max(w._slot_of(int(h)) for h in again) < n     # every flagged slot was freed


def test_a_cancel_takes_effect_at_once_though_its_entry_is_settled_later():
    # A cancel touches only its slot's tag (and the log): every query must see the timer
    # gone straight away, the cached next expiry included, before the entry is updated.
    w = TimerWheel()
    a, b = w.insert(1.0, 1), w.insert(2.0, 1)
    assert w.next_expiry() == 1.0                          # now cached
    assert w.cancel(a)
    w._check()                                             # (the log not yet settled)
    assert a not in w and not w.cancel(a) and not w.reschedule(a, 5.0)
    with pytest.raises(KeyError):
        w.deadline(a)
    assert len(w) == 1 and w.count(1) == 1
    assert list(w.snapshot().handles) == [b]
    assert w.next_expiry() == 2.0                          # not a's cached 1.0
    w._check()
    assert list(w.advance(5.0)) == [b]


def test_cancelled_entries_never_fire_and_free_their_slots_when_their_slot_fires():
    w = TimerWheel()
    hs = [w.insert(100.0 + i) for i in range(10)]
    for h in hs[::3]:
        w.cancel(h)
    w._check()
    assert list(w.advance(200.0)) == [h for i, h in enumerate(hs) if i % 3]
    w._check()
    reused = w.insert_many(np.arange(10.0) + 300.0)
    assert max(w._slot_of(int(h)) for h in reused) < 10   # none of the slab was lost


def test_an_insert_takes_cancelled_slots_before_fresh_ones():
    # A cancelled slot comes free when the log of cancels is settled; an insert that
    # would take a fresh slot settles it first, so cancel-and-insert churn reuses slots
    # (the one just cancelled, still in cache, first) instead of growing the slab.
    w = TimerWheel()
    hs = w.insert_many(np.arange(10.0) + 100.0)
    for h in hs[:5]:
        assert w.cancel(int(h))                            # logged, not yet settled
    again = w.insert_many(np.arange(5.0) + 200.0)
    assert sorted(w._slot_of(int(h)) for h in again) == list(range(5))
    last = w.insert(300.0)
    assert w.cancel(last)
    assert w._slot_of(w.insert(300.0)) == last & 0xFFFFFFFF
    w._check()


def test_timers_set_and_cancelled_in_turn_come_off_their_list_not_flagged_in_it():
    # The log of cancels is settled newest first: a and b, set in turn into one slot's
    # list behind live timers and cancelled, each come off its end and free their slots.
    # (Oldest first, a is not last, so it would be flagged and its slot stay taken until
    # a sweep: the two inserts after would take a fresh slot.)
    w = TimerWheel()
    live = [w.insert(500.0) for _ in range(5)]
    a, b = w.insert(500.0), w.insert(500.0)
    assert w.cancel(a) and w.cancel(b)
    assert w.next_expiry() == 500.0                        # (settles the log)
    again = [w.insert(600.0), w.insert(600.0)]
    assert sorted(w._slot_of(h) for h in again) == sorted(h & 0xFFFFFFFF for h in (a, b))
    assert all(h in w for h in live)
    w._check()


def test_reused_slot_rejects_the_stale_handle():
    w = TimerWheel()
    old = w.insert(1.0)
    w.cancel(old)
    new = w.insert(2.0)
    assert w._slot_of(new) == w._slot_of(old) != -1 or (new & 0xFFFFFFFF) == (old & 0xFFFFFFFF)
    assert new != old
    assert w.cancel(old) is False and old not in w
    assert new in w and w.deadline(new) == 2.0
    with pytest.raises(KeyError):
        w.deadline(old)


def test_generation_wrap_retires_the_slot_instead_of_reusing_a_handle():
    w = TimerWheel()
    h = w.insert(1.0)
    slot = h & 0xFFFFFFFF
    w.cancel(h)
    w._set_generation(slot, GEN_MAX - 1)
    seen = set()
    for _ in range(2):
        x = w.insert(1.0)
        seen.add(x)
        assert x & 0xFFFFFFFF == slot
        w.cancel(x)
    assert (GEN_MAX - 1) << 32 | slot in seen and GEN_MAX << 32 | slot in seen
    # The slot's last generation is spent: it is never handed out again.
    fresh = [w.insert(1.0) for _ in range(100)]
    assert all(x & 0xFFFFFFFF != slot for x in fresh)
    assert not seen & set(fresh)
    w._check()


def test_reschedule_keeps_the_handle_and_orders_after_pending_ties():
    w = TimerWheel()
    a, b = w.insert(1.0), w.insert(9.0)
    assert w.reschedule(a, 9.0) is True
    assert w.deadline(a) == 9.0
    assert w.advance(9.0).tolist() == [b, a]
    assert w.reschedule(a, 5.0) is False


def test_count_and_len_per_ordering_id():
    w = TimerWheel()
    hs = [w.insert(1.0, 3), w.insert(2.0, 3), w.insert(3.0)]
    assert (w.count(3), w.count(0), w.count(7), len(w)) == (2, 1, 0, 3)
    w.cancel(hs[0])
    assert w.count(3) == 1


def test_now_starts_at_start_ms_and_follows_advance():
    w = TimerWheel(start_ms=7.5)
    assert w.now == 7.5
    w.advance(9.0)
    assert w.now == 9.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_bad_deadline_is_a_value_error_naming_the_argument(bad):
    w = TimerWheel()
    with pytest.raises(ValueError, match="deadline_ms"):
        w.insert(bad)
    with pytest.raises(ValueError, match="deadlines"):
        w.insert_many(np.array([1.0, bad]))
    assert len(w) == 0


@pytest.mark.parametrize("bad", ["1", None, [1], object()])
def test_non_number_deadline_is_a_type_error_naming_the_argument(bad):
    with pytest.raises(TypeError, match="deadline_ms"):
        TimerWheel().insert(bad)


def test_numbers_of_other_types_are_accepted_as_deadlines():
    w = TimerWheel()
    hs = [w.insert(3), w.insert(np.float32(2.5)), w.insert(np.int64(1)), w.insert(True)]
    assert w.advance(3.0).tolist() == [hs[2], hs[3], hs[1], hs[0]]


@pytest.mark.parametrize("res", [0.0, -1.0, math.nan, math.inf])
def test_bad_resolution_is_a_value_error(res):
    with pytest.raises(ValueError, match="resolution_ms"):
        TimerWheel(resolution_ms=res)


def test_bad_start_is_rejected():
    with pytest.raises(ValueError, match="start_ms"):
        TimerWheel(start_ms=math.nan)
    with pytest.raises(TypeError, match="start_ms"):
        TimerWheel(start_ms="0")


def test_advance_backwards_or_nan_is_a_value_error():
    w = TimerWheel()
    w.advance(10.0)
    with pytest.raises(ValueError, match="now_ms"):
        w.advance(9.0)
    with pytest.raises(ValueError, match="now_ms"):
        w.advance(math.nan)
    assert w.now == 10.0


@pytest.mark.parametrize("bad", [1.5, "1", None])
def test_non_integer_handle_is_a_type_error(bad):
    w = TimerWheel()
    for op in (w.cancel, w.deadline, w.__contains__):
        with pytest.raises(TypeError, match="handle"):
            op(bad)


@pytest.mark.parametrize("bad", [-1, 65536, "x"])
def test_bad_ordering_id(bad):
    with pytest.raises((TypeError, ValueError), match="ordering_id"):
        TimerWheel().insert(1.0, bad)


def test_insert_many_converts_lists_and_int_arrays_in_input_order():
    w = TimerWheel()
    hs = w.insert_many([3, 1, 2])
    assert hs.dtype == np.int64
    assert w.advance(5.0).tolist() == [hs[1], hs[2], hs[0]]
    hs = w.insert_many(np.array([9, 8], dtype=np.int32), ordering_ids=[1, 2])
    assert (w.count(1), w.count(2)) == (1, 1)
    assert w.insert_many([]).tolist() == []


def test_insert_many_rejects_bad_arrays_and_leaves_the_wheel_unchanged():
    w = TimerWheel()
    with pytest.raises(TypeError, match="deadlines"):
        w.insert_many(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="deadlines"):
        w.insert_many(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="ordering_ids"):
        w.insert_many([1.0, 2.0], ordering_ids=[1])
    with pytest.raises(ValueError, match="ordering_ids"):
        w.insert_many([1.0], ordering_ids=[70000])
    assert len(w) == 0
    w._check()


def test_cancel_many_counts_pending_only_and_rejects_float_handles():
    w = TimerWheel()
    hs = w.insert_many(np.arange(10.0))
    assert w.cancel_many(hs[:4]) == 4
    assert w.cancel_many(np.concatenate([hs[:6], [0, -5, 2**62]])) == 2
    assert len(w) == 4
    with pytest.raises(TypeError, match="handles"):
        w.cancel_many(hs.astype(np.float64))


def test_max_timers_raises_overflow_and_keeps_what_is_pending():
    w = TimerWheel(max_timers=3)
    hs = [w.insert(float(i)) for i in range(3)]
    with pytest.raises(OverflowError, match="max_timers"):
        w.insert(9.0)
    with pytest.raises(OverflowError, match="max_timers"):
        w.insert_many([1.0])
    assert w.advance(5.0).tolist() == hs


def test_advance_releases_a_large_output_buffer():
    w = TimerWheel()
    w.insert_many(np.zeros(200_000))
    assert len(w.advance(0.0)) == 200_000
    w.insert(1.0)
    assert len(w.advance(1.0)) == 1


def _malloc_trim():
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _rss_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="ASan keeps freed memory in quarantine: RSS says nothing there")
def test_ten_million_timers_leave_memory_where_it_started():
    """Two cycles of 10M inserts, 4M cancels and 6M fired: the Python heap ends where it
    started, the second cycle reuses the slab (no RSS growth), and freeing the wheel
    gives its memory back to the OS."""
    n = 10_000_000
    deadlines = np.random.default_rng(1).uniform(0, 60_000, n)
    gc.collect()
    rss_start = _rss_kb()
    tracemalloc.start()
    traced_start = tracemalloc.get_traced_memory()[0]
    w = TimerWheel()
    rss_cycles = []
    for _ in range(2):
        hs = w.insert_many(deadlines + w.now)
        assert w.cancel_many(hs[: 4 * n // 10]) == 4 * n // 10
        del hs
        fired, t = 0, w.now
        while len(w):
            t += 5_000.0
            fired += len(w.advance(t))
        assert fired == n - 4 * n // 10
        rss_cycles.append(_rss_kb())
    w._check()
    del w
    gc.collect()
    _malloc_trim()      # freed is not the same as given back: ask glibc to hand it over
    traced_end = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert traced_end - traced_start < 64 * 1024, "Python-side memory grew"
    # Allocator noise only: a leak of even 8 bytes a timer would be 80 MB here.
    assert rss_cycles[1] <= rss_cycles[0] + 24 * 1024, "the second cycle grew RSS"
    assert _rss_kb() <= rss_start + 32 * 1024, "the wheel's memory was not given back"


@pytest.mark.parametrize("digit", range(1, 7))
def test_level_boundaries_fire_exactly_on_their_tick(digit):
    """Every 6-bit digit boundary of the level choice (ticks 63/64, 4095/4096, ... up to
    2**36, where the overflow list starts): a timer there files, cascades and fires on its
    own tick, never before, with the wheel's invariants intact (tokio's test_level_for)."""
    from timercore import TimerWheel
    edge = 64 ** digit
    for tick in (edge - 1, edge, edge + 1):
        w = TimerWheel(1.0, 0.0)
        h = w.insert(float(tick))
        w._check()
        assert list(w.advance(float(tick - 1))) == []
        w._check()
        assert list(w.advance(float(tick))) == [h]
        assert len(w) == 0
        w._check()
