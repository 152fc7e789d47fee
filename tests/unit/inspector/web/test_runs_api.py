"""/api/v1 runs, run, readiness and watch routes on hand-built databases and the demo.

Every body is validated against the OpenAPI document's schema for its path
and status; the watch clock is pinned through the app extension.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from runs_handmade import build_runs_db, hours

from inspector.config import Config, DatabaseConfig, WatchConfig, WatchedTag, load_config
from inspector.plugin import load_plugins
from inspector.watch import READINESS_RULE
from inspector.web.app import create_app
from inspector.web.openapi import openapi_document
from inspector.web.state import state
from inspector.web.watch import WATCH_CLOCK

API = "/api/v1"
REPO = Path(__file__).resolve().parents[4]
_DOC = openapi_document("test")
_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:openapi", Resource.from_contents(_DOC, default_specification=DRAFT202012)
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("runs-api")
    build_runs_db(folder / "runs.sqlite")
    build_runs_db(folder / "cms.sqlite", fills=False)
    watch = WatchConfig(
        (
            WatchedTag("runs", "Prompt_run", 20, 40),
            WatchedTag("runs", "Prompt_time", 30, 40),
            WatchedTag("runs", "Empty_run", 12, 24),
            WatchedTag("cms", "No_such_tag", 1),
        )
    )
    config = Config(
        {a: DatabaseConfig(a, f"sqlite:///{folder / f'{a}.sqlite'}") for a in ("runs", "cms")},
        "runs",
        watch=watch,
    )
    flask_app = create_app(config, load_plugins())
    flask_app.extensions[WATCH_CLOCK] = lambda: hours(60)
    yield flask_app
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _template(app: Flask, path: str) -> str:
    rule, _ = app.url_map.bind("localhost").match(path.split("?", 1)[0], return_rule=True)
    return str(rule.rule).replace("<int:", "{").replace("<", "{").replace(">", "}")


def _json(client: FlaskClient, path: str, status: int = 200) -> Any:
    """The body of a GET, checked against the documented schema of its path and status."""
    response = client.get(path)
    assert response.status_code == status, response.data[:500]
    assert client.application is not None
    responses = _DOC["paths"][_template(client.application, path)]["get"]["responses"]
    documented = responses[str(status)]
    if "$ref" in documented:
        documented = _DOC["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"][response.mimetype]["schema"]
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    doc = json.loads(body)
    Draft202012Validator({"$ref": "urn:openapi" + schema["$ref"]}, registry=_REGISTRY).validate(doc)
    return doc


def _bad(client: FlaskClient, path: str, parameter: str) -> str:
    error = _json(client, path, 400)["errors"][0]
    assert error["source"] == {"parameter": parameter}, error
    detail: str = error["detail"]
    return detail


def _ids(doc: dict[str, Any]) -> list[str]:
    return [item["id"] for item in doc["data"]]


# -- runs ---------------------------------------------------------------------------------------


def test_runs_carry_fill_duration_and_links(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/runs")
    assert _ids(doc) == ["1000", "1001", "1005", "1010", "1011"]
    assert doc["data"][1]["attributes"] == {
        "run_number": 1001,
        "start_time": "2024-05-01T09:30:00Z",
        "end_time": "2024-05-01T11:00:00Z",
        "duration_seconds": 5400.0,
        "fill_number": 7,
    }
    assert doc["data"][3]["attributes"]["fill_number"] is None
    assert doc["data"][0]["links"] == {
        "self": f"{API}/runs/1000?db=runs",
        "html": "/runs/1000?db=runs",
    }
    assert doc["meta"]["fills_available"] is True and doc["meta"]["total"] == 5


def test_runs_filter_by_fill_and_dates_with_paging_links(client: FlaskClient) -> None:
    assert _ids(_json(client, f"{API}/runs?filter[fill]=7")) == ["1000", "1001"]
    # A bare date as the upper bound includes that whole day (run 1010 starts May 2, 14:00).
    dated = _json(client, f"{API}/runs?filter[from]=2024-05-01T18:00:00Z&filter[to]=2024-05-02")
    assert _ids(dated) == ["1005", "1010"]
    paged = _json(client, f"{API}/runs?filter[first]=1001&page[size]=2")
    assert _ids(paged) == ["1001", "1005"] and paged["meta"]["pages"] == 2
    assert paged["links"]["next"] == (
        f"{API}/runs?db=runs&filter[first]=1001&page[number]=2&page[size]=2"
    )
    assert paged["links"]["prev"] is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("filter[fill]=seven", "filter[fill]"),
        ("filter[fill]=-1", "filter[fill]"),
        ("filter[from]=yesterday", "filter[from]"),
        ("filter[from]=2024-06-01&filter[to]=2024-05-01", "filter[to]"),
        ("filter[first]=9&filter[last]=3", "filter[last]"),
        ("filter[run]=3", "filter[run]"),
        ("page[number]=9", None),
    ],
)
def test_bad_run_filters_are_named(client: FlaskClient, query: str, parameter: str | None) -> None:
    if parameter is None:
        assert _json(client, f"{API}/runs?{query}", 404)["errors"][0]["status"] == "404"
    else:
        _bad(client, f"{API}/runs?{query}", parameter)


def test_a_bad_fill_says_so(client: FlaskClient) -> None:
    detail = _bad(client, f"{API}/runs?filter[fill]=-1", "filter[fill]")
    assert "-1 is not a fill number" in detail


def test_without_fill_table_fills_are_null_and_say_so(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/runs?db=cms")
    assert [d["attributes"]["fill_number"] for d in doc["data"]] == [None] * 5
    assert doc["meta"]["fills_available"] is False
    assert _json(client, f"{API}/runs?db=cms&filter[fill]=7")["meta"]["total"] == 0
    run = _json(client, f"{API}/runs/1001?db=cms")
    assert run["data"]["attributes"]["fill"] is None and run["meta"]["fills_available"] is False


def test_one_run_with_its_fill_and_neighbours(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/runs/1001")
    assert doc["data"]["attributes"]["fill"] == {
        "fill_number": 7,
        "start_time": "2024-05-01T08:00:00Z",
        "end_time": "2024-05-01T11:00:00Z",
        "duration_seconds": 10800.0,
        "runs": [1000, 1001],
    }
    assert doc["links"] == {
        "self": f"{API}/runs/1001?db=runs",
        "prev": f"{API}/runs/1000?db=runs",
        "next": f"{API}/runs/1005?db=runs",
    }
    assert _json(client, f"{API}/runs/1010")["data"]["attributes"]["fill"] is None
    assert _json(client, f"{API}/runs/1011")["links"]["next"] is None


def test_unknown_runs_are_404(client: FlaskClient) -> None:
    assert "run 999" in _json(client, f"{API}/runs/999", 404)["errors"][0]["detail"]
    assert client.get(f"{API}/runs/abc").status_code == 404


# -- readiness ----------------------------------------------------------------------------------


def test_readiness_lists_every_record(client: FlaskClient) -> None:
    response = client.get(f"{API}/runs/1005/readiness?globaltag=GT_run")
    assert response.headers["Cache-Control"] == "public, max-age=30"
    doc = _json(client, f"{API}/runs/1005/readiness?globaltag=GT_run")
    attributes = doc["data"]["attributes"]
    assert attributes["ready"] is True and attributes["missing"] == []
    records = {r["record"]: r for r in attributes["records"]}
    assert records["LumiRcd"]["at_text"] == "1005:1"
    assert records["LumiRcd"]["iov"]["since_text"] == "1005:0"
    assert records["RunRcd"]["iov"]["insertion_time"] == "2024-05-02T04:00:00Z"
    assert records["TimeRcd"]["at_text"] == "2024-05-01T18:00:00.000000Z"
    assert doc["data"]["id"] == "1005@GT_run"
    etag = response.headers["ETag"]
    again = client.get(
        f"{API}/runs/1005/readiness?globaltag=GT_run", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304


def test_not_ready_names_the_missing_records(client: FlaskClient) -> None:
    attributes = _json(client, f"{API}/runs/1005/readiness?globaltag=GT_closed")["data"][
        "attributes"
    ]
    assert attributes["ready"] is False and attributes["missing"] == ["RunRcd"]
    assert attributes["records"][0]["covered"] is False and attributes["records"][0]["iov"] is None


def test_readiness_errors(client: FlaskClient) -> None:
    assert "required" in _bad(client, f"{API}/runs/1005/readiness", "globaltag")
    _bad(client, f"{API}/runs/1005/readiness?globaltag=GT_run&run=3", "run")
    missing_gt = _json(client, f"{API}/runs/1005/readiness?globaltag=Nope", 404)
    assert "global tag 'Nope'" in missing_gt["errors"][0]["detail"]
    missing_run = _json(client, f"{API}/runs/7/readiness?globaltag=GT_run", 404)
    assert "run 7" in missing_run["errors"][0]["detail"]


# -- watch --------------------------------------------------------------------------------------


def test_watch_at_the_pinned_clock(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/watch")
    statuses = {d["attributes"]["tag"]: d["attributes"]["status"] for d in doc["data"]}
    assert statuses == {
        "Prompt_run": "LATE",
        "Prompt_time": "OK",
        "Empty_run": "STALE",
        "No_such_tag": "UNKNOWN",
    }
    assert doc["meta"]["statuses"] == {"OK": 1, "LATE": 1, "STALE": 1, "UNKNOWN": 1}
    late = doc["data"][0]["attributes"]
    assert (late["lag_runs"], late["lag_hours"], late["first_waiting_run"]) == (2, 29.0, 1010)
    assert late["newest_iov"]["since_text"] == "1005"
    assert late["newest_run"] == {"run_number": 1011, "end_time": "2024-05-03T10:00:00Z"}
    assert late["now"] == "2024-05-03T20:00:00Z"
    assert doc["data"][0]["links"] == {"tag": "/tags/Prompt_run?db=runs"}
    _bad(client, f"{API}/watch?db=runs", "db")


def test_index_links_the_watch(client: FlaskClient) -> None:
    assert _json(client, API)["links"]["watch"] == f"{API}/watch"


def test_the_demo_shows_each_status(demo_path: Path) -> None:
    """The repository's configuration over the demo database: OK, LATE and STALE."""
    # The repository's watch; notes in memory, never in the repository's var/.
    config = load_config(REPO / "inspector.toml")
    demo = DatabaseConfig("demo", f"sqlite:///{demo_path}")
    flask_app = create_app(
        dataclasses.replace(config, databases={"demo": demo}, annotations=None), load_plugins()
    )
    try:
        doc = flask_app.test_client().get(f"{API}/watch").get_json(force=True)
    finally:
        state(flask_app).close()
    assert [d["attributes"]["status"] for d in doc["data"]] == ["OK", "LATE", "STALE"]
    late = doc["data"][1]["attributes"]
    assert (late["lag_runs"], late["lag_hours"]) == (1, 72.0)


# -- fills on history plots ---------------------------------------------------------------------


def test_history_plots_get_fill_bands_only_with_fill_information(client: FlaskClient) -> None:
    plot = "/plot/beamspot.position_x/item.json?tag=Prompt_run"
    assert b"LHC fills" in client.get(f"{plot}&db=runs").data
    assert b"LHC fills" not in client.get(f"{plot}&db=cms").data
    assert b"LHC fills" in client.get(f"{plot}&db=runs&xaxis=time").data
    html = client.get("/plot/beamspot.position_x/export.html?tag=Prompt_run&db=runs")
    assert b"LHC fills" in html.data
    # Fills are run context, not plot data: the plot object JSON has none.
    assert b"fill" not in client.get("/plot/beamspot.position_x/export.json?tag=Prompt_run").data


# -- readiness across runs ----------------------------------------------------------------------


def test_readiness_table_newest_run_first_with_what_each_run_lacks(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/runs/readiness?globaltag=GT_closed")
    assert _ids(doc) == [f"{r}@GT_closed" for r in (1011, 1010, 1005, 1001, 1000)]
    rows = {d["attributes"]["run_number"]: d["attributes"] for d in doc["data"]}
    assert rows[1005]["ready"] is False and rows[1005]["missing"] == ["RunRcd"]
    assert rows[1001] == {
        "run_number": 1001,
        "fill_number": 7,
        "start_time": "2024-05-01T09:30:00Z",
        "end_time": "2024-05-01T11:00:00Z",
        "ready": True,
        "waiting": [],
        "missing": [],
    }
    meta = doc["meta"]
    assert (meta["runs"], meta["ready_runs"], meta["not_ready_runs"], meta["total"]) == (5, 2, 3, 5)
    assert meta["records"] == [
        {
            "record": "RunRcd",
            "label": "",
            "tag": "Closed_run",
            "synchronization": "any",
            "needs_upload": False,
            "newest_since_text": "1000",
        }
    ]
    assert meta["rule"] == READINESS_RULE
    assert doc["data"][0]["links"] == {
        "self": "/api/v1/runs/1011/readiness?db=runs&globaltag=GT_closed",
        "html": "/runs/1011?db=runs&globaltag=GT_closed",
    }


def test_readiness_table_filters(client: FlaskClient) -> None:
    base = f"{API}/runs/readiness?globaltag=GT_closed"
    not_ready = _json(client, f"{base}&filter[ready]=false")
    assert [d["attributes"]["run_number"] for d in not_ready["data"]] == [1011, 1010, 1005]
    assert not_ready["meta"]["runs"] == 5 and not_ready["meta"]["total"] == 3
    ready = _json(client, f"{base}&filter[ready]=yes")
    assert [d["attributes"]["run_number"] for d in ready["data"]] == [1001, 1000]
    fill = _json(client, f"{base}&filter[fill]=8")
    assert [d["attributes"]["run_number"] for d in fill["data"]] == [1005]
    dates = _json(client, f"{base}&filter[from]=2024-05-01T09:00:00Z&filter[to]=2024-05-02")
    assert [d["attributes"]["run_number"] for d in dates["data"]] == [1010, 1005, 1001]
    paged = _json(client, f"{base}&filter[ready]=false&page[size]=2")
    assert paged["meta"]["pages"] == 2 and len(paged["data"]) == 2
    assert paged["links"]["next"] == (
        "/api/v1/runs/readiness?db=runs&globaltag=GT_closed&filter[ready]=false"
        "&page[number]=2&page[size]=2"
    )


def test_readiness_table_errors(client: FlaskClient) -> None:
    base = f"{API}/runs/readiness?globaltag=GT_closed"
    assert "'maybe' is not true or false" in _bad(
        client, f"{base}&filter[ready]=maybe", "filter[ready]"
    )
    _bad(client, f"{base}&filter[first]=1005&filter[last]=1000", "filter[last]")
    _bad(client, f"{base}&filter[fill]=x", "filter[fill]")
    _bad(client, f"{base}&ready=no", "ready")  # the page's spelling is not the API's
    missing = _json(client, f"{API}/runs/readiness?globaltag=Nope", 404)
    assert "global tag 'Nope'" in missing["errors"][0]["detail"]
    past = _json(client, f"{base}&page[number]=9", 404)
    assert "past the last page" in past["errors"][0]["detail"]


def test_readiness_table_without_run_information_is_empty(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/runs/readiness?db=cms&globaltag=GT_run")
    assert len(doc["data"]) == 5  # the CMS-like copy has runs, only no fills
    assert all(d["attributes"]["fill_number"] is None for d in doc["data"])


def test_the_demo_express_global_tag_has_its_newest_run_waiting(demo_path: Path) -> None:
    """The demo's express beam spot never got its newest run: that run waits for it."""
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    flask_app = create_app(config, load_plugins())
    try:
        client = flask_app.test_client()
        express = _json(
            client, f"{API}/runs/readiness?globaltag=140X_dataRun3_Express_v1&filter[ready]=false"
        )
        newest = _json(client, f"{API}/runs?page[size]=1000")["data"][-1]["id"]
        default = _json(client, f"{API}/runs/readiness")
    finally:
        state(flask_app).close()
    waiting = {d["id"]: d["attributes"]["waiting"] for d in express["data"]}
    assert "BeamSpotObjectsRcd" in waiting[f"{newest}@140X_dataRun3_Express_v1"]
    assert express["meta"]["global_tag"]["sees_every_upload"] is True
    needs = {r["record"]: r["needs_upload"] for r in express["meta"]["records"]}
    assert needs["BeamSpotObjectsRcd"] and not needs["EcalPedestalsRcd"]  # express; hlt
    # The default is the newest global tag: the frozen re-reco, where nothing is awaited.
    assert default["meta"]["global_tag"]["name"] == "140X_dataRun3_ReReco_v1"
    assert default["meta"]["global_tag"]["sees_every_upload"] is False
    assert not any(r["needs_upload"] for r in default["meta"]["records"])
