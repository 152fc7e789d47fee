"""Load: ``inspector serve --workers 2`` under wrk, with small known cache budgets.

Why a real server and a real load generator: the Flask test client runs
requests one at a time in the test's own process, so it can show neither
what concurrent requests do to the single-flight caches nor how much memory
a server holds after thousands of requests.  Here the server is started as
users start it, ``inspector --config inspector.toml serve --workers 2``
(gunicorn, :func:`live_servers.inspector_server`), on a free 127.0.0.1 port
over the demo database, with the cache budgets written into the
configuration's ``[engine]`` and ``[cache]`` tables; Debian's ``wrk``
drives it with a weighted mix of what people ask for:

- pinned plots (``item.json`` with a snapshot in the past) — the permalinks
  pasted in meetings; after warm-up they must come from the rendered-plot
  cache;
- unpinned plots whose ``bins``/``high`` vary, so most requests are new and
  run a drawer for real;
- API listings (tags, one tag's IOVs);
- a few requests for an unknown tag, which must be 404 and nothing worse.

What is asserted: no status other than 200 and the 404s that were asked for,
no socket error or timeout, no worker replaced during the run, the memory of
the whole server (PSS of the gunicorn master and its workers,
:func:`abuse.server_memory`, sampled during the run) within the baseline
measured after warm-up plus every worker's cache budgets plus
:data:`MARGIN_BYTES`, and a high hit rate of the pinned-plot cache.

**Per worker.** Each worker keeps its own caches and ``/_stats`` is
answered by whichever worker accepts the connection, naming itself
(``pid``).  So warm-up repeats its requests until the access log shows every
URL answered by every worker; during the run ``/_stats`` is sampled with
the memory, and each worker's counters are read from its own first and
last answers: hit rates are summed over workers from those windows (the
few requests a worker answered before its first sample or after its last
are not counted, none twice), and every answer must report the budgets of
the configuration.  An idle gunicorn lets one worker accept every new
connection, which is why nothing per worker is read after the run.

The figures are printed and written to ``test-artifacts/load/<profile>.json``;
docs/reliability.md quotes them.

Profiles: ``fast`` (5 s, 8 connections) runs in ``make test``; ``long``
(60 s, 32 connections) runs when ``INSPECTOR_STRESS=1`` (``make stress``).
Every wrk run is bounded by ``-d`` and ``--timeout`` and the subprocess call
itself by a timeout; the server is stopped by its context manager whatever
happens.  No traffic leaves 127.0.0.1 (requests ignore proxy settings).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from abuse import server_memory
from live_servers import inspector_server, require
from wrk_load import (
    ARTIFACTS,
    BAD_STATUS,
    MARGIN_BYTES,
    MIN_PINNED_HIT_RATE,
    PROFILE,
    REFUSED_STATUS,
    SLOTS_PER_WORKER,
    WORKERS,
    MiB,
    Sampler,
    Window,
    check_budgets,
    lua_script,
    refused_pinned,
    report_of,
    run_wrk,
    warm_up,
    worker_pids,
    write_config,
    wrk_socket_errors,
)


@pytest.mark.slow
def test_server_under_load(demo_path: Path, tmp_path: Path) -> None:
    """The mix runs clean, memory stays within budgets + margin, pinned plots hit the cache."""
    wrk = require("wrk")
    script = tmp_path / "mix.lua"
    script.write_text(lua_script(), encoding="utf-8")
    config = write_config(tmp_path, demo_path)
    with inspector_server(config, tmp_path, ["--workers", str(WORKERS)]) as server:
        pids = worker_pids(server)
        assert len(pids) == WORKERS, (pids, server.log_tail())
        started = server_memory(server.process.pid).server
        rounds = warm_up(server, pids)
        baseline = server_memory(server.process.pid).server
        with Sampler(server) as sampler:
            result = run_wrk(wrk, script, server.origin, PROFILE)
        after = server_memory(server.process.pid).server
        assert server.process.poll() is None, f"the server died:\n{server.log_tail()}"
        assert worker_pids(server) == pids, f"a worker was replaced:\n{server.log_tail()}"
        log_tail = server.log_tail()
        log = server.log.read_text(encoding="utf-8")

    assert sampler.failures == [], sampler.failures
    assert set(sampler.answers) == pids, "every worker answers /_stats during the run"
    assert all(len(a) >= 2 for a in sampler.answers.values()), "a window per worker"
    worker_budget = check_budgets(sampler.answers)
    limit = baseline + WORKERS * worker_budget + MARGIN_BYTES
    memory = {
        "after_start": started,
        "baseline_after_warmup": baseline,
        "after_run": after,
        "budget_per_worker": worker_budget,
        "limit": limit,
    }
    report = report_of(result, memory, sampler, rounds)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{PROFILE.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrk ({PROFILE.name} profile):\n{result.text}")
    print(json.dumps(report, indent=2))

    # Nothing but what was asked for: 200s, and 404 for the unknown tag.
    summary = result.summary
    statuses: dict[int, int] = report["statuses"]
    assert summary["requests"] >= 50, "too few requests for the figures to mean anything"
    expected = {200, BAD_STATUS}
    if PROFILE.connections > SLOTS_PER_WORKER:
        expected.add(REFUSED_STATUS)
    unexpected = {s: n for s, n in statuses.items() if s not in expected}
    assert unexpected == {}, f"unexpected statuses {unexpected}\n{log_tail}"
    refused = statuses.get(REFUSED_STATUS, 0)
    assert summary["refused_with_retry_after"] == refused, "every 503 says when to come back"
    assert refused_pinned(log) == [], "a cached permalink is never refused"
    asked_bad = int(summary["issued"]["bad"])
    got_bad = statuses.get(BAD_STATUS, 0)
    assert asked_bad > 0
    # Requests still in flight when wrk stops are issued but never answered;
    # an unknown tag's plot takes a slot, so it may be refused instead.
    assert asked_bad - PROFILE.connections - refused <= got_bad <= asked_bad, (asked_bad, got_bad)
    assert summary["errors"]["status"] == got_bad + refused  # wrk's "non-2xx/3xx"
    socket_errors = {k: summary["errors"][k] for k in ("connect", "read", "write", "timeout")}
    assert socket_errors == dict.fromkeys(socket_errors, 0), socket_errors
    assert wrk_socket_errors(result.text) == socket_errors

    # Memory of the whole server, sampled during the run and after it.
    peak = max(after, *(m.server for m in sampler.memory))
    assert peak <= limit, (
        f"server memory (PSS) {peak / MiB:.0f} MiB exceeds baseline {baseline / MiB:.0f} MiB "
        f"+ {WORKERS} x budgets {worker_budget / MiB:.0f} MiB + margin {MARGIN_BYTES / MiB:.0f} MiB"
    )

    # Permalinks come from each worker's rendered-plot cache.
    for pid, samples in sampler.answers.items():
        window = Window.of(samples, "rendered_pinned")
        assert window.lookups > 0, (pid, window)
        assert (window.hit_rate or 0.0) > MIN_PINNED_HIT_RATE, (pid, window)
