"""A second cache tier in Redis, shared by every server process and machine.

Each process keeps its in-memory :class:`~inspector.engine.cache.SingleFlight`
caches; a :class:`SharedTier` under one of them is asked only on a local miss,
and what the process computes is written to both.  So with several gunicorn
workers, or several machines behind a load balancer, a pinned plot or a
history reduction is computed once for all of them::

    local hit → Redis hit → compute, then write local and Redis

Reads are synchronous (one ``MGET`` for a whole history's reductions);
writes go *behind* the request, through a queue that one writer thread per
process drains in pipelined batches, so a cold history of 1,000 payloads
does not wait for 1,000 round trips.

A tier may also be *single-flight across processes* (``lock_seconds``, used
for rendered pinned plots): on a miss the process takes a short lock on the
key (``SET NX PX``) and computes; another process missing the same key sees
the lock and waits, polling, for the value instead of computing it again —
at most ``lock_seconds``, after which (or as soon as the lock is gone without
a value) it takes the lock itself.  The writer deletes the lock in the same
pipeline that stores the value.  History reductions take no lock: one per
payload would add a round trip to each of thousands of misses.

Redis is an optimisation, never a dependency.  Every call has a short socket
timeout, and a failure (refused, timed out, reset mid-reply, garbage) opens a
*circuit breaker*: for ``retry_after_seconds`` no call is even tried, so a
dead Redis costs one timeout per period rather than one per request.  Then a
single probe goes through; when it succeeds the breaker closes.  No Redis
failure ever fails a request: the caller computes locally as if there were
no shared tier.

Keys are ``PREFIX:NAMESPACE:vFORMAT:CODE:SHA256`` where the digest covers a
canonical JSON form of the in-process key tuple (so no user text reaches a
Redis key unescaped) and ``CODE`` fingerprints the versions of the software
that produced the value (this package, Bokeh, every plugin distribution):
an upgraded instance never reads what an older one rendered.  Values are
plain bytes or JSON through a :class:`Codec`; nothing is ever unpickled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import logging
import math
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Final, Generic, Protocol, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.credentials import CredentialProvider
from redis.retry import Retry

from inspector.config import Config
from inspector.engine.cache import CacheListener, SingleFlight
from inspector.engine.cache_settings import CacheConfig
from inspector.errors import ConfigError
from inspector.plugin import Plugins
from inspector.secrets import read_secret

__all__ = [
    "FORMAT_VERSION",
    "Codec",
    "ReductionCodec",
    "SharedCache",
    "SharedTier",
    "attach_shared_reductions",
    "code_fingerprint",
    "key_digest",
    "redis_options",
]

#: Bump when the key layout or a value encoding changes.
FORMAT_VERSION: Final = 1

#: Values written per pipelined round trip, and the most bytes waiting to be written.
BATCH: Final = 256
QUEUE_BYTES: Final = 64 << 20
#: Seconds between two looks at a value another process is computing (cross-process lock).
LOCK_POLL_SECONDS: Final = 0.05

#: Everything a Redis call can raise when the server is away or misbehaves.
_REDIS_FAILURES: Final = (redis.RedisError, OSError)

log = logging.getLogger("inspector.cache")


class _SecretCredentials(CredentialProvider):
    """``[cache]`` user and password, the password read at each new connection.

    A secret that cannot be read fails that connection like a wrong one would
    (the server computes locally and says why in its log), never a request.
    """

    def __init__(self, config: CacheConfig) -> None:
        self.config = config

    def get_credentials(self) -> tuple[str] | tuple[str, str]:
        try:
            password = read_secret(self.config.password_env, self.config.password_file, "[cache]")
        except ConfigError as exc:
            raise redis.AuthenticationError(str(exc)) from None
        if self.config.user is not None:
            return self.config.user, password or ""
        return (password or "",)


def redis_options(config: CacheConfig) -> dict[str, Any]:
    """``redis.Redis.from_url`` options of ``[cache]``: credentials, timeouts, one attempt.

    Shared by the cache tier and the rate limiter's storage
    (:mod:`inspector.web.limits`), so both log in and give up alike.
    """
    secret = config.password_env or config.password_file or config.user
    return {
        "credential_provider": _SecretCredentials(config) if secret else None,
        "socket_timeout": config.timeout_seconds,
        "socket_connect_timeout": config.timeout_seconds,
        # One attempt: the breaker, not a retry loop, decides when to try again.
        "retry": Retry(NoBackoff(), 0),
    }


V = TypeVar("V")
T = TypeVar("T")


class Codec(Protocol[V]):
    """Turns cached values into bytes and back; ``decode`` raises ``ValueError`` on garbage."""

    def encode(self, value: V) -> bytes:
        """The bytes stored in Redis."""
        ...

    def decode(self, data: bytes) -> V:
        """The value again (``ValueError`` if ``data`` is not one)."""
        ...


class ReductionCodec:
    """History reductions ``{series: (value, error)}`` as JSON (NaN allowed)."""

    def encode(self, value: Mapping[str, tuple[float, float]]) -> bytes:
        """Compact JSON: ``{"series": [value, error], ...}``."""
        return json.dumps(value, separators=(",", ":")).encode("utf-8")

    def decode(self, data: bytes) -> dict[str, tuple[float, float]]:
        """The reduction, every entry checked to be a name and two numbers."""
        try:
            raw = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ValueError("a reduction is a JSON object")
        out: dict[str, tuple[float, float]] = {}
        for name, pair in raw.items():
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in pair)
            ):
                raise ValueError(f"series {name!r} is not a [value, error] pair")
            out[name] = (float(pair[0]), float(pair[1]))
        return out


def _canonical(value: object) -> object:
    """JSON's ``default``: datetimes as ISO text; anything else is a programming error."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cache key part of type {type(value).__name__} has no stable form")


def key_digest(key: Hashable) -> str:
    """SHA-256 of a canonical JSON form of a key tuple (stable across processes)."""
    if isinstance(key, float) and not math.isfinite(key):
        raise TypeError("a non-finite number is not a stable cache key")
    text = json.dumps(key, separators=(",", ":"), sort_keys=True, default=_canonical)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def code_fingerprint(plugins: Iterable[tuple[str, str]]) -> str:
    """Short digest of the software versions that shape cached values.

    ``plugins`` are ``(distribution, version)`` pairs of the loaded plugins; the
    versions of this package and of Bokeh (whose JSON the browser's BokehJS
    must match) are added here.
    """
    parts = sorted({*plugins, *((d, _version_of(d)) for d in ("payload-inspector", "bokeh"))})
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()[:12]


def _value_and_lock(client: redis.Redis, name: str, lock: str) -> list[Any]:
    """A value and whether its lock is held, in one round trip."""
    pipe = client.pipeline(transaction=False)
    pipe.get(name)
    pipe.exists(lock)
    result: list[Any] = pipe.execute()
    return result


class SharedCache:
    """One Redis connection pool with a circuit breaker and counters (thread-safe)."""

    def __init__(self, config: CacheConfig, *, code: str) -> None:
        if config.redis_url is None:
            raise ValueError("SharedCache needs [cache] redis_url")
        self.config = config
        self._prefix = f"{config.key_prefix}:"
        self._suffix = f":v{FORMAT_VERSION}:{code}:"
        self._client = redis.Redis.from_url(config.redis_url, **redis_options(config))
        self._max_bytes = int(config.max_value_mb * (1 << 20))
        self._lock = threading.Lock()
        self._open_until: float | None = None
        self._counts: Counter[tuple[str, str]] = Counter()
        # The write-behind queue (see put) and its writer thread.
        #: (namespace, Redis key, value, lock to delete once it is stored or "")
        self._queue: deque[tuple[str, str, bytes, str]] = deque()
        self._queued_bytes = 0
        self._writing = self._closed = False
        self._wake = threading.Condition(self._lock)
        self._writer: threading.Thread | None = None
        self._writer_pid = 0
        self._listeners: list[CacheListener] = []

    def close(self) -> None:
        """Write what is queued (briefly), stop the writer, release the connection pool."""
        self.flush(timeout=2 * self.config.timeout_seconds)
        with self._lock:
            self._closed = True
            self._queue.clear()
            self._wake.notify_all()
        self._client.close()

    def redis_key(self, namespace: str, key: Hashable) -> str:
        """Where ``key`` of ``namespace`` lives in Redis (see the module docstring)."""
        return f"{self._prefix}{namespace}{self._suffix}{key_digest(key)}"

    # -- the circuit breaker ----------------------------------------------------------

    def _allowed(self) -> bool:
        """Closed: yes.  Open: no, until the period ends; then one probe goes through."""
        with self._lock:
            if self._open_until is None:
                return True
            now = time.monotonic()
            if now < self._open_until:
                return False
            self._open_until = now + self.config.retry_after_seconds  # others wait for the probe
            return True

    def _succeeded(self) -> None:
        with self._lock:
            was_open = self._open_until is not None
            self._open_until = None
        if was_open:
            log.warning("shared cache available again")

    def _failed(self, error: BaseException | None = None) -> None:
        with self._lock:
            was_closed = self._open_until is None
            self._open_until = time.monotonic() + self.config.retry_after_seconds
        if was_closed:  # once per outage, not once per request
            log.warning(
                "shared cache unavailable (%s); computing locally, next try in %g s",
                error or "Redis failed",
                self.config.retry_after_seconds,
            )

    @property
    def available(self) -> bool:
        """False while the breaker is open (Redis failed recently)."""
        with self._lock:
            return self._open_until is None or time.monotonic() >= self._open_until

    def guarded(self, call: Callable[[redis.Redis], T]) -> tuple[T | None, str]:
        """``call(client)`` behind the breaker: its result and ``ok``, or ``None`` and why not.

        ``error`` (Redis failed: the breaker opens, logged once per outage) or
        ``bypassed`` (the breaker is open: Redis not asked).  For the other
        users of this Redis (shared job state, cross-process locks), so that
        one outage is noticed, logged and waited out once for all of them.
        """
        if not self._allowed():
            return None, "bypassed"
        try:
            result = call(self._client)
        except _REDIS_FAILURES as exc:
            self._failed(exc)
            return None, "error"
        self._succeeded()
        return result, "ok"

    def _count(self, namespace: str, event: str, n: int = 1) -> None:
        with self._lock:
            self._counts[namespace, event] += n

    # -- reads and writes -------------------------------------------------------------

    def get_many(self, namespace: str, keys: Sequence[Hashable]) -> tuple[list[bytes | None], str]:
        """Values of ``keys`` (``None`` where absent) and what happened.

        The outcome is ``"ok"``, ``"error"`` (Redis failed: every value is
        ``None``) or ``"bypassed"`` (the breaker is open: Redis not asked).
        """
        if not keys:
            return [], "ok"
        if not self._allowed():
            self._count(namespace, "bypassed", len(keys))
            return [None] * len(keys), "bypassed"
        names = [self.redis_key(namespace, k) for k in keys]
        try:
            raw: list[Any] = self._client.mget(names)
        except _REDIS_FAILURES as exc:
            self._failed(exc)
            self._count(namespace, "error", len(keys))
            return [None] * len(keys), "error"
        self._succeeded()
        values = [v if isinstance(v, bytes) else None for v in raw]
        found = sum(v is not None for v in values)
        self._count(namespace, "hit", found)
        self._count(namespace, "miss", len(values) - found)
        return values, "ok"

    def put(self, namespace: str, key: Hashable, data: bytes, *, unlock: bool = False) -> str:
        """Queue ``data`` for the writer thread; the outcome, at once.

        ``queued``, or why not: ``too_large`` (over ``max_value_mb``),
        ``bypassed`` (breaker open) or ``dropped`` (the queue holds
        :data:`QUEUE_BYTES` already: Redis is slower than the computations).
        The request that computed the value never waits for Redis to store
        it: a history of 1,000 payloads would otherwise pay 1,000 round trips.
        ``unlock`` deletes the key's cross-process lock (:meth:`claim`) in the
        same round trip that stores it; a value that is not queued releases
        the lock at once, so that no other process waits for it in vain.
        """
        if len(data) > self._max_bytes:
            outcome = "too_large"
        elif not self.available:
            outcome = "bypassed"
        else:
            name = self.redis_key(namespace, key)
            with self._lock:
                if self._queued_bytes + len(data) > QUEUE_BYTES:
                    outcome = "dropped"
                else:
                    lock = self._lock_name(namespace, key) if unlock else ""
                    self._queue.append((namespace, name, data, lock))
                    self._queued_bytes += len(data)
                    self._start_writer()
                    self._wake.notify()
                    outcome = "queued"
        self._count(namespace, outcome)
        if unlock and outcome != "queued":
            self.release(namespace, key)
        return outcome

    # -- single flight across processes --------------------------------------------------

    def _lock_name(self, namespace: str, key: Hashable) -> str:
        return self.redis_key(f"{namespace}.lock", key)

    def claim(self, namespace: str, key: Hashable, seconds: float) -> tuple[bytes | None, str]:
        """Compute ``key`` here, or get it from the process computing it (see the module docstring).

        ``(None, "claimed")``: this process holds the lock and computes;
        ``(value, "waited")``: another process computed it meanwhile;
        ``(None, outcome)`` with ``error``, ``bypassed`` or ``timeout``: Redis is away or the
        other process took longer than ``seconds``, so compute locally (as without Redis).
        """
        lock, name = self._lock_name(namespace, key), self.redis_key(namespace, key)
        expiry = max(int(seconds * 1000), 1)
        deadline = time.monotonic() + seconds
        while True:
            claimed, outcome = self.guarded(lambda c: c.set(lock, b"1", nx=True, px=expiry))
            if outcome != "ok":
                return None, outcome
            if claimed:
                return None, "claimed"
            while True:  # another process computes it: wait for its value, or its lock to go
                if time.monotonic() >= deadline:
                    return None, "timeout"
                time.sleep(LOCK_POLL_SECONDS)
                found, outcome = self.guarded(lambda c: _value_and_lock(c, name, lock))
                if found is None:
                    return None, outcome
                value, held = found
                if isinstance(value, bytes):
                    return value, "waited"
                if not held:
                    break  # it failed, or its lock expired: try to take it

    def release(self, namespace: str, key: Hashable) -> None:
        """Drop ``key``'s lock: its computation failed here, let another process try."""
        lock = self._lock_name(namespace, key)
        self.guarded(lambda c: c.delete(lock))

    def _start_writer(self) -> None:
        """Start the writer thread on first use in this process (the lock is held).

        Started lazily, so a process that forks (gunicorn's master) has no
        thread to lose; a child finds the thread belongs to its parent and
        starts its own.
        """
        if self._writer is None or self._writer_pid != os.getpid() or not self._writer.is_alive():
            self._writer = threading.Thread(
                target=self._write_loop, name="redis-writer", daemon=True
            )
            self._writer_pid = os.getpid()
            self._writer.start()

    def _write_loop(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue:
                    return
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), BATCH))]
                self._queued_bytes -= sum(len(data) for _, _, data, _ in batch)
                self._writing = True
            try:
                self._write(batch)
            finally:
                with self._lock:
                    self._writing = False
                    self._wake.notify_all()

    def _write(self, batch: list[tuple[str, str, bytes, str]]) -> None:
        """One pipelined round trip for the whole batch."""
        if not self._allowed():
            outcome = "bypassed"
        else:
            ttl = max(int(self.config.ttl_seconds * 1000), 1)
            try:
                pipe = self._client.pipeline(transaction=False)
                for _, name, data, lock in batch:
                    pipe.set(name, data, px=ttl)
                    if lock:  # after the value: a waiter finds one or the other
                        pipe.delete(lock)
                pipe.execute()
            except _REDIS_FAILURES as exc:
                self._failed(exc)
                outcome = "store_error"
            else:
                self._succeeded()
                outcome = "stored"
        for namespace, _, _, _ in batch:
            self._count(namespace, outcome)
            for listener in self._listeners:
                listener(namespace, "redis", outcome, 1)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued value is written (or failed); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._queue or self._writing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.wait(remaining)
        return True

    def add_listener(self, listener: CacheListener) -> None:
        """Call ``listener(namespace, "redis", outcome, 1)`` for each value the writer handled."""
        self._listeners.append(listener)

    def corrupt(self, namespace: str) -> None:
        """Count a value that did not decode (it is treated as a miss)."""
        self._count(namespace, "corrupt")

    def ping(self) -> bool:
        """Whether Redis answers now (for ``/readyz``: informative, never a failure)."""
        try:
            ok = bool(self._client.ping())
        except _REDIS_FAILURES:
            return False
        return ok

    def stats(self) -> dict[str, Any]:
        """Counters by namespace and event, and whether the breaker lets calls through."""
        with self._lock:
            by_namespace: dict[str, dict[str, int]] = {}
            for (namespace, event), n in sorted(self._counts.items()):
                by_namespace.setdefault(namespace, {})[event] = n
        return {"available": self.available, "namespaces": by_namespace}


class SharedTier(Generic[V]):
    """One namespace of a :class:`SharedCache` with its codec: what a SingleFlight asks."""

    name = "redis"

    def __init__(
        self,
        shared: SharedCache,
        namespace: str,
        codec: Codec[V],
        *,
        lock_seconds: float | None = None,
    ) -> None:
        self.shared = shared
        self.namespace = namespace
        self.codec = codec
        #: single flight across processes: how long a miss waits for another's value
        self.lock_seconds = lock_seconds

    def load_many(self, keys: Sequence[Hashable]) -> list[tuple[V | None, str]]:
        """``(value or None, outcome)`` per key: ``hit``, ``miss``, ``error``, ``bypassed``."""
        raw, outcome = self.shared.get_many(self.namespace, keys)
        if outcome != "ok":
            return [(None, outcome)] * len(keys)
        out: list[tuple[V | None, str]] = []
        for data in raw:
            if data is None:
                out.append((None, "miss"))
                continue
            try:
                out.append((self.codec.decode(data), "hit"))
            except ValueError:
                self.shared.corrupt(self.namespace)
                out.append((None, "corrupt"))
        return out

    def load(self, key: Hashable) -> tuple[V | None, str]:
        """One key's value and outcome (see :meth:`load_many`).

        With ``lock_seconds``, a miss is the caller's turn only once it holds
        the key's lock (``claimed``); while another process holds it, the
        value that process computes (``waited``), or after ``lock_seconds``
        (``timeout``) the caller's turn anyway (:meth:`SharedCache.claim`).
        """
        value, outcome = self.load_many([key])[0]
        if self.lock_seconds is None or outcome != "miss":
            return value, outcome
        data, outcome = self.shared.claim(self.namespace, key, self.lock_seconds)
        if data is None:
            return None, outcome
        try:
            return self.codec.decode(data), outcome
        except ValueError:
            self.shared.corrupt(self.namespace)
            return None, "corrupt"

    def store(self, key: Hashable, value: V) -> str:
        """Queue a computed value for writing (and its lock's release); the outcome of ``put``."""
        unlock = self.lock_seconds is not None
        return self.shared.put(self.namespace, key, self.codec.encode(value), unlock=unlock)

    def abandon(self, key: Hashable) -> None:
        """The caller failed to compute ``key``: release its lock for another process."""
        if self.lock_seconds is not None:
            self.shared.release(self.namespace, key)


def attach_shared_reductions(
    reductions: SingleFlight[Any], config: Config, plugins: Plugins
) -> SharedCache | None:
    """The configured shared cache (``None`` without ``[cache] redis_url``), under ``reductions``.

    Opening makes no connection: a Redis that is down at start-up is simply
    bypassed until it answers.
    """
    if not config.cache.enabled:
        return None
    code = code_fingerprint((p.distribution, p.version) for p in plugins.info)
    shared = SharedCache(config.cache, code=code)
    reductions.attach(SharedTier(shared, reductions.name, ReductionCodec()))
    return shared
