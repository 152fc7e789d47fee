"""Plot exports: they state the view they came from, and the CMS Payload Inspector form.

An export's header (CSV comment block, JSON provenance) must reproduce the
permalink of the page it was downloaded from; ``export.cmspi`` must give
the CMSSW shape for every plot type that has one and a 400 naming the
supported types for the others.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from web_apps import beamspot_app

from inspector.drawers import Drawer, Param, drawer
from inspector.payload import DecodedPayload
from inspector.plots import Histogram1D, Histogram2D, Scatter
from inspector.plots.cmspi import CMSPI_SCHEMA
from inspector.plugin import hookimpl
from inspector.web.state import state

PINNED = "2024-06-01T00:00:00Z"


@drawer(
    "exporttest.histogram",
    title="x histogram",
    payload_types="BeamSpotObjects",
    kind="single",
    params=[Param.int("bins", 4, minimum=1, maximum=100)],
)
def histogram(payload: DecodedPayload, params: Mapping[str, Any]) -> Histogram1D:
    """The payload's x, binned."""
    return Histogram1D.from_values(
        [float(payload["position_"][0])], bins=params["bins"], range=(0.0, 1.0)
    )


@drawer("exporttest.grid", title="grid", payload_types="BeamSpotObjects", kind="single")
def grid(payload: DecodedPayload, params: Mapping[str, Any]) -> Histogram2D:
    """x and y in one cell."""
    return Histogram2D.from_values(
        [float(payload["position_"][0])], [float(payload["position_"][1])], bins=2
    )


@drawer("exporttest.scatter", title="x against y", payload_types="BeamSpotObjects", kind="single")
def scatter(payload: DecodedPayload, params: Mapping[str, Any]) -> Scatter:
    """One point."""
    return Scatter(
        x=np.array([float(payload["position_"][0])]), y=np.array([float(payload["position_"][1])])
    )


class ExportTestPlugin:
    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [histogram, grid, scatter]


@pytest.fixture(scope="module")
def app(handmade_path: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    flask_app = beamspot_app({"hand": handmade_path[0]}, ("exporttest", ExportTestPlugin()))
    yield flask_app
    state(flask_app).close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _ok(client: FlaskClient, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, response.data[:400]
    return response.data


def _permalink(page: str) -> str:
    """The permalink the plot page offers, without its view options."""
    start = page.index('id="permalink" value="') + len('id="permalink" value="')
    link = page[start : page.index('"', start)].replace("&amp;", "&")
    parts = urlsplit(link)
    data = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("xaxis", "width", "height")]
    return f"{parts.path}?" + "&".join(f"{k}={v}" for k, v in data)


def _from_header(drawer_name: str, query: str) -> str:
    return f"/plot/{drawer_name}?" + "&".join(f"{k}={v}" for k, v in parse_qsl(query))


@pytest.mark.parametrize(
    "view",
    [
        f"/plot/beamspot.position_x?tag=BS_run&since=150&until=350&snapshot={PINNED}&xaxis=time",
        f"/plot/exporttest.histogram?tag=BS_lumi&iov=100:60&bins=7&snapshot={PINNED}",
        f"/plot/beamspot.compare?tag=BS_run&iov=100&tag2=BS_lumi&iov2=100:60&snapshot={PINNED}",
    ],
)
def test_an_export_header_reproduces_the_views_permalink(client: FlaskClient, view: str) -> None:
    page = _ok(client, view).decode()
    permalink = _permalink(page)
    drawer_name = urlsplit(view).path.rsplit("/", 1)[1]
    query = urlsplit(view).query
    provenance = json.loads(_ok(client, f"/plot/{drawer_name}/export.json?{query}"))["provenance"]
    assert _from_header(provenance["drawer"], provenance["query"]) == permalink
    text = _ok(client, f"/plot/{drawer_name}/export.csv?{query}").decode()
    header = dict(
        line[2:].split(": ", 1)
        for line in text.splitlines()
        if line.startswith("# ") and ": " in line
    )
    assert _from_header(header["drawer"], header["query"]) == permalink
    # The standalone page says it too (HTML text inside the HTML-escaped Bokeh document).
    page_html = html.unescape(
        html.unescape(_ok(client, f"/plot/{drawer_name}/export.html?{query}").decode())
    )
    assert "view: " + _from_header(provenance["drawer"], provenance["query"]) in page_html
    # The header's query, opened again, is the same plot.
    again = json.loads(_ok(client, f"/plot/{drawer_name}/export.json?{header['query']}"))
    assert again["provenance"] == provenance


def test_an_unpinned_export_states_it_is_latest(client: FlaskClient) -> None:
    text = _ok(client, "/plot/beamspot.position_x/export.csv?tag=BS_run").decode()
    assert "# snapshot: latest" in text and "# query: db=hand&tag=BS_run" in text
    rows = list(csv.reader(io.StringIO("\n".join(x for x in text.splitlines() if x[:1] != "#"))))
    assert rows[0][:2] == ["since", "until"]


# -- CMS Payload Inspector form ---------------------------------------------------------------


def _cmspi(client: FlaskClient, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.data[:400]
    assert response.mimetype == "application/json"
    assert "cmspi.json" in response.headers["Content-Disposition"]
    doc: dict[str, Any] = json.loads(response.data)
    Draft202012Validator(dict(CMSPI_SCHEMA)).validate(doc)
    return doc


def test_cmspi_history_has_one_point_per_iov(client: FlaskClient, hashes: dict[str, str]) -> None:
    doc = _cmspi(client, f"/plot/beamspot.position_x/export.cmspi?tag=BS_run&snapshot={PINNED}")
    assert doc["annotations"]["type"] == "History"
    assert doc["annotations"]["payload_type"] == "BeamSpotObjects"
    assert [p["x"] for p in doc["data"]] == [100, 200, 300, 400]
    assert [p["y"] for p in doc["data"]] == [0.1, 0.4, 0.3, 0.5]
    assert all("y_err" in p for p in doc["data"])
    assert f"snapshot={PINNED}" in doc["annotations"]["info"]


def test_cmspi_of_a_multi_series_history_names_the_series(client: FlaskClient) -> None:
    response = client.get("/plot/beamspot.width/export.cmspi?tag=BS_run")
    assert response.status_code == 400
    assert "width_x, width_y" in response.data.decode()
    doc = _cmspi(client, "/plot/beamspot.width/export.cmspi?tag=BS_run&series=width_y")
    assert len(doc["data"]) == 4 and "series: width_y" in doc["annotations"]["info"]
    page = _ok(client, "/plot/beamspot.width?tag=BS_run").decode()
    assert page.count('class="cmspi"') == 2 and "series=width_y" in page


@pytest.mark.parametrize(
    ("drawer_name", "cmspi_type"),
    [
        ("exporttest.histogram", "Histo1D"),
        ("exporttest.grid", "Histo2D"),
        ("exporttest.scatter", "Scatter"),
    ],
)
def test_cmspi_of_every_supported_type(
    client: FlaskClient, drawer_name: str, cmspi_type: str
) -> None:
    doc = _cmspi(client, f"/plot/{drawer_name}/export.cmspi?tag=BS_run&iov=300")
    assert doc["annotations"]["type"] == cmspi_type
    assert doc["data"]
    page = _ok(client, f"/plot/{drawer_name}?tag=BS_run&iov=300").decode()
    assert page.count('class="cmspi"') == 1


def test_cmspi_of_a_table_is_a_400_naming_the_supported_types(client: FlaskClient) -> None:
    response = client.get("/plot/beamspot.parameters/export.cmspi?tag=BS_run")
    assert response.status_code == 400
    text = response.data.decode()
    assert "Table" in text and "Histogram1D" in text and "Scatter" in text
    page = _ok(client, "/plot/beamspot.parameters?tag=BS_run").decode()
    assert 'class="cmspi"' not in page
