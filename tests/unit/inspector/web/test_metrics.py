"""``/metrics`` in one process: request latency, cache events and plot time, in Prometheus text.

The summing over gunicorn workers is tested against a real 2-worker server in
``tests/unit/inspector/cli/test_gunicorn_server.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

PINNED_PLOT = (
    "/plot/beamspot.position_x/item.json?tag=BeamSpotObjects_PCL_byLumi_v1"
    "&snapshot=2025-01-01T00:00:00Z"
)


@pytest.fixture
def app(demo_path: Path) -> Iterator[Flask]:
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    flask_app = create_app(config, load_plugins())
    yield flask_app
    state(flask_app).close()


def samples(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics`` by (name, sorted labels)."""
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return out


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_caches_and_plots_are_counted(app: Flask) -> None:
    before = samples(app)
    client = app.test_client()
    assert client.get(PINNED_PLOT).status_code == 200
    assert client.get(PINNED_PLOT).status_code == 200
    assert client.get("/no/such/page").status_code == 404
    after = samples(app)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "inspector_http_request_duration_seconds_count"
    assert grew(requests, endpoint="pages.plot_item", method="GET", status="2xx") == 2
    assert grew(requests, endpoint="unmatched", method="GET", status="4xx") == 1
    events = "inspector_cache_events_total"
    assert grew(events, cache="rendered_pinned", tier="local", outcome="miss") == 1
    assert grew(events, cache="rendered_pinned", tier="local", outcome="hit") == 1
    assert grew(events, cache="reductions", tier="local", outcome="miss") >= 1
    plots = "inspector_plot_compute_seconds_count"
    assert grew(plots, drawer="beamspot.position_x", outcome="ok") == 1
    assert (
        grew("inspector_plot_compute_seconds_sum", drawer="beamspot.position_x", outcome="ok") > 0
    )


def test_unknown_drawers_make_no_new_series(app: Flask) -> None:
    app.test_client().get("/plot/no.such_drawer/item.json?tag=x")
    assert not any("no.such_drawer" in str(key) for key in samples(app))


def test_labels_fold_to_closed_sets() -> None:
    from inspector.web.ops.metrics import METHODS, status_class

    assert [METHODS.fold(m) for m in ("GET", "PATCH", "get", "ABCDEFGHIJ", None)] == [
        "GET",
        "PATCH",
        "other",
        "other",
        "other",
    ]
    assert [status_class(c) for c in (101, 200, 302, 404, 503, 99, 600, 999)] == [
        "1xx",
        "2xx",
        "3xx",
        "4xx",
        "5xx",
        "other",
        "other",
        "other",
    ]
