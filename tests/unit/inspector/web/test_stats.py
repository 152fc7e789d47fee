"""``GET /_stats``: every cache's counters and the process's resident memory.

The load test (``tests/load/test_load.py``) reads budgets and hit rates from
this route, worker by worker (``pid``), while a real server is under load;
these tests pin down the shape it relies on and that the counters move with
real requests.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import inspector.web.ops.stats as stats_module
from inspector.engine import byte_cache

KEYS = {"hits", "misses", "joined", "errors", "entries", "size", "max_size", "hit_rate"}
EVERY_CACHE = {
    "decoded",
    "reductions",
    "iovs",
    "rendered_pinned",
    "rendered_latest",
    "plots",
    "api_plot_documents",
    "note_markers",
}
PINNED_PLOT = (
    "/plot/beamspot.parameters/item.json?tag=BeamSpotObjects_PCL_byLumi_v1"
    "&snapshot=2025-01-01T00:00:00Z"
)


def stats_of(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/_stats")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def test_every_cache_is_reported_with_every_counter(client: FlaskClient) -> None:
    caches = stats_of(client)["caches"]
    assert set(caches) == EVERY_CACHE
    for name, counters in caches.items():
        assert set(counters) == KEYS, name
        for key in KEYS - {"hit_rate"}:
            assert isinstance(counters[key], int) and counters[key] >= 0, (name, key)
        assert 0.0 <= counters["hit_rate"] <= 1.0
        assert counters["max_size"] > 0


def test_counters_follow_requests(client: FlaskClient) -> None:
    before = stats_of(client)["caches"]["rendered_pinned"]
    assert client.get(PINNED_PLOT).status_code == 200
    assert client.get(PINNED_PLOT).status_code == 200
    after = stats_of(client)["caches"]["rendered_pinned"]
    # The first request may have been answered by an earlier test's entry.
    assert after["hits"] - before["hits"] >= 1
    assert (after["hits"] + after["misses"]) - (before["hits"] + before["misses"]) == 2
    assert after["entries"] >= 1 and after["size"] > 0
    expected = (after["hits"] + after["joined"]) / (
        after["hits"] + after["joined"] + after["misses"]
    )
    assert after["hit_rate"] == pytest.approx(expected, abs=1e-4)


def test_errors_are_counted_not_cached(client: FlaskClient) -> None:
    url = "/plot/beamspot.parameters/item.json?tag=NoSuchTag_v0&snapshot=2025-01-01T00:00:00Z"
    before = stats_of(client)["caches"]["rendered_pinned"]
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404
    after = stats_of(client)["caches"]["rendered_pinned"]
    assert after["errors"] - before["errors"] == 2
    assert after["entries"] == before["entries"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux only")
def test_memory_is_this_process_resident_set(client: FlaskClient) -> None:
    body = stats_of(client)
    page = os.sysconf("SC_PAGE_SIZE")
    resident = int(Path("/proc/self/statm").read_text().split()[1]) * page
    assert isinstance(body["rss_bytes"], int)
    # Same process, a moment apart: equal up to what a few requests allocate.
    assert abs(body["rss_bytes"] - resident) < 64 << 20
    assert body["peak_rss_bytes"] >= body["rss_bytes"] - page
    high_water = next(
        line for line in Path("/proc/self/status").read_text().splitlines() if "VmHWM" in line
    )
    assert body["peak_rss_bytes"] <= int(high_water.split()[1]) * 1024


def test_the_answering_process_is_named(client: FlaskClient) -> None:
    # The test client answers in this process; a gunicorn worker names itself.
    assert stats_of(client)["pid"] == os.getpid()


def test_memory_is_null_without_proc(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stats_module, "_STATM", tmp_path / "no-statm")
    monkeypatch.setattr(stats_module, "_STATUS", tmp_path / "no-status")
    assert stats_module.resident_bytes() is None
    assert stats_module.peak_resident_bytes() is None
    body = stats_of(client)
    assert body["rss_bytes"] is None and body["peak_rss_bytes"] is None


def test_answers_are_never_cached_by_clients(client: FlaskClient) -> None:
    assert client.get("/_stats").headers["Cache-Control"] == "no-store"


def test_cache_kept_by_a_blueprint_is_reported(app: Flask) -> None:
    extra = byte_cache("stats_test_extra", 1 << 20)
    app.extensions["stats_test.extra"] = extra
    try:
        extra.get_or_compute("k", lambda: b"value")
        caches = stats_of(app.test_client())["caches"]
        assert caches["stats_test_extra"]["misses"] == 1
        assert caches["stats_test_extra"]["size"] == sys.getsizeof(b"value")  # with its header
    finally:
        del app.extensions["stats_test.extra"]


def test_stats_are_not_part_of_the_public_api(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not any("_stats" in path for path in paths)
