"""The job pool: bounded workers, a bounded queue, joining, and forgetting.

* Jobs run on their own thread pool, separate from the engine's drawer pool,
  so they survive the client that started them and never take the threads
  that answer HTTP requests.
* At most ``workers + queue`` jobs are unfinished at once; one more is
  refused with :class:`QueueFull` (a 503 with ``Retry-After`` on the web).
* Asking for a key whose job is queued, running or done returns that job
  (joining); a failed job is replaced by a new attempt, so a passing outage
  does not stick.
* Finished jobs are kept ``keep_seconds``, at most ``keep`` of them and at
  most ``keep_mb`` of them (each job's key, the whole pinned request, and its
  error text: a job's size is set by the client), then forgotten, oldest
  first (their results stay in the caches of whoever made them).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable
from typing import Final

from inspector.errors import QueueFull
from inspector.jobs.model import Job, JobError, JobView, job_id
from inspector.jobs.settings import JobSettings

__all__ = ["JobManager", "QueueFull", "Work"]

#: A job's computation: it receives the job's ``progress(done, total)``.
Work = Callable[[Callable[[int, int], None]], None]

#: Seconds a refused client is asked to wait before trying again.
RETRY_AFTER: Final = QueueFull.retry_after


class JobManager:
    """Runs jobs in the background and keeps their state (see the module docstring)."""

    def __init__(
        self, settings: JobSettings | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings or JobSettings()
        self._clock = clock
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._finished_at: dict[str, float] = {}
        self._finished_bytes: dict[str, int] = {}
        self._aliases: dict[str, str] = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.settings.workers, thread_name_prefix="job"
        )

    def close(self, *, wait: bool = False) -> None:
        """Stop taking jobs; queued ones are dropped, running ones finish on their own.

        ``wait`` instead lets every queued and running job finish first.
        """
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def get(self, ident: str) -> JobView | None:
        """The job of this id, or ``None`` if it never existed here or was forgotten."""
        with self._lock:
            self._forget_old()
            job = self._jobs.get(ident)
        return job.view() if job else None

    def unfinished(self, key: str) -> JobView | None:
        """A queued or running job computing ``key`` (its own key or an alias)."""
        with self._lock:
            job = self._jobs.get(self._aliases.get(key, job_id(key)))
        view = job.view() if job else None
        return view if view and not view.status.finished else None

    def submit(
        self, key: str, drawer: str, work: Work, *, total: int = 0, alias: str | None = None
    ) -> tuple[JobView, bool]:
        """Start a job for ``key``, or join the one already there: (job, started now?).

        ``alias`` is another key that finds this job while it is unfinished:
        an unpinned request ("latest") runs pinned at the time it was asked.
        """
        with self._lock:
            self._forget_old()
            job = self._jobs.get(job_id(key))
            if job is not None and job.view().error is None:
                return job.view(), False
            busy = sum(1 for j in self._jobs.values() if not j.view().status.finished)
            if busy >= self.settings.workers + self.settings.queue:
                raise QueueFull(
                    f"{busy} plot jobs are queued or running, the most this server takes; "
                    f"try again in {RETRY_AFTER} s"
                )
            job = Job(key, drawer, total)
            self._jobs[job.id] = job
            self._finished_at.pop(job.id, None)
            self._finished_bytes.pop(job.id, None)
            if alias is not None:
                self._aliases[alias] = job.id
        try:
            self._pool.submit(self._run, job, work, alias)
        except RuntimeError:  # the pool was shut down: the app is closing
            job.fail(JobError(503, "Server shutting down", "the server is stopping", drawer))
        return job.view(), True

    def _run(self, job: Job, work: Work, alias: str | None) -> None:
        job.start()
        try:
            work(job.progress)
        except BaseException as exc:
            job.fail(JobError.of(exc, job.drawer))
        else:
            job.succeed()
        size = job.nbytes
        with self._lock:
            self._finished_at[job.id] = self._clock()
            self._finished_bytes[job.id] = size
            if alias is not None and self._aliases.get(alias) == job.id:
                del self._aliases[alias]

    def held_bytes(self) -> int:
        """Bytes held by the finished jobs kept (bounded by ``keep_mb``)."""
        with self._lock:
            self._forget_old()
            return sum(self._finished_bytes.values())

    def _forget_old(self) -> None:
        """Drop finished jobs past their time, then the oldest beyond the count and bytes.

        (Lock held.)  Unfinished jobs are bounded by ``workers + queue`` already.
        """
        now = self._clock()
        keep = self.settings
        kept = sorted((t, i) for i, t in self._finished_at.items() if now - t <= keep.keep_seconds)
        expired = set(self._finished_at) - {i for _, i in kept}
        held = sum(self._finished_bytes[i] for _, i in kept)
        for _, ident in kept:  # oldest first
            if len(self._finished_at) - len(expired) <= keep.keep and held <= keep.keep_bytes:
                break
            expired.add(ident)
            held -= self._finished_bytes[ident]
        for ident in expired:
            del self._finished_at[ident]
            del self._finished_bytes[ident]
            self._jobs.pop(ident, None)
