"""Jobs on a queue in Redis: their state where every process reads it, RQ to run them.

With ``[cache] redis_url`` a heavy plot is not computed by the web process
that was asked: it is queued on `RQ <https://python-rq.org/>`_ over the
same Redis, and ``inspector worker`` processes compute it
(:mod:`inspector.web.jobs.worker`).  What a poll needs lives in Redis, one
hash per job, so any web process on any machine answers it truthfully:

    status, done, total, created, started, finished, error, attempts

* The id is :func:`~inspector.jobs.model.job_id` of the pinned request, and
  the RQ job gets that same id: the same request asked anywhere joins the
  job (a Lua script creates the hash only when there is none, or a failed
  one), and nobody enqueues it twice.
* ``done`` only grows (a Lua script keeps the larger value), whichever worker
  reports it, a retried attempt included.
* A worker that dies mid-job stops its heartbeat; after ``[jobs]
  lease_seconds`` RQ's own registry cleanup (run by any idle worker) finds
  the job abandoned and retries it once (``Retry(max=1)``); a second loss
  fails it with a message naming the drawer and where it stopped.
* Every Redis call goes through the shared cache's circuit breaker
  (:meth:`~inspector.engine.shared_cache.SharedCache.guarded`): ``None``
  from :meth:`JobQueue.submit` means Redis is away, and the caller runs the
  job in its own process as it would without Redis.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

import redis
from rq import Callback, Queue, Retry

from inspector.engine.shared_cache import SharedCache
from inspector.errors import QueueFull
from inspector.jobs.model import JobError, JobStatus, JobView, job_id
from inspector.jobs.settings import JobSettings

__all__ = ["QUEUE_NAME", "JobQueue"]

#: The RQ queue heavy plots go to (``inspector worker --queues`` reads it by default).
QUEUE_NAME: Final = "plots"
#: What an ``inspector worker`` runs for a job, and is told when RQ gives one up.
RUNNER: Final = "inspector.web.jobs.worker.run_queued_job"
ON_FAILURE: Final = "inspector.web.jobs.worker.job_lost"
#: Times RQ starts a job again after its worker was lost.
RETRIES: Final = 1

T = TypeVar("T")

#: Create the job's hash unless one is there that did not fail: 1 if created.
_CREATE: Final = """
local status = redis.call('HGET', KEYS[1], 'status')
if status and status ~= 'failed' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'key', ARGV[1], 'drawer', ARGV[2], 'status', 'queued',
           'done', 0, 'total', ARGV[3], 'created', ARGV[4], 'attempts', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""
#: Counters only grow: keep the larger total, and done within it.
_PROGRESS: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local total = math.max(tonumber(redis.call('HGET', KEYS[1], 'total') or 0), tonumber(ARGV[2]))
local done = math.max(tonumber(redis.call('HGET', KEYS[1], 'done') or 0), tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'total', total, 'done', math.min(done, total))
return 1
"""
#: Set fields of a job that still exists (a forgotten job is not brought back half-made).
_UPDATE: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""
#: A worker picks the job up: running, one attempt more.
_START: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', 'running', 'started', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return 1
"""
#: The end of a job: its status, finished time and error; done = total when done.
_FINISH: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished', ARGV[2], 'error', ARGV[3])
if ARGV[1] == 'done' then
  redis.call('HSET', KEYS[1], 'done', redis.call('HGET', KEYS[1], 'total'))
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()


def _time(raw: dict[bytes, bytes], field: bytes) -> dt.datetime | None:
    text = raw.get(field)
    return dt.datetime.fromisoformat(text.decode()) if text else None


def _error(raw: dict[bytes, bytes]) -> JobError | None:
    text = raw.get(b"error")
    return JobError(**json.loads(text)) if text else None


def _read(client: redis.Redis, name: str) -> dict[bytes, bytes]:
    """A job's hash (bytes, as the client returns them without decode_responses)."""
    return cast(dict[bytes, bytes], client.hgetall(name))


def _view(ident: str, raw: dict[bytes, bytes]) -> JobView:
    """A job's hash as the view every edge reads (created is always set by _CREATE)."""
    created = _time(raw, b"created")
    assert created is not None
    return JobView(
        id=ident,
        key=raw[b"key"].decode(),
        drawer=raw[b"drawer"].decode(),
        status=JobStatus(raw[b"status"].decode()),
        done=int(raw.get(b"done", 0)),
        total=int(raw.get(b"total", 0)),
        created=created,
        started=_time(raw, b"started"),
        finished=_time(raw, b"finished"),
        error=_error(raw),
        reducing=raw[b"reducing"].decode() if b"reducing" in raw else None,
    )


class JobQueue:
    """Job state in Redis and the RQ queue of the workers (see the module docstring)."""

    def __init__(
        self, shared: SharedCache, settings: JobSettings, queue_name: str = QUEUE_NAME
    ) -> None:
        self.shared = shared
        self.settings = settings
        self.queue_name = queue_name

    def _state(self, ident: str) -> str:
        return self.shared.redis_key("jobs", ident)

    def _alias(self, key: str) -> str:
        return self.shared.redis_key("job_alias", job_id(key))

    def _call(self, call: Callable[[redis.Redis], T]) -> tuple[T | None, bool]:
        """``call`` behind the breaker: (result, whether Redis answered)."""
        result, outcome = self.shared.guarded(call)
        return result, outcome == "ok"

    @property
    def _unfinished_ms(self) -> int:
        """How long an unfinished job's hash lives: twice its time limit, then it is forgotten."""
        return int(2 * (self.settings.time_limit + self.settings.lease_seconds) * 1000)

    # -- what any web process reads -------------------------------------------------------

    def get(self, ident: str) -> JobView | None:
        """The job of this id, or ``None`` if Redis has none (or is away)."""
        raw, _ = self._call(lambda client: _read(client, self._state(ident)))
        return _view(ident, raw) if raw else None

    def unfinished(self, key: str) -> JobView | None:
        """A queued or running job computing ``key`` (its own key or an alias)."""

        def read(client: redis.Redis) -> tuple[str, dict[bytes, bytes]] | None:
            aliased = client.get(self._alias(key))
            ident = aliased.decode() if isinstance(aliased, bytes) else job_id(key)
            raw = _read(client, self._state(ident))
            return (ident, raw) if raw else None

        found, _ = self._call(read)
        view = _view(*found) if found else None
        return view if view and not view.status.finished else None

    def submit(
        self, key: str, drawer: str, *, total: int = 0, alias: str | None = None
    ) -> JobView | None:
        """Queue the job of ``key``, or join the one there: its view; ``None`` if Redis is away.

        Refused with :class:`QueueFull` when ``[jobs] workers + queue`` jobs
        wait in the queue already (jobs running on workers do not count:
        the workers' own number bounds them).
        """
        ident = job_id(key)

        def enqueue(client: redis.Redis) -> dict[bytes, bytes]:
            state = self._state(ident)
            existing = _read(client, state)
            if existing and existing.get(b"status") != b"failed":
                return existing
            queue = Queue(self.queue_name, connection=client)
            waiting = queue.count
            if waiting >= self.settings.workers + self.settings.queue:
                raise QueueFull(
                    f"{waiting} plot jobs wait in the queue, the most it takes; "
                    f"try again in {QueueFull.retry_after} s"
                )
            created = client.register_script(_CREATE)(
                keys=[state], args=[key, drawer, total, _now(), self._unfinished_ms]
            )
            if created:
                if alias is not None:
                    client.set(self._alias(alias), ident, px=self._unfinished_ms)
                queue.enqueue(
                    RUNNER,
                    ident,
                    key,
                    job_id=ident,
                    description=drawer,
                    retry=Retry(max=RETRIES),
                    on_failure=Callback(ON_FAILURE),
                    job_timeout=int(self.settings.time_limit) + self.settings.lease_seconds,
                    result_ttl=int(self.settings.keep_seconds),
                    failure_ttl=int(self.settings.keep_seconds),
                )
            return _read(client, state)

        raw, _ = self._call(enqueue)
        return _view(ident, raw) if raw else None

    # -- what the worker computing a job writes -------------------------------------------

    def start(self, ident: str) -> None:
        """A worker picked the job up (again, after a lost worker): running, one attempt more."""

        self._script(_START, ident, _now())

    def progress(self, ident: str, done: int, total: int) -> None:
        """Payloads reduced so far: the counters only grow (see :data:`_PROGRESS`)."""
        self._script(_PROGRESS, ident, done, total)

    def reducing(self, ident: str, payload_hash: str) -> None:
        """The payload the worker starts to reduce: named if the worker dies on it."""
        self._script(_UPDATE, ident, "reducing", payload_hash)

    def succeed(self, ident: str) -> None:
        """Done: the result is in the shared cache (the caller flushed it first)."""
        self._finish(ident, JobStatus.DONE, None)

    def fail(self, ident: str, error: JobError) -> None:
        """Failed: what to tell every poll (never a traceback)."""
        self._finish(ident, JobStatus.FAILED, error)

    def requeued(self, ident: str) -> None:
        """RQ starts the job again after its worker was lost: queued, counters kept."""
        self._script(_UPDATE, ident, "status", "queued")

    def _finish(self, ident: str, status: JobStatus, error: JobError | None) -> None:
        text = json.dumps(dataclasses.asdict(error)) if error else ""
        keep_ms = max(int(self.settings.keep_seconds * 1000), 1)
        self._script(_FINISH, ident, status.value, _now(), text, keep_ms)

    def _script(self, source: str, ident: str, *args: str | int) -> None:
        """Run one of the Lua scripts above on the job's hash (atomic in Redis)."""
        state = self._state(ident)
        self._call(lambda client: client.register_script(source)(keys=[state], args=list(args)))

    def stats(self) -> dict[str, Any]:
        """Jobs waiting in the queue (``None`` while Redis is away), for ``/_stats``."""
        waiting, _ = self._call(lambda client: Queue(self.queue_name, connection=client).count)
        return {"queue": self.queue_name, "waiting": waiting}
