"""Load over the whole topology: Redis, two servers of two workers each, two queue workers.

The production shape of docs/deploy.md ("Past one machine"), all on
loopback and started here: one ``redis-server``, servers A and B (``inspector
serve --workers 2``, gunicorn, sharing nothing but Redis) and two ``inspector
worker`` processes, over the full demo database with the small cache budgets
of :mod:`wrk_load`.  For the length of the profile:

- one wrk per server runs the mix of :data:`CLUSTER_MIX`: pinned permalinks
  (histories, detector maps, tables, and their HTML plot pages), pages and
  API listings, unpinned pixel histograms with varying bins, unknown tags;
- two job clients ask for cold histories, one at a time each:
  ``strips.bad_strips_history`` over ``SiStripNoise_prompt_v1`` with a new
  ``threshold`` every time (each a new reduction of all the tag's payloads:
  two strip-noise payloads of 20 MB in the small demo database), asked with
  ``Prefer: respond-async`` so each is a job whatever its size, started on
  one server and polled on the other until done.

Before the run every web worker answers every URL of the mix
(:func:`wrk_load.warm_up`) and each queue worker computes a cold history
(:func:`warm_queue_workers`): the memory sampled then is each process's
baseline.

Asserted: wrk saw only 200s and the 404s it asked for, no socket error or
timeout (the connections per server stay within one worker's admission
slots, so nothing is refused either); every job finished ``done`` with
progress that only grew, whichever server answered the poll, computed by a
queue worker exactly once (one "computed" line in the workers' logs per job)
and never by a web process (``/metrics``); the memory of every process
(PSS; each server with its workers, each queue worker, Redis) sampled
during the run stays within its bound, stated below and in the report
(``test-artifacts/load/cluster-<profile>.json``, quoted in docs/deploy.md).

Profiles: ``fast`` (5 s, 4 connections per server) in ``make test``;
``long`` (60 s, 6 per server) with ``INSPECTOR_STRESS=1`` (``make stress``).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest
from abuse import server_memory
from live_servers import (
    HttpServer,
    QueueWorker,
    inspector_server,
    inspector_worker,
    redis_server,
    require,
)
from wrk_load import (
    ARTIFACTS,
    BAD_STATUS,
    CACHE_MB,
    ENGINE_MB,
    LISTING_URLS,
    MARGIN_BYTES,
    PINNED_URLS,
    SLOTS_PER_WORKER,
    SNAPSHOT,
    WARM_ROUNDS,
    WORKERS,
    MiB,
    Mix,
    Periodic,
    Profile,
    Sampler,
    WrkResult,
    check_budgets,
    lua_script,
    mib,
    run_wrk,
    warm_up,
    worker_pids,
    write_config,
    wrk_socket_errors,
)

FAST: Final = Profile("fast", seconds=5, connections=4, threads=2, timeout_seconds=20)
LONG: Final = Profile("long", seconds=60, connections=6, threads=2, timeout_seconds=20)
PROFILE: Final = LONG if os.environ.get("INSPECTOR_STRESS") == "1" else FAST
# gunicorn hands a connection to whichever worker accepts it: with no more
# connections than one worker has admission slots, none can be refused.
assert PROFILE.connections + 2 <= SLOTS_PER_WORKER  # + a sampler and a job client

#: The HTML plot pages of two pinned permalinks, beside the JSON of :data:`PINNED_URLS`.
PINNED_PAGES: Final = (
    f"/plot/maps.strip_noise?tag=SiStripNoise_prompt_v1&snapshot={SNAPSHOT}",
    f"/plot/beamspot.position_x?tag=BeamSpotObjects_PCL_byLumi_v1&snapshot={SNAPSHOT}",
)
#: Pages people browse between plots.
PAGES: Final = ("/", "/tags/SiStripNoise_prompt_v1", "/runs", "/watch", "/globaltags")

CLUSTER_MIX: Final = Mix(
    pinned=(*PINNED_URLS, *PINNED_PAGES),
    listing=(*LISTING_URLS, *PAGES),
    weights={"pinned": 50, "uncached": 10, "listing": 35, "bad": 5},
)

#: A cold history: each ``threshold`` is a new reduction of every payload of the tag.
COLD_DRAWER: Final = "strips.bad_strips_history"
COLD_PATH: Final = f"/api/v1/plots/{COLD_DRAWER}?tag=SiStripNoise_prompt_v1&threshold=%s"
#: Job clients (each starts on one server and polls on the other), and their pace.
JOB_CLIENTS: Final = 2
POLL_SECONDS: Final = 0.25
#: Longest a job may take once started, queue included (measured: 1-3 s).
JOB_SECONDS: Final = 120.0

#: One queue worker's cache budgets: the same configuration as the web workers.
QUEUE_WORKER_BUDGET: Final = (sum(ENGINE_MB.values()) + sum(CACHE_MB.values())) * MiB
#: Redis holds the shared tier (rendered plots, reductions) and the job hashes of
#: this run: measured 4-13 MiB; a bound far above that, and far below a leak.
REDIS_BOUND: Final = 128 * MiB

#: What a queue worker logs for each job it computed (inspector/web/jobs/worker.py).
_COMPUTED: Final = re.compile(r"job \w+ \((\S+)\) computed in ([\d.]+) s")


@dataclass(frozen=True)
class JobRun:
    """One cold history: where it was started and polled, what the polls saw."""

    threshold: str
    started_on: str
    polled_on: str
    status: str
    progress: tuple[int, ...]
    total: int
    seconds: float


def one_job(start: HttpServer, poll: HttpServer, threshold: str) -> JobRun:
    """Start a cold history on ``start`` (202), poll it on ``poll`` until it finished."""
    began = time.perf_counter()
    status, body = start.get(COLD_PATH % threshold, timeout=30, Prefer="respond-async")
    assert status == 202, (status, body[:300], start.log_tail())
    link = json.loads(body)["data"]["links"]["self"]
    progress: list[int] = []
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        status, body = poll.get(link, timeout=30)
        assert status == 200, (status, body[:300], poll.log_tail())
        attributes = json.loads(body)["data"]["attributes"]
        progress.append(int(attributes["progress"]["done"]))
        if attributes["status"] in ("done", "failed"):
            break
        assert time.monotonic() < deadline, f"job {link} unfinished after {JOB_SECONDS} s"
        time.sleep(POLL_SECONDS)
    return JobRun(
        threshold,
        start.origin,
        poll.origin,
        attributes["status"],
        tuple(progress),
        int(attributes["progress"]["total"]),
        time.perf_counter() - began,
    )


def job_client(start: HttpServer, poll: HttpServer, client: int, until: float) -> list[JobRun]:
    """Cold histories one after the other until ``until`` (the last one is waited for).

    Client ``i`` of :data:`JOB_CLIENTS` takes every ``JOB_CLIENTS``-th threshold from
    ``i``, so no two requests of the run are the same plot.
    """
    runs: list[JobRun] = []
    for n in itertools.count(client, JOB_CLIENTS):
        if time.monotonic() >= until:
            break
        runs.append(one_job(start, poll, f"{5 + 0.01 * n:.2f}"))
    return runs


@dataclass
class MemorySampler(Periodic):
    """The PSS of each named process (with its children), every 0.25 s, first and last too."""

    pids: dict[str, int]
    samples: dict[str, list[int]] = field(default_factory=dict)
    first_and_last: bool = True

    def sample(self) -> None:
        """One PSS reading of every process."""
        for name, pid in self.pids.items():
            self.samples.setdefault(name, []).append(server_memory(pid).server)


def _wrk_both(wrk: str, scripts: Sequence[Path], servers: Sequence[HttpServer]) -> list[WrkResult]:
    """One wrk per server, at the same time, each with its own script."""
    with ThreadPoolExecutor(len(servers)) as pool:
        runs = [
            pool.submit(run_wrk, wrk, script, s.origin, PROFILE)
            for script, s in zip(scripts, servers, strict=True)
        ]
        return [run.result() for run in runs]


def warm_queue_workers(servers: Sequence[HttpServer], workers: Sequence[QueueWorker]) -> int:
    """Cold histories, two at a time, until each queue worker computed one; how many.

    Afterwards each worker has imported and allocated what a job needs, so its
    memory then is its baseline, as warm-up makes it for the web workers.
    """
    a, b = servers
    asked = 0
    with ThreadPoolExecutor(2) as clients:
        for round_ in range(WARM_ROUNDS):
            pairs = [(a, b, f"{90 + round_}.1"), (b, a, f"{90 + round_}.2")]
            for run in clients.map(lambda job: one_job(*job), pairs):
                assert run.status == "done", run
            asked += len(pairs)
            if all(_computed_by_queue_workers([worker]) for worker in workers):
                return asked
    raise AssertionError(f"after {asked} warm-up jobs a queue worker had computed none")


def _computed_by_queue_workers(workers: Sequence[QueueWorker]) -> list[float]:
    """Seconds of every cold history the queue workers computed (from their logs)."""
    return [
        float(seconds)
        for worker in workers
        for drawer, seconds in _COMPUTED.findall(worker.log.read_text(encoding="utf-8"))
        if drawer == COLD_DRAWER
    ]


@pytest.mark.slow
def test_two_servers_and_two_workers_under_mixed_load(demo_path: Path, tmp_path: Path) -> None:
    wrk = require("wrk")
    scripts = [tmp_path / f"mix-{n}.lua" for n in range(2)]
    for n, script in enumerate(scripts):  # one sequence per server: no lockstep
        script.write_text(lua_script(CLUSTER_MIX, seed=n), encoding="utf-8")
    with redis_server(tmp_path / "redis") as redis:
        assert redis.process is not None
        config = write_config(tmp_path, demo_path, redis_url=redis.url)
        serve = ["--workers", str(WORKERS)]
        with (
            inspector_server(config, tmp_path, serve) as a,
            inspector_server(config, tmp_path, serve) as b,
            inspector_worker(config, tmp_path) as first,
            inspector_worker(config, tmp_path) as second,
        ):
            servers, workers = (a, b), (first, second)
            pids = {s.origin: worker_pids(s) for s in servers}
            rounds = [warm_up(s, pids[s.origin], CLUSTER_MIX) for s in servers]
            warmed = warm_queue_workers(servers, workers)
            processes = {
                "server A": a.process.pid,
                "server B": b.process.pid,
                "queue worker 1": first.process.pid,
                "queue worker 2": second.process.pid,
                "redis": redis.process.pid,
            }
            with (
                MemorySampler(processes) as memory,
                Sampler(a) as stats_a,
                Sampler(b) as stats_b,
                ThreadPoolExecutor(JOB_CLIENTS) as clients,
            ):
                until = time.monotonic() + PROFILE.seconds
                pairs = [(a, b), (b, a)][:JOB_CLIENTS]
                jobs = [
                    clients.submit(job_client, s, p, i, until) for i, (s, p) in enumerate(pairs)
                ]
                results = _wrk_both(wrk, scripts, servers)
                runs = [run for job in jobs for run in job.result(timeout=JOB_SECONDS * 2)]
            for server in servers:
                assert server.process.poll() is None, f"a server died:\n{server.log_tail()}"
                assert worker_pids(server) == pids[server.origin], server.log_tail()
            computed_by_web = {s.origin: s.computed(COLD_DRAWER) for s in servers}
            computed = _computed_by_queue_workers(workers)

    # Jobs: each done, monotone progress through the other server, computed once by a worker.
    assert runs, "no cold history was asked for"
    assert {run.status for run in runs} == {"done"}, [r for r in runs if r.status != "done"]
    for run in runs:
        assert list(run.progress) == sorted(run.progress), run
        assert run.progress[-1] == run.total > 0, run
    assert len(computed) == len(runs) + warmed, (len(computed), len(runs), warmed)
    assert computed_by_web == dict.fromkeys(computed_by_web, 0.0), computed_by_web

    # wrk: only what was asked for, nothing refused, no socket error.
    for result in results:
        statuses = {int(k): v for k, v in result.summary["statuses"].items()}
        assert set(statuses) <= {200, BAD_STATUS}, statuses
        errors = result.summary["errors"]
        assert errors["status"] == statuses.get(BAD_STATUS, 0)
        assert {k: errors[k] for k in ("connect", "read", "write", "timeout")} == dict.fromkeys(
            ("connect", "read", "write", "timeout"), 0
        ), errors
        assert wrk_socket_errors(result.text) == dict.fromkeys(
            ("connect", "read", "write", "timeout"), 0
        )

    # Memory of every process within its bound.
    budget = {
        s.origin: check_budgets(x.answers, documents=True) for s, x in ((a, stats_a), (b, stats_b))
    }
    bounds: dict[str, int] = {}
    for name, samples in memory.samples.items():
        start = samples[0]
        if name.startswith("server"):
            origin = (a if name.endswith("A") else b).origin
            bounds[name] = start + WORKERS * budget[origin] + MARGIN_BYTES
        elif name.startswith("queue worker"):
            bounds[name] = start + QUEUE_WORKER_BUDGET + MARGIN_BYTES
        else:
            bounds[name] = REDIS_BOUND
    report = _report(results, runs, computed, memory, bounds, rounds)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"cluster-{PROFILE.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    for name, samples in memory.samples.items():
        assert max(samples) <= bounds[name], (name, mib(max(samples)), mib(bounds[name]))


def _report(
    results: Sequence[WrkResult],
    runs: Sequence[JobRun],
    computed: Sequence[float],
    memory: MemorySampler,
    bounds: dict[str, int],
    rounds: Sequence[int],
) -> dict[str, Any]:
    """The figures of the run, as printed and kept under ``test-artifacts/load``."""
    seconds = sorted(run.seconds for run in runs)
    return {
        "profile": PROFILE.name,
        "seconds": PROFILE.seconds,
        "connections_per_server": PROFILE.connections,
        "warm_up_rounds": list(rounds),
        "wrk": [
            {
                "requests": r.summary["requests"],
                "requests_per_second": r.requests_per_second,
                "latency_ms": {
                    f"p{p}": v / 1000 for p, v in r.summary["latency_us"]["percentiles"].items()
                },
                "statuses": r.summary["statuses"],
            }
            for r in results
        ],
        "jobs": {
            "count": len(runs),
            "polls": sum(len(run.progress) for run in runs),
            "seconds_p50": seconds[len(seconds) // 2],
            "seconds_max": seconds[-1],
            "computed_seconds_mean": round(sum(computed) / len(computed), 2),
        },
        "memory_mib": {
            name: {
                "start": mib(samples[0]),
                "peak": mib(max(samples)),
                "end": mib(samples[-1]),
                "bound": mib(bounds[name]),
            }
            for name, samples in memory.samples.items()
        },
    }
