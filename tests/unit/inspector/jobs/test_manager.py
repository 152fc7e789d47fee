"""The job pool: joining, bounded queue, failures, monotonic progress, forgetting."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from inspector.errors import DrawerError, NotFound
from inspector.jobs import JobManager, JobSettings, JobStatus, QueueFull, job_id
from inspector.jobs.model import JobView

WAIT = 20.0


class Clock:
    """A clock the test moves by hand (for the TTL)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(clock: Clock) -> Iterator[JobManager]:
    jobs = JobManager(JobSettings(workers=1, queue=1, keep_seconds=60, keep=2), clock=clock)
    yield jobs
    jobs.close()


def gated(gate: threading.Semaphore, steps: int) -> Callable[[Callable[[int, int], None]], None]:
    """Work that reports one step of progress per release of ``gate``."""

    def work(progress: Callable[[int, int], None]) -> None:
        for i in range(steps):
            assert gate.acquire(timeout=WAIT), "the test never released the gate"
            progress(i + 1, steps)

    return work


def wait_for(manager: JobManager, ident: str, check: Callable[[JobView], bool]) -> JobView:
    """Poll until ``check`` holds (bounded by events, not by a timing assertion)."""
    done = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        view = manager.get(ident)
        assert view is not None
        if check(view):
            return view
        done.wait(0.01)
    raise AssertionError(f"job {ident} never reached the expected state: {manager.get(ident)}")


def test_id_is_a_digest_of_the_key_the_same_everywhere() -> None:
    assert job_id("d?tag=a") == job_id("d?tag=a") != job_id("d?tag=b")
    assert len(job_id("x")) == 32


def test_progress_grows_monotonically_to_done(manager: JobManager) -> None:
    gate = threading.Semaphore(0)
    view, started = manager.submit("k", "d", gated(gate, 3), total=3)
    assert started and view.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    assert (view.done, view.total) == (0, 3)
    seen = [0]
    for step in (1, 2, 3):
        gate.release()
        view = wait_for(manager, view.id, lambda v, s=step: v.done >= s)
        assert view.done == step >= seen[-1]
        seen.append(view.done)
    view = wait_for(manager, view.id, lambda v: v.status is JobStatus.DONE)
    assert (view.done, view.total, view.error) == (3, 3, None)
    assert view.started is not None and view.finished is not None
    assert view.created <= view.started <= view.finished


def test_a_late_smaller_progress_never_moves_back(manager: JobManager) -> None:
    def work(progress: Callable[[int, int], None]) -> None:
        progress(5, 10)
        progress(3, 10)  # out of order: ignored

    view, _ = manager.submit("k", "d", work)
    view = wait_for(manager, view.id, lambda v: v.status.finished)
    assert (view.done, view.total) == (10, 10)


def test_the_same_key_joins_the_job_and_an_alias_finds_it(manager: JobManager) -> None:
    gate = threading.Semaphore(0)
    first, started = manager.submit("k", "d", gated(gate, 1), alias="latest")
    again, started_again = manager.submit("k", "d", gated(gate, 1))
    assert started and not started_again and again.id == first.id
    by_alias = manager.unfinished("latest")
    assert by_alias is not None and by_alias.id == first.id
    gate.release()
    wait_for(manager, first.id, lambda v: v.status is JobStatus.DONE)
    assert manager.unfinished("latest") is None  # finished: the alias is dropped
    joined, started_late = manager.submit("k", "d", gated(gate, 1))
    assert not started_late and joined.status is JobStatus.DONE


def test_failure_keeps_drawer_and_payload_and_a_new_ask_retries(manager: JobManager) -> None:
    def fails(progress: Callable[[int, int], None]) -> None:
        raise DrawerError("g.d", "on payload abc: ValueError: bad", payload_hash="abc")

    view, _ = manager.submit("k", "g.d", fails)
    view = wait_for(manager, view.id, lambda v: v.status.finished)
    assert view.status is JobStatus.FAILED and view.error is not None
    assert (view.error.drawer, view.error.payload, view.error.status) == ("g.d", "abc", 500)
    assert "ValueError: bad" in view.error.detail
    retry, started = manager.submit("k", "g.d", lambda progress: None)
    assert started and retry.id == view.id
    assert wait_for(manager, view.id, lambda v: v.status.finished).status is JobStatus.DONE


def test_user_errors_keep_their_status(manager: JobManager) -> None:
    def missing(progress: Callable[[int, int], None]) -> None:
        raise NotFound("tag 'x' does not exist")

    view, _ = manager.submit("k", "d", missing)
    error = wait_for(manager, view.id, lambda v: v.status.finished).error
    assert error is not None and (error.status, error.title) == (404, "Not found")


def test_queue_full_is_refused_until_a_job_finishes(manager: JobManager) -> None:
    gate = threading.Semaphore(0)
    running, _ = manager.submit("a", "d", gated(gate, 1))
    queued, _ = manager.submit("b", "d", gated(gate, 1))
    with pytest.raises(QueueFull) as refused:
        manager.submit("c", "d", gated(gate, 1))
    assert refused.value.http_status == 503 and refused.value.retry_after > 0
    assert "try again" in str(refused.value)
    gate.release()
    gate.release()
    for ident in (running.id, queued.id):
        wait_for(manager, ident, lambda v: v.status is JobStatus.DONE)
    third, started = manager.submit("c", "d", lambda progress: None)
    assert started and third.id == job_id("c")


def test_finished_jobs_are_forgotten_after_their_time_and_beyond_the_count(
    manager: JobManager, clock: Clock
) -> None:
    idents = []
    for key in ("a", "b", "c"):
        view, _ = manager.submit(key, "d", lambda progress: None)
        wait_for(manager, view.id, lambda v: v.status.finished)
        idents.append(view.id)
        clock.now += 1
    # keep=2: the oldest finished job is gone, the two newest stay
    assert manager.get(idents[0]) is None
    assert manager.get(idents[1]) is not None and manager.get(idents[2]) is not None
    clock.now += 61  # keep_seconds=60
    assert manager.get(idents[1]) is None and manager.get(idents[2]) is None


def test_a_closed_manager_fails_new_jobs_clearly(clock: Clock) -> None:
    jobs = JobManager(JobSettings(), clock=clock)
    jobs.close()
    view, _ = jobs.submit("k", "d", lambda progress: None)
    assert view.status is JobStatus.FAILED and view.error is not None
    assert view.error.status == 503
