"""Anonymous abuse cannot grow memory or park threads: caches by bytes, admission before work.

Each cache of the server gets a small byte budget and an abuse loop of
distinct keys through the Flask test client (distinct snapshots, distinct
parameters, distinct jobs); its reported size (``SingleFlight.stats()``)
stays within the budget, the budget it reports is the configured one (a
cache bounded by a count would report the count), and the loop really
asked for more than the budget holds.  The snapshot loop also watches the
process's resident memory: it grows by at most the IOV budget plus
:data:`RSS_SLACK`.

Admission: a drawer that blocks holds every slot of a one-worker engine;
a further cold request is then refused with 503 and ``Retry-After`` while
the blockers still hold their slots (it never waits for them), and
``/healthz`` and a cached pinned plot answer 200.  PNGs have their own gate;
rate limits (Flask-Limiter) answer 429 past a family's limit, never on
``/healthz``.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from long_tags import LONG_TAG, build_long_tag
from web_apps import beamspot_plugins

from inspector.config import Config, DatabaseConfig
from inspector.drawers import Drawer, Param, drawer
from inspector.engine import EngineSettings
from inspector.engine.cache_settings import CacheConfig
from inspector.jobs.settings import JobSettings
from inspector.payload import DecodedPayload
from inspector.plots import Table
from inspector.plugin import hookimpl
from inspector.rate_limits import RateLimits
from inspector.render.png_settings import PngSettings
from inspector.request import PlotRequest
from inspector.web.app import create_app
from inspector.web.ops.stats import resident_bytes
from inspector.web.state import request_time, state

KiB: Final = 1 << 10
MiB: Final = 1 << 20

#: The byte budgets of the abuse app: small, so a short loop overflows each.
ENGINE: Final = EngineSettings(
    decoded_cache_bytes=2 * KiB,
    reduction_cache_bytes=4 * KiB,
    iov_cache_bytes=4 * MiB,
    workers=2,
)
CACHES: Final = CacheConfig(rendered_bytes=64 * KiB, plots_bytes=16 * KiB, documents_bytes=16 * KiB)
JOBS: Final = JobSettings(keep_mb=8 / 1024)  # 8 KiB of finished jobs

#: Resident memory allowed above the IOV budget after the snapshot loop:
#: the interpreter's and allocator's own growth over 300 requests (measured:
#: a few MiB; unbounded, the loop would add 300 x 0.27 MiB = 80 MiB).
RSS_SLACK: Final = 32 * MiB

#: A snapshot after every row of the long tag was inserted, in the past: pinned.
SNAPSHOT: Final = "2025-01-01T00:00:00Z"
_fresh = itertools.count(1)


class _Blocker:
    """Holds ``bounds.blocked`` drawers until the test lets them go (no sleeping on a clock)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def wait(self) -> None:
        self.release.wait(timeout=60)


BLOCKER: Final = _Blocker()
N: Final = Param.int("n", 0, minimum=0)


@drawer("bounds.table", title="Table", payload_types="BeamSpotObjects", kind="single", params=[N])
def table(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """A 256-row table (2 KiB of floats): plot objects worth a budget."""
    x = float(payload["position_"][0])
    return Table(title="rows", columns={"x": np.full(256, x + params["n"])})


@drawer("bounds.history", title="x", payload_types="BeamSpotObjects", kind="history", params=[N])
def history(payload: DecodedPayload, params: Mapping[str, Any]) -> float:
    """The beam spot x plus ``n``: every ``n`` is a new reduction per payload."""
    return float(payload["position_"][0]) + params["n"]


@drawer(
    "bounds.blocked", title="Blocked", payload_types="BeamSpotObjects", kind="single", params=[N]
)
def blocked(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """Runs until the test releases it: an engine saturated by slow plots."""
    BLOCKER.wait()
    return Table(columns={"x": np.zeros(1)})


class BoundsPlugin:
    """The drawers above."""

    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [table, history, blocked]


@pytest.fixture(scope="module")
def long_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bounds") / "long.sqlite"
    build_long_tag(path)
    return path


def _app(
    long_db: Path,
    settings: EngineSettings = ENGINE,
    *,
    limits: RateLimits | None = None,
    png: PngSettings | None = None,
) -> Flask:
    config = Config(
        {"long": DatabaseConfig("long", f"sqlite:///{long_db}")},
        "long",
        engine=settings,
        cache=CACHES,
        jobs=JOBS,
        png=png or PngSettings(),
        limits=limits or RateLimits(),
    )
    return create_app(config, beamspot_plugins(("bounds", BoundsPlugin())), settings=settings)


@pytest.fixture
def app(long_db: Path) -> Iterator[Flask]:
    flask_app = _app(long_db)
    yield flask_app
    BLOCKER.release.set()
    state(flask_app).close()


def _stats(app: Flask) -> dict[str, dict[str, int]]:
    """Every cache's counters as ``/_stats`` reports them (engine, web state, areas)."""
    caches: dict[str, dict[str, int]] = json.loads(app.test_client().get("/_stats").data)["caches"]
    return caches


def _within_budget(app: Flask, name: str, budget: int, asked: int) -> dict[str, int]:
    """The cache reports ``budget`` as its bound, holds at most that, and was asked for more."""
    stats = _stats(app)[name]
    assert stats["max_size"] == budget, f"{name} is not bounded by its byte budget: {stats}"
    assert stats["size"] <= budget, stats
    overflowed = stats["misses"] >= asked and stats["entries"] < asked
    assert overflowed, f"{name} never overflowed: {stats}"
    return stats


def _ok(client: FlaskClient, path: str, **headers: str) -> Any:
    response = client.get(path, headers=headers)
    assert response.status_code in (200, 202), (path, response.status_code, response.data[:300])
    return response


def _snapshot(i: int) -> str:
    return (dt.datetime(2025, 1, 1) + dt.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- bounded by bytes ------------------------------------------------------------------------


def test_a_snapshot_per_request_keeps_iov_lists_and_memory_within_budget(app: Flask) -> None:
    client = app.test_client()
    iovs = f"/api/v1/tags/{LONG_TAG}/iovs?page[size]=1"
    _ok(client, iovs)  # the first list, database connection and code paths are warm
    gc.collect()
    before = resident_bytes()
    asked = 300  # unbounded: 300 x 0.27 MiB (hashes once, a code per IOV) = 80 MiB
    for i in range(asked):
        _ok(client, f"{iovs}&snapshot={_snapshot(i)}")
    gc.collect()
    after = resident_bytes()
    if before is None or after is None:
        pytest.skip("no /proc/self/statm to read resident memory from")
    grown = after - before
    stats = _within_budget(app, "iovs", ENGINE.iov_cache_bytes, asked)
    assert stats["entries"] >= 1  # a 0.27 MiB list fits the 4 MiB budget: it is still a cache
    assert grown <= ENGINE.iov_cache_bytes + RSS_SLACK, (
        f"resident memory grew {grown / MiB:.0f} MiB"
    )


def test_distinct_parameters_keep_every_plot_cache_within_budget(app: Flask) -> None:
    client = app.test_client()
    asked = 40
    for i in range(asked):
        since = 100 + i * 7  # distinct IOVs: all five payloads decoded
        query = f"db=long&tag={LONG_TAG}&since={since}&n={next(_fresh)}"
        _ok(client, f"/api/v1/plots/bounds.table?{query}&snapshot={SNAPSHOT}")  # pinned
        _ok(client, f"/api/v1/plots/bounds.table?{query}")  # latest
    _within_budget(app, "plots", CACHES.plots_bytes, asked)
    _within_budget(app, "rendered_pinned", CACHES.rendered_bytes, asked)
    _within_budget(app, "rendered_latest", CACHES.rendered_bytes // 4, asked)
    _within_budget(app, "api_plot_documents", CACHES.documents_bytes, asked)
    decoded = _stats(app)["decoded"]
    assert decoded["max_size"] == ENGINE.decoded_cache_bytes >= decoded["size"]


def test_distinct_history_parameters_keep_reductions_within_budget(app: Flask) -> None:
    client = app.test_client()
    asked = 40
    for _ in range(asked):
        query = f"db=long&tag={LONG_TAG}&since=100&until=300&n={next(_fresh)}"
        _ok(client, f"/api/v1/plots/bounds.history?{query}&snapshot={SNAPSHOT}")
    _within_budget(app, "reductions", ENGINE.reduction_cache_bytes, asked * 5)


def test_distinct_jobs_keep_the_job_table_within_budget(app: Flask) -> None:
    client = app.test_client()
    jobs = state(app).jobs
    asked = 30
    for _ in range(asked):
        query = f"db=long&tag={LONG_TAG}&since=100&until=150&n={next(_fresh)}"
        path = f"/api/v1/plots/bounds.history?{query}&snapshot={SNAPSHOT}"
        response = _ok(client, path, Prefer="respond-async")
        ident = json.loads(response.data)["data"]["id"]
        _wait_finished(app, ident)
    assert 0 < jobs.held_bytes() <= JOBS.keep_bytes
    kept = sum(1 for _ in range(asked))  # every job asked for was distinct
    assert len(jobs._finished_at) < kept  # some were forgotten to stay within the bytes


def _wait_finished(app: Flask, ident: str) -> None:
    """Until the job is done (polled; a job of 50 IOVs takes milliseconds)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = state(app).jobs.get(ident)
        if view is not None and view.status.finished:
            assert view.error is None, view.error
            return
        time.sleep(0.005)
    raise AssertionError(f"job {ident} did not finish")


# -- admission before work -------------------------------------------------------------------


@pytest.fixture
def saturated(long_db: Path) -> Iterator[tuple[Flask, list[Any]]]:
    """A one-worker engine (two admission slots) with both slots held by blocked drawers.

    A pinned plot is cached before the drawers block.  Yields the app and the
    blocked requests' outcomes (filled once the test releases them).
    """
    settings = EngineSettings(workers=1, admitted_per_worker=2, drawer_timeout=60.0)
    flask_app = _app(long_db, settings)
    client = flask_app.test_client()
    _ok(client, f"/api/v1/plots/bounds.table?db=long&tag={LONG_TAG}&since=100&snapshot={SNAPSHOT}")
    BLOCKER.release.clear()
    outcomes: list[Any] = []

    def blocked_request(n: int) -> None:
        path = f"/api/v1/plots/bounds.blocked?db=long&tag={LONG_TAG}&since=100&n={n}"
        outcomes.append(flask_app.test_client().get(path).status_code)

    threads = [threading.Thread(target=blocked_request, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    gate = state(flask_app).engine.admission
    deadline = time.monotonic() + 30
    while gate.held < gate.slots and time.monotonic() < deadline:
        time.sleep(0.005)
    assert gate.held == gate.slots == 2
    yield flask_app, outcomes
    BLOCKER.release.set()
    for thread in threads:
        thread.join(timeout=60)
    state(flask_app).close()


def _answer_while_blocked(app: Flask, path: str) -> Any:
    """``path``'s response, asked on a thread that must finish while the slots are held."""
    answer: list[Any] = []
    thread = threading.Thread(target=lambda: answer.append(app.test_client().get(path)))
    thread.start()
    thread.join(timeout=30)  # a request parked on a queue would still be waiting
    assert answer, f"{path} waited for the work holding the slots instead of being answered"
    return answer[0]


def test_a_cold_plot_beyond_the_slots_is_refused_at_once_with_retry_after(
    saturated: tuple[Flask, list[Any]],
) -> None:
    app, outcomes = saturated
    cold = f"/api/v1/plots/bounds.table?db=long&tag={LONG_TAG}&since=200&n={next(_fresh)}"
    response = _answer_while_blocked(app, cold)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    error = json.loads(response.data)["errors"][0]
    assert error["status"] == "503" and error["title"] == "Server busy"
    assert "all 2 slots" in error["detail"]
    page = _answer_while_blocked(app, cold.replace("/api/v1/plots/", "/plot/"))
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Server busy" in page.get_data(as_text=True)
    diff = _answer_while_blocked(app, f"/api/v1/diff/tags?a={LONG_TAG}&b={LONG_TAG}")
    assert diff.status_code == 503 and diff.headers["Retry-After"] == "2"
    assert state(app).engine.admission.refused == 3
    metrics = _answer_while_blocked(app, "/metrics").get_data(as_text=True)
    assert 'inspector_admission_refused_total{gate="plots"} 3.0' in metrics
    assert outcomes == [] and state(app).engine.admission.held == 2  # the blockers still block


def test_a_cold_iov_list_beyond_the_slots_is_refused_and_a_cached_one_answers(
    saturated: tuple[Flask, list[Any]],
) -> None:
    """Reading a list is expensive work too: distinct snapshots must not park threads."""
    app, outcomes = saturated
    iovs = f"/api/v1/tags/{LONG_TAG}/iovs?page[size]=1"
    cold = _answer_while_blocked(app, f"{iovs}&snapshot=2030-01-01T00:00:{next(_fresh) % 60:02d}Z")
    assert cold.status_code == 503 and cold.headers["Retry-After"] == "2"
    assert "all 2 slots" in json.loads(cold.data)["errors"][0]["detail"]
    # the saturating plots read the newest list: it is cached, so it answers
    assert _answer_while_blocked(app, iovs).status_code == 200
    assert outcomes == []


def test_a_background_job_render_is_never_refused_by_the_admission(long_db: Path) -> None:
    """A job's own pool bounds it: its render, and the cold plot under it, pass a full gate."""
    flask_app = _app(long_db, EngineSettings(workers=1, admitted_per_worker=2))
    web = state(flask_app)
    gate, holding, release = web.engine.admission, threading.Barrier(3), threading.Event()

    def hold() -> None:  # a request's slot, held while the job renders
        with gate.enter():
            holding.wait()
            release.wait(30)

    holders = [threading.Thread(target=hold) for _ in range(gate.slots)]
    for thread in holders:
        thread.start()
    holding.wait()
    query = PlotRequest.from_query(
        "bounds.table", [("db", "long"), ("tag", LONG_TAG), ("since", "300")], "long"
    )
    try:
        with flask_app.app_context():
            assert query.cache_key not in web.plots  # the plot under the render is cold too
            with gate.exempt():  # as a job's work runs
                rendered = web.rendered(query, "json", request_time())
        assert rendered.body and gate.held == gate.slots and gate.refused == 0
    finally:
        release.set()
        for thread in holders:
            thread.join(timeout=30)
        web.close()


def test_healthz_and_a_cached_pinned_plot_answer_while_the_engine_is_saturated(
    saturated: tuple[Flask, list[Any]],
) -> None:
    app, outcomes = saturated
    assert _answer_while_blocked(app, "/healthz").status_code == 200
    cached = f"/api/v1/plots/bounds.table?db=long&tag={LONG_TAG}&since=100&snapshot={SNAPSHOT}"
    assert _answer_while_blocked(app, cached).status_code == 200
    BLOCKER.release.set()
    deadline = time.monotonic() + 60
    while len(outcomes) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert outcomes == [200, 200]  # admitted work finishes normally once it may


def test_pngs_beyond_concurrency_and_queue_are_refused_at_once(long_db: Path) -> None:
    pytest.importorskip("playwright.async_api")
    if not Path(PngSettings().browser).is_file():
        pytest.skip("no Chromium to draw PNGs")
    app = _app(long_db, png=PngSettings(concurrency=1, queue=0))
    try:
        png_gate = state(app).tools.png.admission
        assert png_gate.slots == 1
        path = f"/plot/bounds.table/export.png?db=long&tag={LONG_TAG}&since=100"
        with png_gate.enter():  # the one page of the browser is drawing
            response = _answer_while_blocked(app, path)
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert "PNG exports" in response.get_data(as_text=True)
        assert png_gate.refused == 1 and state(app).engine.admission.held == 0
        # refused before any work: the plot under it was not even computed
        assert state(app).engine.decodes == 0
    finally:
        state(app).close()


# -- rate limits -----------------------------------------------------------------------------


def test_a_family_past_its_rate_limit_is_429_and_healthz_never_is(long_db: Path) -> None:
    app = _app(long_db, limits=RateLimits({"iovs": "3/minute", "plots": "2/minute"}))
    try:
        client = app.test_client()
        iovs = f"/api/v1/tags/{LONG_TAG}/iovs?page[size]=1"
        for _ in range(3):
            _ok(client, iovs)
        refused = client.get(iovs)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        error = json.loads(refused.data)["errors"][0]
        assert error["status"] == "429" and "3 per 1 minute" in error["detail"]
        page = client.get(f"/tags/{LONG_TAG}")  # the same family: its budget is spent
        assert page.status_code == 429 and page.mimetype == "text/html"
        plot = f"/api/v1/plots/bounds.table?db=long&tag={LONG_TAG}&since=100"
        assert [client.get(plot).status_code for _ in range(3)] == [200, 200, 429]
        for _ in range(20):
            assert client.get("/healthz").status_code == 200
        assert client.get("/metrics").status_code == 200
    finally:
        state(app).close()


def test_rate_limits_count_in_the_shared_redis(long_db: Path, redis_server: Any) -> None:
    """Two processes (two apps here) over one Redis share a family's budget."""
    limits = RateLimits({"iovs": "3/minute"})
    cache = CacheConfig(redis_url=redis_server.url, key_prefix=f"bounds{next(_fresh)}")
    apps = []
    for _ in range(2):
        config = Config(
            {"long": DatabaseConfig("long", f"sqlite:///{long_db}")},
            "long",
            cache=cache,
            limits=limits,
        )
        apps.append(create_app(config, beamspot_plugins(), settings=ENGINE))
    try:
        iovs = f"/api/v1/tags/{LONG_TAG}/iovs?page[size]=1"
        first, second = (a.test_client() for a in apps)
        statuses = [c.get(iovs).status_code for c in (first, second, first, second)]
        assert statuses == [200, 200, 200, 429]
    finally:
        for a in apps:
            state(a).close()
