"""One job: its identity, status, progress counters, outcome and timestamps.

A job is identified by its *key* (the pinned request's cache key): the id is
a digest of it, so the same request asked twice, in any process, names the
same job.  Progress only moves forward: the counters are updated from the
engine's ``progress(done, total)`` callback and a late or smaller value is
ignored, so a client polling the job sees ``done`` grow monotonically.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import sys
import threading
from dataclasses import dataclass

from inspector.errors import DrawerError, InspectorError, PayloadDecodeError
from inspector.memory import fields_nbytes

__all__ = ["Job", "JobError", "JobStatus", "JobView", "job_id"]


def job_id(key: str) -> str:
    """The id of the job computing ``key``: the same everywhere, for good."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class JobStatus(enum.Enum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more will happen."""
        return self in (JobStatus.DONE, JobStatus.FAILED)


@dataclass(frozen=True)
class JobError:
    """Why a job failed: the error's title and message, and what was to blame."""

    status: int
    title: str
    detail: str
    drawer: str | None = None
    payload: str | None = None

    @classmethod
    def of(cls, exc: BaseException, drawer: str) -> JobError:
        """What a user may read about ``exc`` (never a traceback)."""
        if isinstance(exc, InspectorError):
            payload = None
            if isinstance(exc, DrawerError | PayloadDecodeError):
                payload = exc.payload_hash
            return cls(exc.http_status, exc.title, exc.public_message, drawer, payload)
        return cls(500, "Internal error", f"{type(exc).__name__}: {exc}", drawer)


@dataclass(frozen=True)
class JobView:
    """A consistent snapshot of a job, safe to read from any thread."""

    id: str
    key: str
    drawer: str
    status: JobStatus
    done: int
    total: int
    created: dt.datetime
    started: dt.datetime | None
    finished: dt.datetime | None
    error: JobError | None
    #: the payload a queued job's worker last started to reduce (to name it if the worker dies)
    reducing: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Job:
    """A job's mutable state behind a lock; read it through :meth:`view`."""

    def __init__(self, key: str, drawer: str, total: int = 0) -> None:
        self.id = job_id(key)
        self.key = key
        self.drawer = drawer
        self._lock = threading.Lock()
        self._status = JobStatus.QUEUED
        self._done = 0
        self._total = max(total, 0)
        self._created = _now()
        self._started: dt.datetime | None = None
        self._finished: dt.datetime | None = None
        self._error: JobError | None = None
        self.finished_event = threading.Event()

    @property
    def nbytes(self) -> int:
        """Memory this job holds in the job table: its fields, the key (a whole request) first."""
        return sys.getsizeof(self) + fields_nbytes(self.view())

    def progress(self, done: int, total: int) -> None:
        """The engine's ``progress(done, total)``: counters only ever grow."""
        with self._lock:
            self._total = max(self._total, total)
            self._done = min(max(self._done, done), self._total)

    def start(self) -> None:
        """A worker picked the job up."""
        with self._lock:
            self._status = JobStatus.RUNNING
            self._started = _now()

    def succeed(self) -> None:
        """The result is computed and cached: the counters are full."""
        with self._lock:
            self._status = JobStatus.DONE
            self._done = self._total
            self._finished = _now()
        self.finished_event.set()

    def fail(self, error: JobError) -> None:
        """The computation raised: keep what to tell the user."""
        with self._lock:
            self._status = JobStatus.FAILED
            self._error = error
            self._finished = _now()
        self.finished_event.set()

    def view(self) -> JobView:
        """A snapshot of every field at one moment."""
        with self._lock:
            return JobView(
                id=self.id,
                key=self.key,
                drawer=self.drawer,
                status=self._status,
                done=self._done,
                total=self._total,
                created=self._created,
                started=self._started,
                finished=self._finished,
                error=self._error,
            )
