"""Single-flight caches: one computation per key, byte budgets, counters."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

from inspector.conddb import IovList
from inspector.conddb.timetypes import TimeType
from inspector.engine.cache import SingleFlight, byte_cache, nbytes_of, ttl_cache


def test_many_threads_asking_for_a_cold_key_compute_it_once() -> None:
    cache = byte_cache("t", 10_000)
    calls = 0
    gate = threading.Event()

    def compute() -> bytes:
        nonlocal calls
        calls += 1
        gate.wait(5)
        return b"x" * 100

    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute("k", compute)))
        for _ in range(16)
    ]
    for t in threads:
        t.start()
    time.sleep(0.1)
    gate.set()
    for t in threads:
        t.join(5)
    assert calls == 1
    assert len(results) == 16 and all(r == b"x" * 100 for r in results)
    stats = cache.stats()
    assert stats.misses == 1 and stats.joined == 15 and stats.hits == 0
    cache.get_or_compute("k", compute)
    assert cache.stats().hits == 1 and calls == 1


def test_errors_reach_every_waiter_and_are_not_cached() -> None:
    cache = byte_cache("t", 1000)
    attempts = 0

    def boom() -> bytes:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("bad payload")

    for _ in range(2):
        with pytest.raises(RuntimeError, match="bad payload"):
            cache.get_or_compute("k", boom)
    assert attempts == 2 and cache.stats().errors == 2
    assert "k" not in cache


def test_byte_budget_evicts_least_recently_used() -> None:
    cache = byte_cache("t", 2500)
    for key in "abc":
        cache.get_or_compute(key, lambda: np.zeros(1000, np.uint8))
    assert "a" not in cache and "b" in cache and "c" in cache
    assert cache.stats().size == 2000
    # A value larger than the whole budget is served but not kept.
    big = cache.get_or_compute("big", lambda: np.zeros(5000, np.uint8))
    assert big.size == 5000 and "big" not in cache


def test_ttl_cache_expires() -> None:
    cache = ttl_cache("iov", 1000, 0.05)
    cache.get_or_compute("k", lambda: 1)
    assert "k" in cache
    time.sleep(0.1)
    assert cache.get_or_compute("k", lambda: 2) == 2


def test_nbytes_of_prefers_the_values_own_size() -> None:
    assert nbytes_of(np.zeros(10, np.float64)) == 80
    assert nbytes_of(b"abc") == sys.getsizeof(b"abc")
    assert nbytes_of(object()) > 0


def test_nbytes_of_a_container_counts_what_it_holds_not_its_header() -> None:
    arrays = (np.zeros(1000, np.float64), {"a": np.zeros(500, np.uint8)}, ["x" * 100])
    assert nbytes_of(arrays) >= 8000 + 500 + 100
    assert sys.getsizeof(arrays) < 100  # what a shallow size would have charged


def test_nbytes_of_an_iov_list_is_its_arrays() -> None:
    n = 1000
    iovs = IovList.from_hashes(
        "T",
        TimeType.RUN,
        np.arange(n, dtype=np.uint64),
        np.arange(1, n + 1, dtype=np.uint64),
        np.array([f"{i // 10:040d}" for i in range(n)]),
        np.zeros(n, "datetime64[us]"),
    )
    arrays = n * (8 + 8 + 4 + 8) + (n // 10) * 160  # one hash string per distinct payload
    assert arrays <= nbytes_of(iovs) == iovs.nbytes <= arrays + 1000


def test_hit_rate() -> None:
    cache = byte_cache("t", 100)
    cache.get_or_compute(1, lambda: b"a")
    cache.get_or_compute(1, lambda: b"a")
    cache.get_or_compute(1, lambda: b"a")
    assert cache.stats().hit_rate == pytest.approx(2 / 3)


def test_a_ttl_cache_with_a_byte_budget_keeps_what_fits_by_size() -> None:
    cache = ttl_cache("latest", 1000, 60.0)
    for key in "abc":
        cache.get_or_compute(key, lambda: b"x" * 400)  # two fit in 1,000 bytes, not three
    # (each bytes value is charged its 33-byte object header too)
    assert cache.stats().size <= 1000
    assert cache.stats().entries == 2 and "a" not in cache
    cache.get_or_compute("small", lambda: b"y" * 10)
    assert "small" in cache
    assert cache.get_or_compute("huge", lambda: b"z" * 5000) == b"z" * 5000  # served, not kept
    assert "huge" not in cache


def test_a_lookup_lets_the_caller_compute_and_wakes_waiters_with_its_value() -> None:
    cache = byte_cache("t", 10_000)
    joined: list[bytes] = []
    with cache.lookup("k") as slot:
        assert slot.missing
        waiter = threading.Thread(target=lambda: joined.append(cache.get_or_compute("k", bytes)))
        waiter.start()
        time.sleep(0.05)  # the waiter joins the flight this caller leads
        slot.value = b"computed"
    waiter.join(5)
    assert joined == [b"computed"] and slot.value == b"computed"
    with cache.lookup("k") as again:
        assert not again.missing and again.value == b"computed"
    stats = cache.stats()
    assert (stats.misses, stats.joined, stats.hits) == (1, 1, 1)


def test_a_lookup_left_by_an_error_or_without_a_value_caches_nothing() -> None:
    cache = byte_cache("t", 1000)
    with pytest.raises(ValueError, match="bad payload"), cache.lookup("k"):
        raise ValueError("bad payload")
    with pytest.raises(RuntimeError, match="missing value was not computed"), cache.lookup("k"):
        pass
    assert "k" not in cache and cache.stats().errors == 2
    assert cache.get_or_compute("k", lambda: b"v") == b"v"
    with cache.lookup("k") as found, pytest.raises(RuntimeError, match="only a missing value"):
        found.value = b"other"


def test_hits_answers_a_whole_batch_once_or_nothing() -> None:
    """A warm history asks for thousands of reductions: one lock, one event per outcome."""
    cache: SingleFlight[int] = byte_cache("reductions", 1 << 20)
    events: list[tuple[str, str, str, int]] = []
    cache.add_listener(lambda *event: events.append(event))
    for key in "abc":
        cache.get_or_compute(key, lambda key=key: ord(key))
    events.clear()
    assert cache.hits(["c", "a", "b", "a"]) == [99, 97, 98, 97]
    assert events == [("reductions", "local", "hit", 4)]
    assert cache.stats().hits == 4
    assert cache.hits(["a", "z"]) is None  # one missing: nothing answered, nothing counted
    assert events == [("reductions", "local", "hit", 4)] and cache.stats().hits == 4
