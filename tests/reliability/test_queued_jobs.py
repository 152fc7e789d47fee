"""Several machines, one truth: jobs on an RQ queue, their state and single flight in Redis.

Real processes only: a ``redis-server`` on loopback, ``inspector serve
--workers 2`` twice (servers A and B: four web processes sharing nothing
but Redis) and ``inspector worker`` processes, all over the small demo
database with ``[jobs] heavy_mb = 0`` (every history is a job).

The drawers are a test plugin added by a launcher script (as in
``tests/unit/inspector/cli/test_gunicorn_server.py``): each evaluation
writes one line, ``<pid> <payload hash>``, to a file, so "computed once"
and "by whom" are counted, not guessed, and each takes ``QUEUE_SLEEP``
seconds, so a job is seen running (and can be killed mid-way).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from live_servers import (
    HttpServer,
    QueueWorker,
    RedisServer,
    inspector_server,
    inspector_worker,
    redis_server,
)

#: 210 IOVs over 20 distinct beam-spot payloads in the small demo database.
TAG: Final = "BeamSpotObjects_PCL_byLumi_v1"
PAYLOADS: Final = 20
SERVE: Final = ["--workers", "2", "--no-access-log"]

PLUGIN = '''\
"""Drawers that count their evaluations in QUEUE_COUNT and take QUEUE_SLEEP s (test plugin)."""
import os
import time

import numpy as np

from inspector.drawers import Param, drawer
from inspector.plots import Table
from inspector.plugin import hookimpl


def _count(what):
    with open(os.environ["QUEUE_COUNT"], "a") as out:
        out.write(f"{os.getpid()} {what}\\n")
    time.sleep(float(os.environ["QUEUE_SLEEP"]))


@drawer("queuetest.x", title="x", payload_types="BeamSpotObjects", kind="history",
        params=[Param.int("salt", 0, minimum=0, maximum=1000)])
def x(payload, params):
    _count(payload.payload_hash)
    return float(np.asarray(payload["position_"])[0])


@drawer("queuetest.table", title="table", payload_types="BeamSpotObjects", kind="single",
        params=[Param.int("salt", 0, minimum=0, maximum=1000)])
def table(payload, params):
    _count(payload.payload_hash)
    return Table(title="x", columns={"x": np.asarray(payload["position_"], dtype=float)})


@hookimpl
def register_drawers():
    return [x, table]
'''

LAUNCHER = '''\
"""``inspector`` with the queue test plugin added (written by the test)."""
import sys

sys.path.insert(0, sys.argv.pop(1))

import queue_plugin
from inspector.cli import context
from inspector.plugin import load_plugins

context.load_plugins = lambda: load_plugins(extra=[("queuetest", queue_plugin)])

from inspector.cli.main import main

main()
'''


@dataclass
class Cluster:
    """Redis, the configuration, the launcher and the evaluation log of one test."""

    folder: Path
    redis: RedisServer
    config: Path
    command: list[str]
    counts: Path

    def evaluations(self) -> list[tuple[int, str]]:
        """Every drawer evaluation so far: (pid, payload hash)."""
        if not self.counts.exists():
            return []
        lines = self.counts.read_text().split()
        return [(int(pid), h) for pid, h in zip(lines[::2], lines[1::2], strict=True)]

    def server(self) -> Any:
        return inspector_server(self.config, self.folder, SERVE, command=self.command)

    def worker(self, *args: str) -> Any:
        return inspector_worker(self.config, self.folder, args, command=self.command)


def _cluster(
    folder: Path, demo: Path, redis: RedisServer, sleep: float, monkeypatch: pytest.MonkeyPatch
) -> Cluster:
    (folder / "queue_plugin.py").write_text(PLUGIN)
    (folder / "launch.py").write_text(LAUNCHER)
    config = folder / "inspector.toml"
    config.write_text(
        f'default_database = "demo"\n[databases.demo]\npath = "{demo}"\n'
        f'[cache]\nredis_url = "{redis.url}"\nretry_after_seconds = 1\n'
        "[jobs]\nheavy_mb = 0\nlease_seconds = 2\n"
    )
    counts = folder / "evaluations.txt"
    monkeypatch.setenv("QUEUE_COUNT", str(counts))
    monkeypatch.setenv("QUEUE_SLEEP", str(sleep))
    return Cluster(
        folder, redis, config, [sys.executable, str(folder / "launch.py"), str(folder)], counts
    )


@pytest.fixture
def cluster(tmp_path: Path, demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    with redis_server(tmp_path / "redis") as redis:
        yield _cluster(tmp_path, demo_path, redis, 0.1, monkeypatch)


def _document(server: HttpServer, path: str) -> tuple[int, dict[str, Any]]:
    status, body = server.get(path)
    return status, json.loads(body) if body else {}


def _start_job(server: HttpServer, query: str) -> str:
    """The job URL a heavy plot request answers with (202)."""
    status, document = _document(server, f"/api/v1/plots/queuetest.x?{query}")
    assert status == 202, (status, document, server.log_tail())
    link: str = document["data"]["links"]["self"]
    return link


def _poll(server: HttpServer, link: str, seconds: float = 60) -> list[dict[str, Any]]:
    """Every job state seen through ``server`` until the job finished."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, document = _document(server, link)
        assert status == 200, (status, document, server.log_tail())
        seen.append(document["data"]["attributes"])
        if seen[-1]["status"] in ("done", "failed"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish in {seconds} s: {seen[-1]}")


def test_a_job_started_through_a_and_polled_through_b_is_computed_once_by_a_worker(
    cluster: Cluster,
) -> None:
    with cluster.server() as a, cluster.server() as b, cluster.worker() as worker:
        started = time.perf_counter()
        link = _start_job(a, f"tag={TAG}&salt=1")
        seen = _poll(b, link)
        finished = time.perf_counter() - started
        done = [state["progress"]["done"] for state in seen]
        assert seen[-1]["status"] == "done", (seen[-1], worker.log_tail())
        assert done == sorted(done), done  # only grows, whichever process answered
        assert done[-1] == seen[-1]["progress"]["total"] == PAYLOADS
        assert any(0 < d < PAYLOADS for d in done), done  # seen moving, not only 0 then all
        # The result, through B: from the shared tier, never computed by a web process.
        status, body = b.get(_document(b, link)[1]["data"]["links"]["result"])
        assert status == 200 and json.loads(body)["data"]["type"] == "plots"
        evaluations = cluster.evaluations()
        assert len(evaluations) == PAYLOADS == len({h for _, h in evaluations}), evaluations
        assert {pid for pid, _ in evaluations} == {worker.process.pid}
        assert a.computed("queuetest.x") == b.computed("queuetest.x") == 0
        print(f"\njob through A, {len(seen)} polls through B, done in {finished:.2f} s")


def test_polls_of_a_job_across_processes_are_never_refused(cluster: Cluster) -> None:
    """30 polls on new connections to both workers of B: each 200, none restarts the job.

    Without shared state (issue 16), 13 of 30 such polls were refused by the
    process that did not start the job, its own queue being full.
    """
    with cluster.server() as a, cluster.server() as b:  # no worker yet: the job waits
        link = _start_job(a, f"tag={TAG}&salt=2")
        answers = [_document(b, link) for _ in range(30)]
        assert [status for status, _ in answers] == [200] * 30
        assert {doc["data"]["attributes"]["status"] for _, doc in answers} == {"queued"}
        assert cluster.evaluations() == []  # nothing computed by the web processes
        status, stats = _document(b, "/_stats")
        assert status == 200 and stats["job_queue"] == {"queue": "plots", "waiting": 1}
        with cluster.worker():
            assert _poll(b, link)[-1]["status"] == "done"
        assert len(cluster.evaluations()) == PAYLOADS


def test_ten_cold_requests_for_one_plot_across_two_servers_compute_it_once(
    tmp_path: Path, demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five at each server's two workers, at once: one computation, ten identical answers."""
    with redis_server(tmp_path / "redis") as redis:
        cluster = _cluster(tmp_path, demo_path, redis, 1.0, monkeypatch)
        with cluster.server() as a, cluster.server() as b:
            pinned = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
            path = f"/api/v1/plots/queuetest.table?tag={TAG}&snapshot={pinned}"
            answers: dict[int, tuple[int, bytes]] = {}
            threads = [
                threading.Thread(target=lambda s=s, n=n: answers.setdefault(n, s.get(path)))
                for n, s in enumerate([a, b] * 5)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            every = time.perf_counter() - started
            assert sorted(answers) == list(range(10))
            assert {status for status, _ in answers.values()} == {200}, answers
            assert len({json.dumps(json.loads(body)["data"]) for _, body in answers.values()}) == 1
            assert len(cluster.evaluations()) == 1, cluster.evaluations()
            assert a.computed("queuetest.table") + b.computed("queuetest.table") == 1
            print(f"\nten cold requests, one computation, all answered in {every:.2f} s")


def test_a_killed_worker_s_job_is_retried_once_by_another_then_fails_naming_the_drawer(
    tmp_path: Path, demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with redis_server(tmp_path / "redis") as redis:
        cluster = _cluster(tmp_path, demo_path, redis, 0.25, monkeypatch)
        with cluster.server() as a, cluster.worker() as first, cluster.worker() as second:
            link = _start_job(a, f"tag={TAG}&salt=3")
            victim = _working(cluster, (first, second), 0)
            victim.process.send_signal(signal.SIGKILL)
            killed = time.perf_counter()
            seen = _poll(a, link)
            assert seen[-1]["status"] == "done", (seen[-1], first.log_tail(), second.log_tail())
            done = [state["progress"]["done"] for state in seen]
            assert done == sorted(done), done
            survivor = second if victim is first else first
            pids = {pid for pid, _ in cluster.evaluations()}
            assert pids == {victim.process.pid, survivor.process.pid}
            print(f"\nkilled mid-job; retried and done {time.perf_counter() - killed:.2f} s later")

            # Lost twice: the retry is used up, the job fails and says whose it was.
            before = len(cluster.evaluations())
            link = _start_job(a, f"tag={TAG}&salt=4")
            _working(cluster, (survivor,), before).process.send_signal(signal.SIGKILL)
            with cluster.worker() as third:
                before = len(cluster.evaluations())
                _working(cluster, (third,), before).process.send_signal(signal.SIGKILL)
                with cluster.worker() as fourth:
                    seen = _poll(a, link)
                    assert seen[-1]["status"] == "failed", (seen[-1], fourth.log_tail())
                    error = seen[-1]["error"]
                    assert error["drawer"] == "queuetest.x" and error["title"] == "Worker lost"
                    assert "queuetest.x" in error["detail"] and "payloads" in error["detail"]
                    # the payload it was on when the last worker died: named, and one of the tag's
                    assert error["payload"] in {h for _, h in cluster.evaluations()}
                    assert error["payload"] in error["detail"]


def _working(cluster: Cluster, workers: tuple[QueueWorker, ...], after: int) -> QueueWorker:
    """The first of ``workers`` with a drawer evaluation past the first ``after``: the busy one."""
    by_pid = {w.process.pid: w for w in workers}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for pid, _ in cluster.evaluations()[after:]:
            if pid in by_pid:
                return by_pid[pid]
        time.sleep(0.05)
    raise AssertionError("no worker started the job:\n" + "\n".join(w.log_tail() for w in workers))


def test_redis_down_the_servers_run_jobs_in_process_and_sharing_resumes_after_it(
    tmp_path: Path, demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with redis_server(tmp_path / "redis") as redis:
        cluster = _cluster(tmp_path, demo_path, redis, 0.0, monkeypatch)
        redis.kill()
        with cluster.server() as a:
            link = _start_job(a, f"tag={TAG}&salt=5")
            assert _poll(a, link)[-1]["status"] == "done"
            status, _ = a.get(f"/api/v1/plots/queuetest.table?tag={TAG}&salt=5")
            assert status == 200
            assert {pid for pid, _ in cluster.evaluations()} <= _web_pids(a)
            assert "shared cache unavailable" in a.log.read_text()
            # Redis back: after the breaker's pause, jobs go to the queue again.
            redis.start()
            time.sleep(1.5)  # retry_after_seconds = 1
            before = len(cluster.evaluations())
            with cluster.worker() as worker:
                link = _start_job(a, f"tag={TAG}&salt=6")
                assert _poll(a, link)[-1]["status"] == "done"
            resumed = {pid for pid, _ in cluster.evaluations()[before:]}
            assert resumed and not resumed & _web_pids(a), (resumed, worker.log_tail())


def _web_pids(server: HttpServer) -> set[int]:
    """The gunicorn workers of a server (children of its master)."""
    return _children(server.process.pid)


assert os.name == "posix"  # SIGKILL and /proc


def test_worker_concurrency_runs_processes_that_share_the_queue_and_replaces_a_dead_one(
    cluster: Cluster,
) -> None:
    with cluster.server() as a, cluster.worker("--concurrency", "2") as pool:
        links = [_start_job(a, f"tag={TAG}&salt={salt}") for salt in (6, 7)]
        assert [_poll(a, link)[-1]["status"] for link in links] == ["done", "done"]
        children = _children(pool.process.pid)
        assert len(children) == 2 and {pid for pid, _ in cluster.evaluations()} <= children
        os.kill(min(children), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(_children(pool.process.pid) - {min(children)}) < 2:
            assert time.monotonic() < deadline, pool.log_tail()
            time.sleep(0.1)
        assert "starting another" in pool.log.read_text()
        assert _poll(a, _start_job(a, f"tag={TAG}&salt=8"))[-1]["status"] == "done"
    assert pool.process.returncode == 0  # SIGTERM: every worker stopped, the pool exits 0


def _children(pid: int) -> set[int]:
    """The processes ``pid`` started (Linux's /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(child) for child in path.read_text().split()} if path.exists() else set()
