"""Thread-safe caches that compute each missing key once (single flight).

``cachetools`` caches are not thread-safe, and a cold popular key asked for
by N threads at once would otherwise be computed N times.  :class:`SingleFlight`
wraps any ``cachetools`` cache with one lock and a table of computations in
progress: the first caller computes, the others wait for its result.  Errors
are not cached; every waiter sees the same exception.

Every cache is bounded by bytes: ``getsizeof`` is :func:`nbytes_of`, the
value's deep size (its own ``nbytes`` where it has one), so a budget holds
whatever the values are.

A cache may have a second *tier* (:meth:`SingleFlight.attach`), e.g. Redis
shared by several processes (:mod:`inspector.engine.shared_cache`): the
leader of a missing key asks the tier before computing, and writes what it
computed to it.  Listeners (:meth:`SingleFlight.add_listener`) see every
lookup's outcome, per tier, as it happens; that is how ``/metrics`` counts
across processes without this module knowing about metrics.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import cachetools

from inspector.memory import deep_nbytes

__all__ = [
    "CacheListener",
    "CacheStats",
    "SingleFlight",
    "Slot",
    "Tier",
    "byte_cache",
    "nbytes_of",
    "ttl_cache",
]

V = TypeVar("V")

#: How long a tier miss found by ``warm`` spares the key's leader from asking again,
#: and how many such keys are remembered at most.
_TIER_MISS_SECONDS = 30.0
_TIER_MISS_ENTRIES = 100_000

#: ``listener(cache_name, tier, outcome, count)``: ``count`` lookups had that
#: outcome (a batch is told once per outcome, not once per key); tier
#: ``"local"`` has the outcomes ``hit``, ``miss``, ``joined`` and ``error``; a
#: second tier has its own (:class:`~inspector.engine.shared_cache.SharedTier`:
#: ``hit``, ``miss``, ``error``, ``bypassed``, ``corrupt``; with a cross-process
#: lock ``claimed`` (a miss this process computes), ``waited``, ``timeout``; for
#: writes ``queued``, ``too_large``, ``dropped``, then from its writer ``stored``
#: or ``store_error``).
CacheListener = Callable[[str, str, str, int], None]


class Tier(Protocol[V]):
    """A slower cache under a :class:`SingleFlight` (never raises: it reports outcomes)."""

    name: str

    def load_many(self, keys: Sequence[Hashable]) -> list[tuple[V | None, str]]:
        """``(value or None, outcome)`` for each key, in order."""
        ...

    def load(self, key: Hashable) -> tuple[V | None, str]:
        """One key's ``(value or None, outcome)``."""
        ...

    def store(self, key: Hashable, value: V) -> str:
        """Write a computed value; the outcome."""
        ...

    def abandon(self, key: Hashable) -> None:
        """The computation of a key the tier lacked failed (a lock on it may go)."""
        ...


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
    """One computation in progress that later callers wait on.

    A plain lock held by the leader until the value is there, rather than a
    ``threading.Event`` (a condition and a lock): a history starts a flight per
    payload, and nearly all of them are never joined.
    """

    __slots__ = ("_running", "error", "value")

    def __init__(self) -> None:
        self._running = threading.Lock()
        self._running.acquire()
        self.value: Any = None
        self.error: BaseException | None = None

    def finish(self) -> None:
        """The leader is done (value or error set): wake every waiter."""
        self._running.release()

    def wait(self) -> None:
        """Until the leader finishes."""
        with self._running:
            pass


#: A slot's value before the caller computed it.
_UNSET: Any = object()


class Slot(Generic[V]):
    """One lookup of a key (:meth:`SingleFlight.lookup`): found, or to be computed by the caller.

    Computing in the caller's frame, not inside the cache's, keeps the call
    path straight when caches nest (a rendered plot's miss computes the plot
    object, whose miss reads an IOV list): each cache is entered and left,
    rather than every computation running a level deeper inside the last.
    """

    __slots__ = ("_flight", "_key", "_owner", "_value")

    def __init__(
        self, owner: SingleFlight[V], key: Hashable, flight: _Flight | None, value: Any
    ) -> None:
        self._owner = owner
        self._key = key
        self._flight = flight
        self._value = value

    @property
    def missing(self) -> bool:
        """Whether the caller must compute the value (it was neither cached nor computing)."""
        return self._flight is not None and self._value is _UNSET

    @property
    def value(self) -> V:
        """The value: found, or set by the caller before leaving the ``with`` block."""
        if self._value is _UNSET:
            raise RuntimeError(f"cache {self._owner.name!r}: the missing value was not computed")
        return self._value  # type: ignore[no-any-return]

    @value.setter
    def value(self, value: V) -> None:
        if self._flight is None:
            raise RuntimeError(f"cache {self._owner.name!r}: only a missing value is set")
        self._value = value

    def __enter__(self) -> Slot[V]:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        flight, self._flight = self._flight, None
        if flight is None:
            return
        if exc is None and self._value is _UNSET:
            exc = RuntimeError(f"cache {self._owner.name!r}: the missing value was not computed")
            self._owner._failed(self._key, flight, exc)
            raise exc
        if exc is not None:
            self._owner._failed(self._key, flight, exc)
            return
        self._owner._computed(self._key, flight, self._value)


class SingleFlight(Generic[V]):
    """A cachetools cache + lock + single-flight computation of missing keys."""

    def __init__(self, name: str, cache: cachetools.Cache[Hashable, V]) -> None:
        self.name = name
        self._cache = cache
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}
        self._hits = self._misses = self._joined = self._errors = 0
        self.tier: Tier[V] | None = None
        self._listeners: list[CacheListener] = []
        # Keys the tier just said it lacks (by warm): their leaders skip asking again.
        self._tier_missing: dict[Hashable, float] = {}

    def attach(self, tier: Tier[V]) -> None:
        """Put ``tier`` under this cache: asked on a miss, written after a computation."""
        self.tier = tier

    def add_listener(self, listener: CacheListener) -> None:
        """Call ``listener`` for every lookup outcome (see :data:`CacheListener`)."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def _notify(self, tier: str, outcomes: Iterable[str]) -> None:
        for outcome, count in Counter(outcomes).items():
            for listener in self._listeners:
                listener(self.name, tier, outcome, count)

    def get(self, key: Hashable) -> V | None:
        """The cached value, or ``None`` (counts as neither hit nor miss)."""
        with self._lock:
            return self._cache.get(key)

    def hits(self, keys: Sequence[Hashable]) -> list[V] | None:
        """Every key's value if all are cached (counted as hits), else ``None`` (nothing counted).

        One lock and one listener call for the whole batch: a warm history of
        12,004 payloads took 40 ms through :meth:`get_or_compute` key by key
        (half of it telling listeners of each hit), its plot 85 ms in all.
        """
        with self._lock:
            try:
                values = [self._cache[key] for key in keys]
            except KeyError:
                return None
            self._hits += len(values)
        for listener in self._listeners if values else ():
            listener(self.name, "local", "hit", len(values))
        return values

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._cache

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value of ``key``, computing it once however many threads ask."""
        with self.lookup(key) as slot:
            if slot.missing:
                slot.value = compute()
        return slot.value

    def lookup(self, key: Hashable) -> Slot[V]:
        """Find ``key``: a hit, a wait for the thread computing it, or this caller's turn.

        The slot is a context manager: when it is :attr:`Slot.missing`, the
        caller computes the value in its own frame, sets :attr:`Slot.value`,
        and leaving the ``with`` block stores it (or, on an exception, wakes
        the waiters with it).  :meth:`get_or_compute` is this with a callable.
        """
        with self._lock:
            try:
                value = self._cache[key]
            except KeyError:
                flight = self._flights.get(key)
                leader = flight is None
                if flight is None:
                    flight = self._flights[key] = _Flight()
                    self._misses += 1
                else:
                    self._joined += 1
            else:
                self._hits += 1
                flight = None
        if flight is None:
            self._notify("local", ("hit",))
            return Slot(self, key, None, value)
        self._notify("local", ("miss" if leader else "joined",))
        if not leader:
            flight.wait()
            if flight.error is not None:
                raise flight.error
            return Slot(self, key, None, flight.value)
        try:
            found = self._from_tier(key)
        except BaseException as exc:
            self._failed(key, flight, exc)
            raise
        if found is not None:
            self._settle(key, flight, found)
            return Slot(self, key, None, found)
        return Slot(self, key, flight, _UNSET)

    def _from_tier(self, key: Hashable) -> V | None:
        """The second tier's value of a key this process lacks, if it has one."""
        tier = self.tier
        if tier is None:
            return None
        with self._lock:
            asked_at = self._tier_missing.pop(key, None)
        if asked_at is not None and time.monotonic() - asked_at <= _TIER_MISS_SECONDS:
            return None  # ``warm`` just asked it
        found, outcome = tier.load(key)
        self._notify(tier.name, (outcome,))
        return found

    def _computed(self, key: Hashable, flight: _Flight, value: V) -> None:
        """The leader computed ``value``: write it to the second tier, then keep it."""
        tier = self.tier
        if tier is not None:
            try:
                outcome = tier.store(key, value)
            except BaseException as exc:
                self._failed(key, flight, exc)
                raise
            self._notify(tier.name, (outcome,))
        self._settle(key, flight, value)

    def _settle(self, key: Hashable, flight: _Flight, value: V) -> None:
        flight.value = value
        with self._lock:
            # A value larger than the whole cache is served, not kept.
            with contextlib.suppress(ValueError):
                self._cache[key] = value
            del self._flights[key]
        flight.finish()

    def _failed(self, key: Hashable, flight: _Flight, error: BaseException) -> None:
        if self.tier is not None:
            self.tier.abandon(key)
        flight.error = error
        with self._lock:
            self._errors += 1
            del self._flights[key]
        flight.finish()
        self._notify("local", ("error",))

    def warm(self, keys: Sequence[Hashable]) -> None:
        """Copy what the second tier holds of ``keys`` into this cache, in one batch.

        For callers about to do expensive preparation for the keys that are
        missing (the engine fetches and decodes payloads for missing history
        reductions): after this, keys the tier knew are local hits, and the
        leaders computing the others do not ask the tier again, one round
        trip each, within :data:`_TIER_MISS_SECONDS`.
        """
        tier = self.tier
        if tier is None:
            return
        with self._lock:
            missing = [k for k in keys if k not in self._cache]
        if not missing:
            return
        results = tier.load_many(missing)
        now = time.monotonic()
        with self._lock:
            if len(self._tier_missing) > _TIER_MISS_ENTRIES:
                self._tier_missing.clear()  # leaders that never came: forget them
            for key, (value, _) in zip(missing, results, strict=True):
                if value is None:
                    self._tier_missing[key] = now
                    continue
                with contextlib.suppress(ValueError):
                    self._cache[key] = value
        self._notify(tier.name, (outcome for _, outcome in results))

    def forget(self, key: Hashable) -> None:
        """Drop ``key`` if cached (its source changed); shared tiers keep theirs."""
        with self._lock:
            self._cache.pop(key, None)

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
    """Bytes held by a cached value, deeply (:func:`~inspector.memory.deep_nbytes`), at least 1.

    Never the shallow ``sys.getsizeof`` of a container: a cache charging a
    tuple of arrays its 64-byte header is bounded by nothing.
    """
    return max(deep_nbytes(value), 1)


def byte_cache(name: str, max_bytes: int) -> SingleFlight[Any]:
    """An LRU cache bounded by the bytes its values hold."""
    return SingleFlight(name, cachetools.LRUCache(maxsize=max_bytes, getsizeof=nbytes_of))


def ttl_cache(name: str, max_bytes: int, ttl_seconds: float) -> SingleFlight[Any]:
    """A byte-bounded cache whose entries expire after ``ttl_seconds`` (IOV lists, latest plots).

    Bounded by bytes like every cache here, never by a count of entries:
    values of very different sizes (a 3-IOV list and a 200,000-IOV one, a
    small table and an ECAL map) must not fit a budget alike.
    """
    cache: cachetools.TTLCache[Hashable, Any] = cachetools.TTLCache(
        maxsize=max_bytes, ttl=ttl_seconds, getsizeof=nbytes_of
    )
    return SingleFlight(name, cache)
