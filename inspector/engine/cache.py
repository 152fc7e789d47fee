"""Thread-safe caches that compute each missing key once (single flight).

``cachetools`` caches are not thread-safe, and a cold popular key asked for
by N threads at once would otherwise be computed N times.  :class:`SingleFlight`
wraps any ``cachetools`` cache with one lock and a table of computations in
progress: the first caller computes, the others wait for its result.  Errors
are not cached; every waiter sees the same exception.

Sizes are bytes where it matters (decoded payloads): ``getsizeof`` asks the
value for its ``nbytes``.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import cachetools

__all__ = ["CacheStats", "SingleFlight", "byte_cache", "nbytes_of", "ttl_cache"]

V = TypeVar("V")


@dataclass(frozen=True)
class CacheStats:
    """Counters of one cache, readable at any time (e.g. by ``/metrics``)."""

    name: str
    hits: int
    misses: int
    joined: int
    errors: int
    entries: int
    size: int
    max_size: int

    @property
    def hit_rate(self) -> float:
        """Hits (including joined in-flight computations) over all lookups."""
        total = self.hits + self.joined + self.misses
        return (self.hits + self.joined) / total if total else 0.0


class _Flight:
    """One computation in progress that later callers wait on."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class SingleFlight(Generic[V]):
    """A cachetools cache + lock + single-flight computation of missing keys."""

    def __init__(self, name: str, cache: cachetools.Cache[Hashable, V]) -> None:
        self.name = name
        self._cache = cache
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}
        self._hits = self._misses = self._joined = self._errors = 0

    def get(self, key: Hashable) -> V | None:
        """The cached value, or ``None`` (counts as neither hit nor miss)."""
        with self._lock:
            return self._cache.get(key)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._cache

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value of ``key``, computing it once however many threads ask."""
        with self._lock:
            try:
                value = self._cache[key]
            except KeyError:
                pass
            else:
                self._hits += 1
                return value
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
                self._misses += 1
            else:
                self._joined += 1
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[no-any-return]
        try:
            value = compute()
        except BaseException as exc:
            flight.error = exc
            with self._lock:
                self._errors += 1
                del self._flights[key]
            flight.done.set()
            raise
        flight.value = value
        with self._lock:
            # A value larger than the whole cache is served, not kept.
            with contextlib.suppress(ValueError):
                self._cache[key] = value
            del self._flights[key]
        flight.done.set()
        return value

    def clear(self) -> None:
        """Drop every entry (counters are kept)."""
        with self._lock:
            self._cache.clear()

    def stats(self) -> CacheStats:
        """A consistent snapshot of the counters."""
        with self._lock:
            return CacheStats(
                name=self.name,
                hits=self._hits,
                misses=self._misses,
                joined=self._joined,
                errors=self._errors,
                entries=len(self._cache),
                size=int(self._cache.currsize),
                max_size=int(self._cache.maxsize),
            )


def nbytes_of(value: Any) -> int:
    """Bytes held by a cached value: its ``nbytes`` if it has one."""
    size = getattr(value, "nbytes", None)
    if isinstance(size, int):
        return max(size, 1)
    if isinstance(value, bytes | bytearray | str):
        return max(len(value), 1)
    return max(sys.getsizeof(value), 1)


def byte_cache(name: str, max_bytes: int) -> SingleFlight[Any]:
    """An LRU cache bounded by the bytes its values hold."""
    return SingleFlight(name, cachetools.LRUCache(maxsize=max_bytes, getsizeof=nbytes_of))


def ttl_cache(name: str, max_entries: int, ttl_seconds: float) -> SingleFlight[Any]:
    """A cache whose entries expire after ``ttl_seconds`` (IOV lists)."""
    return SingleFlight(name, cachetools.TTLCache(maxsize=max_entries, ttl=ttl_seconds))
