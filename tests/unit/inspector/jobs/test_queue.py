"""Job state in a real Redis: joining, monotone progress, outcomes, the bound, an outage.

The RQ queue is real too (its length is read back from Redis); computing the
jobs is ``inspector worker``'s, tested across processes in
``tests/reliability/test_queued_jobs.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_servers import RedisServer
from rq import Queue

from inspector.config import CacheConfig
from inspector.engine.shared_cache import SharedCache
from inspector.errors import QueueFull
from inspector.jobs import JobError, JobSettings, JobStatus, job_id
from inspector.jobs.queue import JobQueue

KEY = "beamspot.position_x?db=demo&tag=T&snapshot=2025-01-01T00:00:00Z"


@pytest.fixture
def queue(redis_server: RedisServer) -> Iterator[JobQueue]:
    shared = SharedCache(
        CacheConfig(redis_server.url, timeout_seconds=0.5, retry_after_seconds=0.3), code="test"
    )
    yield JobQueue(shared, JobSettings(workers=1, queue=1), queue_name="test-plots")
    shared.close()


def _waiting(queue: JobQueue) -> int:
    count, _ = queue.shared.guarded(lambda c: Queue(queue.queue_name, connection=c).count)
    assert count is not None
    return count


def test_the_same_request_joins_one_queued_job(queue: JobQueue) -> None:
    first = queue.submit(KEY, "beamspot.position_x", total=20, alias="latest-key")
    again = queue.submit(KEY, "beamspot.position_x", total=20)
    assert first is not None and again is not None
    assert first.id == again.id == job_id(KEY) and first.status is JobStatus.QUEUED
    assert _waiting(queue) == 1  # enqueued once
    found = queue.unfinished("latest-key")
    assert found is not None and found.id == first.id  # the unpinned request finds it


def test_progress_only_grows_and_done_fills_it(queue: JobQueue) -> None:
    view = queue.submit(KEY, "d", total=20)
    assert view is not None
    queue.start(view.id)
    for done in (5, 3, 7, 6):
        queue.progress(view.id, done, 20)
    running = queue.get(view.id)
    assert running is not None and (running.status, running.done) == (JobStatus.RUNNING, 7)
    queue.progress(view.id, 99, 20)
    assert (got := queue.get(view.id)) is not None and got.done == 20  # never past the total
    queue.succeed(view.id)
    done = queue.get(view.id)
    assert done is not None and done.status is JobStatus.DONE and done.finished is not None
    assert queue.unfinished(KEY) is None


def test_a_failed_job_tells_why_and_is_queued_again_when_asked(queue: JobQueue) -> None:
    view = queue.submit(KEY, "d", total=2)
    assert view is not None
    queue.fail(view.id, JobError(500, "Worker lost", "the worker computing d stopped", "d"))
    failed = queue.get(view.id)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error == JobError(500, "Worker lost", "the worker computing d stopped", "d")
    again = queue.submit(KEY, "d", total=2)
    assert again is not None and again.status is JobStatus.QUEUED and again.error is None


def test_a_full_queue_refuses_one_more(queue: JobQueue) -> None:
    for n in range(2):  # workers + queue
        assert queue.submit(f"{KEY}&n={n}", "d") is not None
    with pytest.raises(QueueFull):
        queue.submit(f"{KEY}&n=2", "d")


def test_with_redis_down_nothing_is_queued_and_the_caller_runs_it(
    queue: JobQueue, redis_server: RedisServer
) -> None:
    redis_server.kill()
    assert queue.submit(KEY, "d") is None
    assert queue.get(job_id(KEY)) is None and queue.unfinished(KEY) is None


def test_a_forgotten_job_is_not_brought_back_half_made(queue: JobQueue) -> None:
    """A worker reaching a job whose state expired writes nothing (every field or none)."""
    ident = job_id(KEY)
    queue.start(ident)
    queue.reducing(ident, "abc")
    queue.progress(ident, 1, 2)
    queue.requeued(ident)
    queue.succeed(ident)
    assert queue.get(ident) is None
