"""Pages and API routes on a database as CMSSW writes it: no RUN_INFO, no fill table.

The file (:func:`cms_files.build_cms_like`) also has CMSSW's extra tables,
END_OF_VALIDITY -1 and a Time since past 2**63.  Run pages answer 200 and
say there is no run information; the run list of the API is empty with
``meta.runs_available`` false and a note; a run is a 404 that says why; the
watch is UNKNOWN with the reason; plots draw without fills or run times.
JSON:API bodies are validated against the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
import gzip
import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from cms_files import CMS_LIKE_TAGS, build_cms_like
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from web_apps import beamspot_plugins

from inspector.config import Config, DatabaseConfig, WatchConfig, WatchedTag
from inspector.web.app import create_app
from inspector.web.openapi import openapi_document
from inspector.web.state import state
from inspector.web.watch import WATCH_CLOCK

API = "/api/v1"
NO_RUNS = "database 'cms' has no run information (no RUN_INFO table)"
_DOC = openapi_document("test")
_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:openapi", Resource.from_contents(_DOC, default_specification=DRAFT202012)
)


@pytest.fixture(scope="module")
def hashes(app: Flask) -> dict[str, str]:
    found: dict[str, str] = app.config["CMS_HASHES"]
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = tmp_path_factory.mktemp("cms-web") / "cms.db"
    found = build_cms_like(path, global_tag=True)
    watch = WatchConfig(
        (WatchedTag("cms", CMS_LIKE_TAGS["run"], 48, 168),), after_newest_run_hours=72
    )
    config = Config({"cms": DatabaseConfig("cms", f"sqlite:///{path}")}, "cms", watch=watch)
    flask_app = create_app(config, beamspot_plugins(), flask_config={"CMS_HASHES": found})
    flask_app.extensions[WATCH_CLOCK] = lambda: dt.datetime(2024, 6, 1)
    yield flask_app
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.data[:500]
    return response.get_data(as_text=True)


def _text(page: str) -> str:
    """What a reader sees: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _json(client: FlaskClient, path: str, status: int = 200) -> Any:
    """The body of a GET, checked against the documented schema of its path and status."""
    response = client.get(path)
    assert response.status_code == status, response.data[:500]
    assert client.application is not None
    rule, _ = client.application.url_map.bind("localhost").match(
        path.split("?", 1)[0], return_rule=True
    )
    template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(rule.rule))
    documented = _DOC["paths"][template]["get"]["responses"][str(status)]
    if "$ref" in documented:
        documented = _DOC["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"][response.mimetype]["schema"]
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    doc = json.loads(body)
    Draft202012Validator({"$ref": "urn:openapi" + schema["$ref"]}, registry=_REGISTRY).validate(doc)
    return doc


# -- runs ---------------------------------------------------------------------------------------


def test_runs_page_says_there_is_no_run_information(client: FlaskClient) -> None:
    text = _text(_page(client, "/runs"))
    assert "Database cms has no run information: it has no RUN_INFO table" in text
    assert 'id="runs"' not in _page(client, "/runs")
    assert _text(_page(client, "/runs?first=1&last=400000&from=2024-01-01")) == text
    _page(client, "/runs?first=abc", 400)  # arguments are still checked


def test_run_page_says_there_is_no_run_information(client: FlaskClient) -> None:
    text = _text(_page(client, "/runs/380000"))
    assert "Run 380000" in text and "Database cms has no run information" in text
    assert "Run start and end times, LHC fills, run readiness" in text


def test_runs_api_is_an_empty_list_with_a_note(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/runs")
    assert doc["data"] == []
    assert doc["meta"] == {
        "total": 0,
        "page": 1,
        "page_size": 50,
        "pages": 1,
        "units": {"duration_seconds": "s"},
        "runs_available": False,
        "fills_available": False,
        "note": NO_RUNS,
    }
    assert doc["links"]["next"] is None
    assert _json(client, f"{API}/runs?filter[fill]=7&filter[first]=1")["data"] == []


def test_a_run_and_its_readiness_are_404s_that_say_why(client: FlaskClient) -> None:
    error = _json(client, f"{API}/runs/380000", 404)["errors"][0]
    assert error["detail"] == f"run 380000: {NO_RUNS}"
    error = _json(client, f"{API}/runs/380000/readiness?globaltag=GT_cms", 404)["errors"][0]
    assert error["detail"] == f"run 380000: {NO_RUNS}"
    error = _json(client, f"{API}/runs/380000/readiness?globaltag=GT_nope", 404)["errors"][0]
    assert "global tag 'GT_nope'" in error["detail"]


def test_the_readiness_table_has_no_runs_and_its_page_says_why(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/runs/readiness?globaltag=GT_cms")
    assert doc["data"] == [] and doc["meta"]["runs"] == 0 and doc["meta"]["total"] == 0
    page = _text(_page(client, "/runs/readiness?globaltag=GT_cms"))
    assert "has no run information" in page and "RUN_INFO" in page


def test_runs_with_run_information_still_carry_the_flag(tmp_path_factory: Any) -> None:
    from runs_handmade import build_runs_db

    path = tmp_path_factory.mktemp("with-runs") / "runs.sqlite"
    build_runs_db(path)
    config = Config({"runs": DatabaseConfig("runs", f"sqlite:///{path}")}, "runs")
    flask_app = create_app(config, beamspot_plugins())
    try:
        doc = _json(flask_app.test_client(), f"{API}/runs")
    finally:
        state(flask_app).close()
    assert doc["meta"]["runs_available"] is True and "note" not in doc["meta"]
    assert doc["meta"]["total"] == 5


# -- watch and readiness probe --------------------------------------------------------------


def test_watch_is_unknown_with_the_reason(client: FlaskClient) -> None:
    (item,) = _json(client, f"{API}/watch")["data"]
    attributes = item["attributes"]
    assert attributes["status"] == "UNKNOWN"
    assert attributes["reason"] == f"{NO_RUNS}: no runs to compare with"
    assert attributes["newest_iov"]["since"] == 381000
    assert attributes["newest_run"] is None and attributes["lag_hours"] is None
    text = _text(_page(client, "/watch"))
    assert "UNKNOWN" in text and f"{NO_RUNS}: no runs to compare with" in text


def test_the_database_is_ready(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["databases"]["cms"] == {
        "ready": True
    }


# -- tags, IOVs and plots ----------------------------------------------------------------------


def test_tag_page_and_api_show_forever_as_inf(client: FlaskClient) -> None:
    text = _text(_page(client, f"/tags/{CMS_LIKE_TAGS['jer']}"))
    assert "inf" in text
    doc = _json(client, f"{API}/tags/{CMS_LIKE_TAGS['jer']}")
    assert doc["data"]["attributes"]["end_of_validity"] == (1 << 64) - 1
    iovs = _json(client, f"{API}/tags/{CMS_LIKE_TAGS['time']}/iovs")["data"]
    assert [i["attributes"]["until_text"] for i in iovs][-1] == "inf"
    assert iovs[-1]["attributes"]["since_text"].startswith("2040-01-01T00:00:00")
    assert _json(client, f"{API}/tags/{CMS_LIKE_TAGS['time']}/iovs?until=inf")["meta"]["total"] == 3


@pytest.mark.parametrize("xaxis", ["since", "time"])
def test_history_draws_without_fills_or_run_times(client: FlaskClient, xaxis: str) -> None:
    query = f"tag={CMS_LIKE_TAGS['run']}&xaxis={xaxis}"
    _page(client, f"/plot/beamspot.position_x?{query}")
    item = client.get(f"/plot/beamspot.position_x/item.json?{query}")
    assert item.status_code == 200
    assert "LHC fills" not in item.get_data(as_text=True)
    assert client.get(f"/plot/beamspot.position_x/export.html?{query}").status_code == 200
    doc = _json(client, f"{API}/plots/beamspot.position_x?{query}")
    attributes = doc["data"]["attributes"]
    assert attributes["provenance"]["tags"] == [CMS_LIKE_TAGS["run"]]
    assert attributes["data"]["since"] == [1, 380000, 381000]
    assert attributes["data"]["time"] is None  # no RUN_INFO: no wall-clock times
    assert attributes["data"]["series"][0]["values"] == [0.1, 0.2, 0.3]


def test_archive_payloads_without_a_decoder_are_no_500(
    client: FlaskClient, hashes: dict[str, str]
) -> None:
    jer = hashes["jer"]
    assert client.get(f"/payloads/{jer}").status_code < 500
    assert client.get(f"{API}/payloads/{jer}").status_code < 500
    response = client.get(f"/plot/beamspot.position_x?tag={CMS_LIKE_TAGS['jer']}")
    assert 400 <= response.status_code < 500
