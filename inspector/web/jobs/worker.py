"""Queue workers: compute the plot jobs of :mod:`inspector.jobs.queue` with the web's own app.

``inspector worker`` builds exactly the app a web worker builds
(:func:`inspector.cli.serve.build_app`: the same configuration, plugins,
engine and caches), then runs an RQ worker in it.  A job is computed by the
same :func:`~inspector.web.jobs.service.compute_job` a web process runs
without Redis, so its reductions and its rendered plot land in the shared
Redis tier the web processes read; the job is marked done only after they
are written.

Each worker is an RQ ``SimpleWorker`` (jobs run in the worker process, no
fork per job, so its caches stay warm) whose heartbeat is ``[jobs]
lease_seconds``: a thread renews the lease while a job computes, and an idle
worker looks for abandoned jobs every lease period, so a worker killed
mid-job has its job retried once by another within about two leases.

RQ calls job functions by import path, so the app a job runs in is this
module's :data:`_APP`, set once per worker process by :func:`work`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Final

import redis
from flask import Flask
from rq import Queue, SimpleWorker
from rq.exceptions import AbandonedJobError
from rq.executions import Execution
from rq.job import Job as RqJob
from rq.worker import WorkerStatus

from inspector.engine.shared_cache import redis_options
from inspector.jobs import JobError
from inspector.jobs.queue import JobQueue
from inspector.web.jobs.service import compute_job, pinned_of_key
from inspector.web.state import WebState, state

__all__ = ["PlotWorker", "job_lost", "run_queued_job", "work"]

log = logging.getLogger("inspector.jobs")

#: Seconds the worker waits for the shared cache to write a result before marking it done.
FLUSH_SECONDS: Final = 30.0
#: Progress is written to Redis at most this often (and at the end).
PROGRESS_SECONDS: Final = 0.2
#: How long the thread reading RQ's command channel waits for a message at a time.
COMMAND_WAIT_SECONDS: Final = 1.0

_APP: Flask | None = None


def _served() -> tuple[WebState, JobQueue]:
    """This worker process's app state and job queue (set by :func:`work`)."""
    if _APP is None:
        raise RuntimeError("a queued plot job runs in an `inspector worker` process only")
    web = state(_APP)
    if web.queue is None:
        raise RuntimeError("`inspector worker` needs [cache] redis_url")
    return web, web.queue


class _Progress:
    """The engine's ``progress(done, total)``, written to the job's hash now and then."""

    def __init__(self, queue: JobQueue, ident: str) -> None:
        self.queue, self.ident = queue, ident
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last >= PROGRESS_SECONDS:
            self._last = now
            self.queue.progress(self.ident, done, total)


def run_queued_job(ident: str, key: str) -> None:
    """What RQ runs for a job: compute, share the result, then mark the job done or failed.

    A failing plot is the job's outcome, not RQ's: it is recorded for the
    polls and the RQ job ends normally, so RQ's one retry is kept for a
    worker that was lost.
    """
    web, queue = _served()
    data = pinned_of_key(key)
    queue.start(ident)
    log.info("job %s (%s) started: %s", ident, data.drawer, key)
    started = time.perf_counter()
    try:
        compute_job(web, data, _Progress(queue, ident), lambda h: queue.reducing(ident, h))
    except Exception as exc:
        queue.fail(ident, JobError.of(exc, data.drawer))
        log.warning("job %s (%s) failed: %s", ident, data.drawer, exc)
        return
    if web.engine.shared is not None and not web.engine.shared.flush(FLUSH_SECONDS):
        log.warning("job %s: the shared cache did not take the result in time", ident)
    queue.succeed(ident)
    log.info("job %s (%s) computed in %.2f s", ident, data.drawer, time.perf_counter() - started)


def job_lost(job: RqJob, connection: Any, kind: type, error: BaseException, tb: Any) -> None:
    """RQ's failure callback: a worker lost mid-job (or the job function itself broke).

    With a retry left, RQ queues the job again and the poll says ``queued``;
    otherwise the job fails, naming the drawer and how far it got.
    """
    _, queue = _served()
    if job.retries_left:
        queue.requeued(job.id)
        log.warning("job %s: its worker was lost; retrying it once", job.id)
        return
    view = queue.get(job.id)
    drawer = view.drawer if view else str(job.description)
    if issubclass(kind, AbandonedJobError):
        payload = view.reducing if view else None
        where = f" after {view.done} of {view.total} payloads" if view else ""
        on = f", reducing payload {payload}" if payload else ""
        detail = (
            f"the worker computing {drawer} stopped{where}{on} (killed, out of memory, "
            "or its machine lost), and so did the worker that retried it; "
            "ask again to start it anew"
        )
        failure = JobError(500, "Worker lost", detail, drawer, payload)
    else:
        failure = JobError.of(error, drawer)
    queue.fail(job.id, failure)
    log.warning("job %s (%s) failed: %s", job.id, drawer, failure.detail)


class PlotWorker(SimpleWorker):
    """An RQ worker whose lease on a job is ``lease`` seconds, renewed while it computes."""

    def __init__(self, queues: Sequence[str], connection: redis.Redis, lease: int) -> None:
        # The dequeue wait is worker_ttl - 15 s: an idle worker wakes every lease period
        # and then runs RQ's maintenance, which retries jobs whose lease expired.
        super().__init__(
            list(queues), connection=connection, worker_ttl=lease + 15, maintenance_interval=lease
        )
        self.lease = lease
        #: set by SIGTERM / SIGINT: the work loop ended because it was asked to
        self.stop_asked = False

    def request_stop(self, signum: int, frame: Any) -> None:
        """RQ's warm shutdown (the current job finishes), remembered for the exit status."""
        self.stop_asked = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def subscribe(self) -> None:
        """RQ's command channel (``rq`` stop-job and shutdown commands), read every second.

        RQ's own thread waits up to 60 s for a message, and since redis-py
        8.2 its ``stop()`` joins that thread without a timeout, so a warm
        shutdown that found the thread already unsubscribed waited those
        60 s (the supervisor of ``--concurrency`` SIGKILLed such workers).
        A one-second wait bounds the shutdown at about a second.
        """
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=COMMAND_WAIT_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

    def get_heartbeat_ttl(self, job: RqJob, working_time: float = 0.0) -> int:
        """The lease: a job is abandoned once its worker was silent this long."""
        return self.lease

    def execute_job(self, job: RqJob, queue: Queue) -> None:
        """Run the job here, renewing the lease from a thread until it ends."""
        execution = self.prepare_execution(job)
        finished = threading.Event()
        beat = threading.Thread(
            target=self._renew, args=(job, execution, finished), name="lease", daemon=True
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            finished.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _renew(self, job: RqJob, execution: Execution, finished: threading.Event) -> None:
        while not finished.wait(self.lease / 3):
            try:
                self.maintain_heartbeats(job, execution)
            except redis.RedisError as exc:  # the lease lapses: another worker will retry
                log.warning("job %s: lease not renewed (%s)", job.id, exc)


def work(app: Flask, queues: Sequence[str]) -> bool:
    """Serve ``queues`` in this process until stopped (SIGTERM: after the current job).

    False when the worker stopped without being asked to (RQ ends its loop
    when it loses Redis): the caller exits non-zero, and its supervisor
    starts it again.
    """
    global _APP
    _APP = app
    web = state(app)
    cache = web.config.cache
    if cache.redis_url is None or web.queue is None:
        raise RuntimeError("`inspector worker` needs [cache] redis_url")
    connection = redis.Redis.from_url(cache.redis_url, **redis_options(cache))
    worker = PlotWorker(queues, connection, web.config.jobs.lease_seconds)
    log.info("worker %s takes jobs from %s", worker.name, ", ".join(queues))
    try:
        # RQ's own INFO lines (its maintenance every lease period) would drown the jobs'.
        worker.work(logging_level="WARNING")
    except redis.RedisError as exc:
        log.error("worker stopped: Redis unavailable (%s)", exc)
        return False
    finally:
        web.close()
    if not worker.stop_asked:  # RQ ends its loop by itself when it loses Redis
        log.error("worker stopped without being asked to (Redis lost?)")
    return worker.stop_asked
