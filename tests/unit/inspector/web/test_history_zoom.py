"""Zoom values through the web, on the demo's long tag: its planted outliers survive both ways.

The demo database is built with the long lumi-based beam-spot tag at 20,000
IOVs; drawn 300 pixels wide (4,800 IOVs at most one by one) the whole tag is
an envelope.  The first planted outlier (one IOV whose x is off by 0.02 cm)
must show in its bucket's maximum at full span, and as its own IOV, with
its own since in the hover, once zoomed on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from inspector.config import Config, DatabaseConfig
from inspector.demo import build_demo_database
from inspector.demo.long_history import LONG_OUTLIERS, LONG_TAG, long_history_tag
from inspector.plots import History
from inspector.plugin import load_plugins
from inspector.render.history import decoded_sources
from inspector.request import PlotRequest
from inspector.web.app import create_app
from inspector.web.state import state

SEED: Final = 3
IOVS: Final = 20_000
VALUES: Final = f"/plot/beamspot.position_x/values.json?tag={LONG_TAG}&width=300"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = tmp_path_factory.mktemp("long") / "demo.sqlite"
    build_demo_database(path, seed=SEED, scale=0.02, long_history_iovs=IOVS)
    flask_app = create_app(
        Config({"demo": DatabaseConfig("demo", f"sqlite:///{path}")}, "demo"), load_plugins()
    )
    yield flask_app
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def outlier(app: Flask) -> tuple[float, float, int]:
    """(x on the drawing's axis, value, since) of the first planted outlier, an x shift."""
    tag = long_history_tag(SEED, IOVS)
    first_odd = tag.payload_count - len(LONG_OUTLIERS)
    at = int(np.flatnonzero(tag.iovs.payload >= first_odd)[0])
    assert LONG_OUTLIERS[0].member == "x"
    with app.app_context():
        plot = state(app).plot(PlotRequest.from_query("beamspot.position_x", [("tag", LONG_TAG)]))
    assert isinstance(plot, History) and plot.iov_count == IOVS
    since = int(plot.since[at])
    assert since == int(tag.iovs.since[at])
    x = (since >> 32) + min(since & 0xFFFFFFFF, 9999) / 10_000
    (series,) = plot.series.values()
    return x, float(series.values[at]), since


def _get(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    body: dict[str, Any] = response.json
    body["decoded"] = decoded_sources(body)
    return body


def test_at_full_span_the_outlier_is_its_buckets_maximum(
    client: FlaskClient, outlier: tuple[float, float, int]
) -> None:
    x, value, _ = outlier
    whole = _get(client, VALUES)
    buckets = whole["decoded"]["history_buckets"]
    assert whole["decoded"]["history_iovs"]["x"].size == 0
    assert whole["caption"].startswith(f"{IOVS:,} IOVs shown as")
    (inside,) = np.flatnonzero((buckets["x"] <= x) & (x < buckets["x_end"]))
    assert buckets["hi0"][inside] == value
    assert value in whole["decoded"]["history_steps_0"]["y"]  # the drawn line reaches it


def test_zoomed_on_the_outlier_it_is_its_own_iov(
    client: FlaskClient, outlier: tuple[float, float, int]
) -> None:
    x, value, since = outlier
    zoomed = _get(client, f"{VALUES}&zoom={x - 0.5},{x + 0.5}")
    iovs = zoomed["decoded"]["history_iovs"]
    assert zoomed["decoded"]["history_buckets"]["x"].size == 0
    assert 2 < iovs["x"].size < 4_800 and zoomed["caption"].endswith("IOVs, each drawn")
    (row,) = np.flatnonzero(iovs["v0"] == value)
    assert (iovs["s_run"][row], iovs["s_ls"][row]) == (since >> 32, since & 0xFFFFFFFF)
    assert iovs["v0"][row] - iovs["v0"][row - 1] == pytest.approx(LONG_OUTLIERS[0].shift)
