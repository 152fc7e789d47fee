"""The JSON:API under /api/v1: every route, every error, paging, caching, permalinks.

Every response body a test receives goes through :func:`_validated`, which
checks it against the OpenAPI schema for its path and status, so the
document and the code cannot drift apart unnoticed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from handmade import T0, beamspot_values, hours
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import create_engine
from werkzeug.test import TestResponse

import inspector_plugins.beamspot
import inspector_plugins.schemas
from inspector.conddb.timetypes import (
    TimeType,
    format_snapshot,
    pack_lumi,
)
from inspector.conddb.writer import ConditionsWriter
from inspector.config import Config, DatabaseConfig
from inspector.drawers import Drawer, Param, drawer
from inspector.payload import DecodedPayload, SchemaRegistry, encode
from inspector.plots import Table
from inspector.plugin import hookimpl, load_plugins
from inspector.web.app import create_app
from inspector.web.jsonapi import MEDIA_TYPE
from inspector.web.openapi import openapi_document
from inspector.web.state import state

API = "/api/v1"
IMMUTABLE = "public, max-age=31536000, immutable"

# -- a test plugin: a drawer that fails, one with a typed parameter ------------------------------


@drawer("apitest.fails", title="fails", payload_types="BeamSpotObjects", kind="single")
def fails(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """Always raises, as a buggy plugin would."""
    raise RuntimeError("the calibration is upside down")


@drawer(
    "apitest.scaled",
    title="scaled x",
    payload_types="BeamSpotObjects",
    kind="single",
    params=[Param.int("scale", 1, minimum=1, maximum=10)],
)
def scaled(payload: DecodedPayload, params: Mapping[str, Any]) -> Table:
    """x times ``scale``."""
    return Table(columns={"x": np.array([float(payload["position_"][0]) * params["scale"]])})


class ApiTestPlugin:
    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [fails, scaled]


def _plugins() -> Any:
    return load_plugins(
        entry_points=False,
        extra=[
            ("schemas", inspector_plugins.schemas),
            ("beamspot", inspector_plugins.beamspot),
            ("apitest", ApiTestPlugin()),
        ],
    )


# -- databases and apps ---------------------------------------------------------------------------


def _build_broken(path: Path) -> dict[str, str]:
    """A database whose payloads cannot be decoded: a truncated blob, an unknown type."""
    writer = ConditionsWriter.create_sqlite(path)
    schema = SchemaRegistry.builtin().get("BeamSpotObjects")
    blob = encode(schema, beamspot_values(0.1))
    with writer.engine.begin() as conn:
        truncated = writer.add_payload(
            conn, "BeamSpotObjects", blob[: len(blob) // 2], version="dummy", insertion_time=T0
        )
        mystery = writer.add_payload(
            conn, "MysteryObjects", b"\x00" * 8, version="1", insertion_time=T0
        )
        writer.add_tag(
            conn,
            "BS_truncated",
            time_type=TimeType.RUN,
            object_type="BeamSpotObjects",
            insertion_time=T0,
        )
        writer.add_iovs(conn, "BS_truncated", [(1, truncated, T0)])
    writer.close()
    return {"truncated": truncated, "mystery": mystery}


def _app(databases: dict[str, Path], default: str) -> Flask:
    config = Config(
        {alias: DatabaseConfig(alias, f"sqlite:///{path}") for alias, path in databases.items()},
        default,
    )
    return create_app(config, _plugins())


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("broken") / "broken.sqlite"
    return path, _build_broken(path)


@pytest.fixture(scope="module")
def app(handmade_config: DatabaseConfig, broken: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    """Alias ``hand`` on each backend (SQLite file, PostgreSQL server): the same answers."""
    gone = broken[0].with_name("never-created.sqlite")
    config = Config(
        {
            "hand": handmade_config,
            "broken": DatabaseConfig("broken", f"sqlite:///{broken[0]}"),
            "gone": DatabaseConfig("gone", f"sqlite:///{gone}"),
        },
        "hand",
    )
    flask_app = create_app(config, _plugins())
    yield flask_app
    state(flask_app).close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- checking every answer against the OpenAPI document -------------------------------------------

_DOC = openapi_document("test")
_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:openapi", Resource.from_contents(_DOC, default_specification=DRAFT202012)
)


def _openapi_path(app: Flask, path: str) -> str:
    """The OpenAPI path template of a request path (``/api/v1/tags/{name}``)."""
    rule, _ = app.url_map.bind("localhost").match(path, return_rule=True)
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(rule.rule))


def _response_schema(template: str, status: int, content_type: str) -> dict[str, Any]:
    responses = _DOC["paths"][template]["get"]["responses"]
    assert str(status) in responses, f"{template} does not document status {status}"
    response = responses[str(status)]
    if "$ref" in response:
        response = _DOC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    assert content_type in response["content"], f"{template} {status}: {content_type}"
    schema: dict[str, Any] = response["content"][content_type]["schema"]
    return schema


def _validated(app: Flask, path: str, response: TestResponse) -> TestResponse:
    """Check the body against the documented schema of its path and status."""
    template = _openapi_path(app, path.split("?", 1)[0])
    if response.status_code == 304:
        assert response.data == b""
        assert "304" in _DOC["paths"][template]["get"]["responses"]
        return response
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    schema = _response_schema(template, response.status_code, str(response.mimetype))
    if "$ref" in schema:
        schema = {"$ref": "urn:openapi" + schema["$ref"]}
    Draft202012Validator(schema, registry=_REGISTRY).validate(json.loads(body))
    return response


def _get(
    client: FlaskClient, path: str, status: int = 200, headers: dict[str, str] | None = None
) -> TestResponse:
    response = client.get(path, headers=headers or {})
    assert response.status_code == status, response.data[:500]
    assert client.application is not None
    return _validated(client.application, path, response)


def _json(client: FlaskClient, path: str, status: int = 200) -> Any:
    response = _get(client, path, status)
    assert response.mimetype == MEDIA_TYPE
    return response.get_json(force=True)


def _error(client: FlaskClient, path: str, status: int) -> dict[str, Any]:
    """The single JSON:API error object of a failing request."""
    doc = _json(client, path, status)
    assert len(doc["errors"]) == 1
    error: dict[str, Any] = doc["errors"][0]
    assert error["status"] == str(status)
    return error


def _parameter(client: FlaskClient, path: str, parameter: str) -> str:
    """A 400 naming ``parameter``; returns its detail."""
    error = _error(client, path, 400)
    assert error["source"] == {"parameter": parameter}, error
    detail: str = error["detail"]
    return detail


def _names(doc: dict[str, Any]) -> list[str]:
    return [item["id"] for item in doc["data"]]


# -- index ----------------------------------------------------------------------------------------


def test_index_links_every_collection_and_the_openapi_document(client: FlaskClient) -> None:
    doc = _json(client, API)
    assert doc["jsonapi"] == {"version": "1.1"}
    assert doc["links"]["describedby"] == f"{API}/openapi.json"
    for name in ("tags", "drawers", "globaltags", "runs"):
        assert _json(client, doc["links"][name])["meta"]["total"] > 0
    attributes = doc["data"]["attributes"]
    assert attributes["default_database"] == "hand"
    assert [d["alias"] for d in attributes["databases"]] == ["hand", "broken", "gone"]
    assert "sqlite" not in json.dumps(doc)  # aliases only, never a path or URL
    _get(client, f"{API}/openapi.json")


def test_unknown_routes_under_the_api_are_json_api_404s(client: FlaskClient) -> None:
    assert (
        "/api/v1/nothing"
        in client.get(f"{API}/nothing").get_json(force=True)["errors"][0]["detail"]
    )


def test_an_unreachable_database_is_a_503_to_retry(client: FlaskClient) -> None:
    response = _get(client, f"{API}/tags?db=gone", 503)
    assert response.headers["Retry-After"] == "5"
    assert response.get_json(force=True)["errors"][0]["title"] == "Database unavailable"


# -- tags -----------------------------------------------------------------------------------------


def test_tags_list_states_its_total_with_resources_and_relationships(
    client: FlaskClient,
) -> None:
    doc = _json(client, f"{API}/tags")
    assert _names(doc) == ["BS_lumi", "BS_run", "BS_time", "Empty_tag"]
    assert doc["meta"] == {"total": 4, "page": 1, "page_size": 50, "pages": 1}
    run = doc["data"][1]
    assert run["attributes"]["time_type"] == "Run"
    assert run["attributes"]["description"] == "run based <b>test</b>"
    assert run["attributes"]["insertion_time"] == "2024-05-01T08:00:00Z"
    assert run["links"]["self"] == f"{API}/tags/BS_run?db=hand"
    iovs = run["relationships"]["iovs"]["links"]["related"]
    assert _json(client, iovs)["meta"]["total"] == 4
    drawers = run["relationships"]["drawers"]
    assert {"type": "drawers", "id": "beamspot.position_x"} in drawers["data"]
    listed = _json(client, drawers["links"]["related"])
    assert sorted(_names(listed)) == sorted(d["id"] for d in drawers["data"])


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("filter[name]=bs_", ["BS_lumi", "BS_run", "BS_time"]),
        ("filter[name]=*_r?n", ["BS_run"]),
        ("filter[object_type]=SiStripNoises", ["Empty_tag"]),
        ("filter[time_type]=lumi", ["BS_lumi"]),
        ("filter[name]=BS&filter[time_type]=Time", ["BS_time"]),
        ("sort=-name", ["Empty_tag", "BS_time", "BS_run", "BS_lumi"]),
        ("sort=-object_type", ["Empty_tag", "BS_lumi", "BS_run", "BS_time"]),
        ("sort=insertion_time", ["BS_lumi", "BS_run", "BS_time", "Empty_tag"]),
        ("filter[name]=nothing-like-this", []),
    ],
)
def test_tags_filters_and_sorting(client: FlaskClient, query: str, names: list[str]) -> None:
    doc = _json(client, f"{API}/tags?{query}")
    assert _names(doc) == names
    assert doc["meta"]["total"] == len(names)


def test_tags_paging_links_walk_the_whole_sorted_list(client: FlaskClient) -> None:
    first = _json(client, f"{API}/tags?sort=-name&page[size]=3&filter[name]=*")
    assert first["meta"] == {"total": 4, "page": 1, "page_size": 3, "pages": 2}
    links = first["links"]
    assert links["prev"] is None
    assert (
        links["self"]
        == links["first"]
        == (f"{API}/tags?db=hand&filter[name]=*&sort=-name&page[number]=1&page[size]=3")
    )
    second = _json(client, links["next"])
    assert links["next"] == links["last"] == second["links"]["self"]
    assert second["links"]["next"] is None
    assert second["links"]["prev"] == links["self"]
    assert _names(first) + _names(second) == ["Empty_tag", "BS_time", "BS_run", "BS_lumi"]
    error = _error(client, f"{API}/tags?page[size]=3&page[number]=3", 404)
    assert "past the last page (2" in error["detail"]


@pytest.mark.parametrize(
    ("query", "parameter", "detail"),
    [
        ("page[size]=0", "page[size]", "not within 1..1000"),
        ("page[size]=1001", "page[size]", "not within 1..1000"),
        ("page[size]=many", "page[size]", "not a whole number"),
        ("page[number]=0", "page[number]", "not within 1.."),
        ("sort=size", "sort", "is not one of name, -name"),
        ("sort=name,-object_type", "sort", "is not one of"),
        ("filter[time_type]=weekly", "filter[time_type]", "is not one of Run, Lumi"),
        ("filter[nmae]=BS", "filter[nmae]", "not a parameter of this endpoint"),
        ("filter[name]=a&filter[name]=b", "filter[name]", "more than once"),
    ],
)
def test_tags_bad_parameters_are_named(
    client: FlaskClient, query: str, parameter: str, detail: str
) -> None:
    assert detail in _parameter(client, f"{API}/tags?{query}", parameter)


def test_one_tag_and_unknown_tag_or_alias(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/tags/BS_lumi")
    assert doc["data"]["id"] == "BS_lumi"
    assert doc["data"]["attributes"]["end_of_validity"] == pack_lumi(500, 1)
    assert doc["links"]["self"] == f"{API}/tags/BS_lumi?db=hand"
    assert "'nope' does not exist" in _error(client, f"{API}/tags/nope", 404)["detail"]
    detail = _error(client, f"{API}/tags/BS_run?db=elsewhere", 404)["detail"]
    assert "unknown database alias 'elsewhere'" in detail
    assert "/" not in detail  # names the alias, never a path or URL
    _error(client, f"{API}/tags?db=elsewhere", 404)


# -- IOVs -----------------------------------------------------------------------------------------


def test_iovs_latest_insertion_wins_with_readable_bounds(
    client: FlaskClient, hashes: dict[str, str]
) -> None:
    doc = _json(client, f"{API}/tags/BS_run/iovs")
    assert _names(doc) == ["BS_run@100", "BS_run@200", "BS_run@300", "BS_run@400"]
    second = doc["data"][1]["attributes"]
    assert second["payload_hash"] == hashes["x=0.4"]
    assert (second["since"], second["until"], second["until_text"]) == (200, 300, "300")
    assert second["insertion_time"] == "2024-05-01T18:00:00Z"
    assert doc["data"][-1]["attributes"]["until_text"] == "inf"
    assert doc["meta"]["units"] == {"since": "run number", "until": "run number"}
    assert doc["meta"]["time_type"] == "Run" and doc["meta"]["snapshot"] is None
    payload = doc["data"][1]["relationships"]["payload"]
    assert payload["data"] == {"type": "payloads", "id": hashes["x=0.4"]}
    assert _json(client, payload["links"]["related"])["data"]["id"] == hashes["x=0.4"]


def test_iovs_lumi_and_time_are_readable_and_exact(client: FlaskClient) -> None:
    lumi = _json(client, f"{API}/tags/BS_lumi/iovs")["data"]
    assert [i["attributes"]["since_text"] for i in lumi] == ["100:1", "100:50", "101:1"]
    assert lumi[0]["attributes"]["since"] == pack_lumi(100, 1)
    assert lumi[-1]["attributes"]["until_text"] == "500:1"
    time = _json(client, f"{API}/tags/BS_time/iovs")["data"]
    assert time[1]["attributes"]["since_text"] == "2024-05-01T13:00:00.000000Z"
    # The id keeps the exact 64-bit since, which a JavaScript number cannot.
    assert time[1]["id"] == f"BS_time@{time[1]['attributes']['since']}"


def test_iovs_range_snapshot_and_paging(client: FlaskClient, hashes: dict[str, str]) -> None:
    ranged = _json(client, f"{API}/tags/BS_lumi/iovs?since=100:20&until=100:60")
    assert [i["attributes"]["since_text"] for i in ranged["data"]] == ["100:1", "100:50"]
    early = _json(client, f"{API}/tags/BS_run/iovs?snapshot=2024-05-01T12:00:00Z")
    assert early["data"][1]["attributes"]["payload_hash"] == hashes["x=0.2"]
    assert early["meta"]["snapshot"] == "2024-05-01T12:00:00Z"
    page = _json(client, f"{API}/tags/BS_run/iovs?page[size]=3&page[number]=2")
    assert _names(page) == ["BS_run@400"]
    assert page["meta"] == {**page["meta"], "total": 4, "pages": 2, "page": 2}
    assert page["links"]["prev"] == f"{API}/tags/BS_run/iovs?db=hand&page[number]=1&page[size]=3"
    empty = _json(client, f"{API}/tags/Empty_tag/iovs")
    assert empty["data"] == [] and empty["meta"]["total"] == 0 and empty["meta"]["pages"] == 1


def test_iovs_pinned_to_a_past_snapshot_are_cacheable_for_good(client: FlaskClient) -> None:
    pinned = _get(client, f"{API}/tags/BS_run/iovs?snapshot=2024-06-01")
    assert pinned.headers["Cache-Control"] == IMMUTABLE
    latest = _get(client, f"{API}/tags/BS_run/iovs")
    assert latest.headers["Cache-Control"] == "public, max-age=30"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("since=abc", "since"),
        ("until=1-2", "until"),  # 1:2 is run 1, lumisection 2: a run on a Run tag
        ("since=300&until=100", "until"),
        ("since=fill+99", "since"),  # no such fill
        ("snapshot=yesterday", "snapshot"),
        ("page[size]=10001", "page[size]"),
        ("tag=BS_run", "tag"),
    ],
)
def test_iovs_bad_parameters_are_named(client: FlaskClient, query: str, parameter: str) -> None:
    _parameter(client, f"{API}/tags/BS_run/iovs?{query}", parameter)


def test_iovs_of_an_unknown_tag_or_past_the_last_page(client: FlaskClient) -> None:
    _error(client, f"{API}/tags/nope/iovs", 404)
    _error(client, f"{API}/tags/BS_run/iovs?page[number]=2", 404)


def test_a_page_of_ten_thousand_iovs_is_allowed(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/tags/BS_run/iovs?page[size]=10000")
    assert doc["meta"]["page_size"] == 10_000 and doc["meta"]["pages"] == 1


# -- payloads -------------------------------------------------------------------------------------


def test_payload_metadata_and_field_summaries_with_units(
    client: FlaskClient, hashes: dict[str, str]
) -> None:
    doc = _json(client, f"{API}/payloads/{hashes['x=0.3']}")
    attributes = doc["data"]["attributes"]
    assert attributes["object_type"] == "BeamSpotObjects" and attributes["version"] == "dummy"
    assert attributes["size"] > 100
    fields = {f["name"]: f for f in attributes["fields"]}
    assert fields["sigmaZ_"] == {
        "name": "sigmaZ_",
        "kind": "number",
        "dtype": "<f8",
        "shape": [],
        "unit": "cm",
        "min": 3.8,
        "max": 3.8,
        "mean": 3.8,
        "std": 0.0,
    }
    assert fields["position_"]["shape"] == [3] and fields["position_"]["max"] == 0.3
    assert fields["covariance_"]["shape"] == [7, 7]
    assert doc["meta"]["units"]["size"] == "byte"
    assert doc["meta"]["units"]["fields"]["position_"] == "cm"
    drawers = doc["data"]["relationships"]["drawers"]
    assert {"type": "drawers", "id": "apitest.scaled"} in drawers["data"]


def test_payload_errors(client: FlaskClient, broken: tuple[Path, dict[str, str]]) -> None:
    _, found = broken
    assert "does not exist" in _error(client, f"{API}/payloads/{'0' * 40}", 404)["detail"]
    truncated = _error(client, f"{API}/payloads/{found['truncated']}?db=broken", 422)
    assert found["truncated"] in truncated["detail"]
    mystery = _error(client, f"{API}/payloads/{found['mystery']}?db=broken", 422)
    assert "no payload schema is declared for object type 'MysteryObjects'" in mystery["detail"]
    _parameter(client, f"{API}/payloads/{found['mystery']}?since=1", "since")


def test_real_payloads_of_every_type_summarise(demo_path: Path) -> None:
    """Every payload type of the demo database (real module lists) summarises cleanly."""
    app = _app({"demo": demo_path}, "demo")
    try:
        client = app.test_client()
        tags = _json(client, f"{API}/tags?page[size]=1000")["data"]
        types = {t["attributes"]["object_type"]: t["id"] for t in tags}
        for tag in types.values():
            iov = _json(client, f"{API}/tags/{tag}/iovs?page[size]=1")["data"][0]
            payload = _json(client, iov["relationships"]["payload"]["links"]["related"])
            assert payload["data"]["attributes"]["fields"]
    finally:
        state(app).close()


# -- drawers --------------------------------------------------------------------------------------


def test_drawers_list_filters_and_one_drawer(client: FlaskClient) -> None:
    everything = _json(client, f"{API}/drawers")
    assert everything["meta"]["total"] == len(everything["data"]) == 10
    query = "filter[kind]=history&filter[payload_type]=BeamSpotObjects"
    history = _json(client, f"{API}/drawers?{query}")
    assert all(d["attributes"]["kind"] == "history" for d in history["data"])
    assert "beamspot.position_x" in _names(history)
    assert _json(client, f"{API}/drawers?filter[payload_type]=Nothing")["data"] == []
    paged = _json(client, f"{API}/drawers?page[size]=4&page[number]=3")
    assert len(paged["data"]) == 2 and paged["links"]["next"] is None
    one = _json(client, f"{API}/drawers/apitest.scaled")["data"]
    assert one["attributes"]["params"] == [
        {"name": "scale", "type": "int", "default": 1, "minimum": 1, "maximum": 10}
    ]
    assert one["links"]["html"] == "/plot/apitest.scaled"
    tags = _json(client, one["relationships"]["tags"]["links"]["related"])
    assert _names(tags) == ["BS_lumi", "BS_run", "BS_time"]


def test_drawer_errors(client: FlaskClient) -> None:
    assert "no drawer named" in _error(client, f"{API}/drawers/beamspot.nope", 404)["detail"]
    assert "single, compare, history" in _parameter(
        client, f"{API}/drawers?filter[kind]=map", "filter[kind]"
    )
    _error(client, f"{API}/drawers?db=elsewhere", 404)


# -- plots ----------------------------------------------------------------------------------------

HISTORY = f"{API}/plots/beamspot.position_x?tag=BS_run"


def test_plot_document_wraps_the_plot_object_json(client: FlaskClient) -> None:
    response = _get(client, HISTORY)
    assert response.headers["Cache-Control"] == "public, max-age=30"
    doc = response.get_json(force=True)
    data = doc["data"]
    assert data["type"] == "plots"
    assert data["id"] == "beamspot.position_x?db=hand&tag=BS_run"
    plot = data["attributes"]
    assert plot["type"] == "History" and plot["provenance"]["drawer"] == "beamspot.position_x"
    assert plot["data"]["since"] == [100, 200, 300, 400]
    assert data["links"]["html"] == "/plot/beamspot.position_x?db=hand&tag=BS_run"
    assert data["links"]["csv"] == "/plot/beamspot.position_x/export.csv?db=hand&tag=BS_run"
    assert doc["meta"] == {"pinned": False}
    export = client.get(data["links"]["json"])
    assert export.status_code == 200
    assert json.loads(export.data) == plot


def test_pinned_plot_has_an_immutable_etag_304_and_gzip(client: FlaskClient) -> None:
    url = f"{HISTORY}&snapshot=2024-05-01T12:00:00Z&since=100&until=300"
    first = _get(client, url)
    assert first.headers["Cache-Control"] == IMMUTABLE
    etag = first.headers["ETag"]
    assert etag and first.get_json(force=True)["meta"] == {"pinned": True}
    again = _get(client, url, 304, headers={"If-None-Match": etag})
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == IMMUTABLE
    zipped = _get(client, url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == first.data
    assert first.get_json(force=True)["data"]["attributes"]["data"]["since"] == [100, 200, 300]


def test_every_answer_has_an_etag_and_gzip(client: FlaskClient) -> None:
    url = f"{API}/tags?filter[name]=BS"
    plain = _get(client, url)
    zipped = _get(client, url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["Vary"] == "Accept-Encoding"
    _get(client, url, 304, headers={"If-None-Match": plain.headers["ETag"]})


def test_compare_and_single_plots_with_parameters(client: FlaskClient) -> None:
    compare = _json(client, f"{API}/plots/beamspot.compare?tag=BS_run&iov=100&iov2=400")
    assert compare["data"]["attributes"]["provenance"]["iovs"] == [100, 400]
    scaled = _json(client, f"{API}/plots/apitest.scaled?tag=BS_run&iov=150&scale=3")
    attributes = scaled["data"]["attributes"]
    assert attributes["provenance"]["parameters"] == {"scale": 3}
    assert scaled["data"]["id"] == "apitest.scaled?db=hand&tag=BS_run&iov=150&scale=3"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("apitest.scaled?tag=BS_run&scale=0", "scale"),
        ("apitest.scaled?tag=BS_run&scale=two", "scale"),
        ("apitest.scaled?tag=BS_run&colour=red", "colour"),
        ("apitest.scaled?iov=100", "tag"),
        ("beamspot.position_x?tag=BS_run&since=abc", "since"),
        ("beamspot.position_x?tag=BS_run&snapshot=soon", "snapshot"),
        ("beamspot.position_x?tag=BS_run&width=5", "width"),
        ("beamspot.compare?tag=BS_run&iov=100", "iov2"),
        ("beamspot.parameters?tag=Empty_tag", "tag"),
    ],
)
def test_plot_bad_parameters_are_named(client: FlaskClient, query: str, parameter: str) -> None:
    _parameter(client, f"{API}/plots/{query}", parameter)


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("beamspot.nope?tag=BS_run", "no drawer named 'beamspot.nope'"),
        ("beamspot.position_x?tag=nope", "'nope' does not exist"),
        ("beamspot.parameters?tag=BS_run&iov=50", "no IOV valid at 50"),
        ("beamspot.position_x?tag=BS_run&db=elsewhere", "unknown database alias"),
        ("beamspot.position_x?tag=BS_run&snapshot=2000-01-01", "no IOVs"),
    ],
)
def test_plot_of_unknown_things_is_404(client: FlaskClient, query: str, detail: str) -> None:
    assert detail in _error(client, f"{API}/plots/{query}", 404)["detail"]


def test_plot_drawer_failure_and_undecodable_payload(client: FlaskClient) -> None:
    failed = _error(client, f"{API}/plots/apitest.fails?tag=BS_run", 500)
    assert failed["title"] == "Drawer failed"
    assert "'apitest.fails'" in failed["detail"]
    assert "RuntimeError: the calibration is upside down" in failed["detail"]
    undecodable = _error(client, f"{API}/plots/beamspot.parameters?tag=BS_truncated&db=broken", 422)
    assert undecodable["title"] == "Payload cannot be decoded"


def test_a_pinned_plot_link_shows_the_same_plot_after_new_iovs_arrive(
    tmp_path: Path, handmade_path: tuple[Path, dict[str, str]]
) -> None:
    """The permalink promise: a snapshot pins the data, whatever is uploaded later."""
    path = tmp_path / "copy.sqlite"
    shutil.copyfile(handmade_path[0], path)
    hashes = handmade_path[1]
    snapshot = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    latest = f"{API}/plots/beamspot.position_x?tag=BS_run"
    pinned = f"{latest}&snapshot={format_snapshot(snapshot)}"

    before = _app({"copy": path}, "copy")
    client = before.test_client()
    first = _get(client, pinned)
    assert first.headers["Cache-Control"] == IMMUTABLE
    assert _json(client, latest)["data"]["attributes"]["data"]["since"] == [100, 200, 300, 400]
    state(before).close()

    writer = ConditionsWriter(create_engine(f"sqlite:///{path}"))
    later = snapshot + dt.timedelta(minutes=5)
    with writer.engine.begin() as conn:
        writer.add_iovs(
            conn, "BS_run", [(500, hashes["x=0.1"], later), (300, hashes["x=0.5"], later)]
        )
    writer.close()

    after = _app({"copy": path}, "copy")
    try:
        client = after.test_client()
        second = _get(client, pinned)
        assert second.data == first.data  # the whole document, byte for byte
        assert second.headers["ETag"] == first.headers["ETag"]
        _get(client, pinned, 304, headers={"If-None-Match": first.headers["ETag"]})
        now = _json(client, latest)["data"]["attributes"]["data"]
        assert now["since"] == [100, 200, 300, 400, 500]
        assert now["series"][0]["values"][2] == 0.5
        assert now["payload_hash"][2] == hashes["x=0.5"]
    finally:
        state(after).close()


# -- global tags ----------------------------------------------------------------------------------


def test_global_tags_list_and_one_with_records(client: FlaskClient) -> None:
    listed = _json(client, f"{API}/globaltags")
    assert _names(listed) == ["GT_v2", "GT_v1"]  # newest first
    assert listed["meta"]["total"] == 2
    assert "records" not in listed["data"][0]["attributes"]
    assert _names(_json(client, f"{API}/globaltags?filter[name]=*2")) == ["GT_v2"]
    one = _json(client, listed["data"][1]["links"]["self"])["data"]
    assert one["attributes"]["release"] == "CMSSW_14_0_0"
    assert one["attributes"]["records"] == [
        {"record": "BeamSpotObjectsRcd", "label": "", "tag": "BS_run"},
        {"record": "BeamSpotObjectsRcd", "label": "byLumi", "tag": "BS_lumi"},
    ]
    assert one["relationships"]["tags"]["data"] == [
        {"type": "tags", "id": "BS_lumi"},
        {"type": "tags", "id": "BS_run"},
    ]
    second = _json(client, f"{API}/globaltags/GT_v2")["data"]["attributes"]
    assert second["insertion_time"] == hours(30).isoformat() + "Z"


def test_global_tag_errors(client: FlaskClient) -> None:
    _error(client, f"{API}/globaltags/GT_v9", 404)
    _parameter(client, f"{API}/globaltags?page[size]=5000", "page[size]")
    _error(client, f"{API}/globaltags?page[number]=2", 404)


# -- runs -----------------------------------------------------------------------------------------


def test_runs_with_times_durations_and_units(client: FlaskClient) -> None:
    doc = _json(client, f"{API}/runs")
    assert _names(doc) == ["100", "101", "200"]
    assert doc["data"][1]["attributes"] == {
        "run_number": 101,
        "start_time": "2024-05-01T09:30:00Z",
        "end_time": "2024-05-01T11:00:00Z",
        "duration_seconds": 5400.0,
        "fill_number": None,
    }
    assert doc["meta"]["units"] == {"duration_seconds": "s"}
    ranged = _json(client, f"{API}/runs?filter[first]=101&filter[last]=200&page[size]=1")
    assert _names(ranged) == ["101"] and ranged["meta"]["total"] == 2
    assert ranged["links"]["next"] == (
        f"{API}/runs?db=hand&filter[first]=101&filter[last]=200&page[number]=2&page[size]=1"
    )
    assert _json(client, f"{API}/runs?filter[first]=300")["data"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("filter[first]=abc", "filter[first]"),
        ("filter[last]=-1", "filter[last]"),
        ("filter[last]=99999999999999999999999", "filter[last]"),
        ("filter[first]=200&filter[last]=100", "filter[last]"),
        ("page[size]=1001", "page[size]"),
    ],
)
def test_runs_bad_parameters_are_named(client: FlaskClient, query: str, parameter: str) -> None:
    _parameter(client, f"{API}/runs?{query}", parameter)
