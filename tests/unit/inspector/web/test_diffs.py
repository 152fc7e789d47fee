"""The diff pages and API routes over a hand-built database with known answers.

Every API body is validated against the OpenAPI document, as in test_api.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from handmade_diff import build_diff_db
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from web_apps import beamspot_app

from inspector.web.openapi import openapi_document
from inspector.web.state import state

API = "/api/v1"
DOC = openapi_document("test")
REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:openapi", Resource.from_contents(DOC, default_specification=DRAFT202012)
)


@pytest.fixture(scope="module")
def diff_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("diffweb") / "diff.sqlite"
    return path, build_diff_db(path)


@pytest.fixture(scope="module")
def app(diff_db: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    flask_app = beamspot_app({"d": diff_db[0]})
    yield flask_app
    state(flask_app).close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _api(client: FlaskClient, path: str, status: int = 200) -> Any:
    """GET an API path and validate the body against its documented schema."""
    response = client.get(path)
    assert response.status_code == status, response.data[:400]
    template = urlsplit(path).path
    documented = DOC["paths"][template]["get"]["responses"][str(status)]
    if "$ref" in documented:
        documented = DOC["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"]["application/vnd.api+json"]["schema"]
    body = json.loads(response.data)
    Draft202012Validator({"$ref": "urn:openapi" + schema["$ref"]}, registry=REGISTRY).validate(body)
    return body


def _args(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query))


# -- API: tag diff -------------------------------------------------------------------------------


def test_tag_diff_rows_counts_and_totals(client: FlaskClient, diff_db: Any) -> None:
    p = diff_db[1]
    doc = _api(client, f"{API}/diff/tags?a=DIFF_A&b=DIFF_B")
    rows = [
        (r["attributes"]["since"], r["attributes"]["until_text"], r["attributes"]["status"])
        for r in doc["data"]
    ]
    assert rows == [
        (50, "100", "only_a"),
        (100, "200", "same"),
        (200, "300", "same"),
        (300, "400", "differs"),
        (400, "600", "same"),
        (600, "700", "only_b"),
        (700, "inf", "only_b"),
    ]
    first = doc["data"][0]["attributes"]
    assert (first["payload_hash_a"], first["payload_hash_b"]) == (p["p1"], None)
    meta = doc["meta"]
    assert meta["total"] == meta["rows"] == 7
    assert meta["counts"] == {"same": 3, "differs": 1, "only_a": 1, "only_b": 2}
    assert meta["compare_drawers"] == ["beamspot.compare"]
    assert meta["compare_note"] is None
    assert doc["links"]["next"] is None and doc["links"]["prev"] is None


def test_each_differing_row_links_the_two_tag_compare_plot(client: FlaskClient) -> None:
    doc = _api(client, f"{API}/diff/tags?a=DIFF_A&b=DIFF_B&filter[status]=differs")
    assert doc["meta"]["total"] == 1 and doc["meta"]["rows"] == 7
    (row,) = doc["data"]
    link = row["links"]["compare"]
    assert urlsplit(link).path == "/plot/beamspot.compare"
    expected = {"db": "d", "tag": "DIFF_A", "iov": "300", "tag2": "DIFF_B", "iov2": "300"}
    assert _args(link) == expected
    page = client.get(link)
    assert page.status_code == 200
    assert b"DIFF_A @ 300" in page.data and b"DIFF_B @ 300" in page.data


def test_the_filter_and_paging_walk_every_row_once(client: FlaskClient) -> None:
    url = f"{API}/diff/tags?a=DIFF_A&b=DIFF_B&filter[status]=differs,only_a,only_b&page[size]=2"
    seen: list[int] = []
    while url:
        doc = _api(client, url)
        assert doc["meta"]["total"] == 4
        seen += [r["attributes"]["since"] for r in doc["data"]]
        url = doc["links"]["next"]
        if url:
            assert _args(url)["filter[status]"] == "differs,only_a,only_b"
    assert seen == [50, 300, 600, 700]


def test_a_snapshot_pins_the_diff(client: FlaskClient) -> None:
    doc = _api(client, f"{API}/diff/tags?a=DIFF_A&b=DIFF_B&snapshot=2024-05-01T10:00:00Z")
    assert doc["meta"]["counts"] == {"same": 2, "differs": 1, "only_a": 1, "only_b": 2}
    assert doc["meta"]["snapshot"] == "2024-05-01T10:00:00Z"
    assert _args(doc["links"]["next"] or doc["links"]["self"])["snapshot"] == "2024-05-01T10:00:00Z"
    row = next(r for r in doc["data"] if r["attributes"]["status"] == "differs")
    assert _args(row["links"]["compare"])["snapshot"] == "2024-05-01T10:00:00Z"


def test_tags_of_other_payload_types_diff_without_compare_links(client: FlaskClient) -> None:
    doc = _api(client, f"{API}/diff/tags?a=DIFF_A&b=DIFF_OTHER")
    assert doc["meta"]["compare_drawers"] == []
    assert "EcalPedestals" in doc["meta"]["compare_note"]
    assert doc["meta"]["counts"]["differs"] >= 1
    assert all("links" not in r for r in doc["data"])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("b=DIFF_B", "a"),
        ("a=DIFF_A", "b"),
        ("a=DIFF_A&b=DIFF_LUMI", "b"),
        ("a=DIFF_A&b=DIFF_B&filter[status]=changed", "filter[status]"),
        ("a=DIFF_A&b=DIFF_B&since=x", "since"),
        ("a=DIFF_A&b=DIFF_B&since=300&until=100", "until"),
        ("a=DIFF_A&b=DIFF_B&snapshot=yesterday", "snapshot"),
        ("a=DIFF_A&b=DIFF_B&page[size]=10001", "page[size]"),
        ("a=DIFF_A&b=DIFF_B&sort=since", "sort"),
    ],
)
def test_bad_tag_diff_requests_name_their_parameter(
    client: FlaskClient, query: str, parameter: str
) -> None:
    doc = _api(client, f"{API}/diff/tags?{query}", 400)
    assert doc["errors"][0]["source"] == {"parameter": parameter}


def test_unknown_tags_and_pages_past_the_end_are_404s(client: FlaskClient) -> None:
    _api(client, f"{API}/diff/tags?a=DIFF_A&b=NOPE", 404)
    _api(client, f"{API}/diff/tags?a=DIFF_A&b=DIFF_B&page[number]=2", 404)


# -- API: global-tag diff ------------------------------------------------------------------------


def test_global_tag_diff_links_the_tag_diff_of_each_changed_record(client: FlaskClient) -> None:
    doc = _api(client, f"{API}/diff/globaltags?a=GT_A&b=GT_B")
    rows = [(r["id"], r["attributes"]["status"]) for r in doc["data"]]
    assert rows == [
        ("BeamSpotObjectsRcd/", "differs"),
        ("BeamSpotObjectsRcd/byLumi", "same"),
        ("NewRcd/", "only_b"),
        ("OtherRcd/", "only_a"),
    ]
    assert doc["meta"]["counts"] == {"same": 1, "differs": 1, "only_a": 1, "only_b": 1}
    link = doc["data"][0]["links"]["tag_diff"]
    assert _args(link) == {"db": "d", "a": "DIFF_A", "b": "DIFF_B"}
    assert _api(client, link)["meta"]["rows"] == 7
    changed = _api(client, f"{API}/diff/globaltags?a=GT_A&b=GT_B&filter[status]=only_a,only_b")
    assert changed["meta"]["total"] == 2
    _api(client, f"{API}/diff/globaltags?a=GT_A&b=NOPE", 404)
    _api(client, f"{API}/diff/globaltags?a=GT_A", 400)


# -- pages ----------------------------------------------------------------------------------------


def test_the_tag_diff_page_shows_differing_rows_by_default(client: FlaskClient) -> None:
    page = client.get("/diff/tags?a=DIFF_A&b=DIFF_B")
    assert page.status_code == 200
    text = page.data.decode()
    assert "Differing rows only" in text and "1–4 of 4" in text
    assert text.count('<tr class="') == 4
    assert ">beamspot.compare</a>" in text
    assert "3 same" in text and "1 differ" in text
    everything = client.get("/diff/tags?a=DIFF_A&b=DIFF_B&all=1").data.decode()
    assert "All rows" in everything and everything.count('<tr class="') == 7


def test_the_tag_diff_page_says_when_no_compare_drawer_applies(client: FlaskClient) -> None:
    text = client.get("/diff/tags?a=DIFF_A&b=DIFF_OTHER").data.decode()
    assert 'id="compare-note"' in text and "EcalPedestals" in text
    assert 'class="compare"' not in text


def test_diff_pages_show_a_form_and_readable_errors(client: FlaskClient) -> None:
    form = client.get("/diff/tags?a=DIFF_A")
    assert form.status_code == 200 and b'value="DIFF_A"' in form.data
    assert client.get("/diff/tags?a=DIFF_A&b=DIFF_LUMI").status_code == 400
    assert client.get("/diff/tags?a=DIFF_A&b=DIFF_B&page=9").status_code == 404
    assert client.get("/diff/tags?a=DIFF_A&b=DIFF_B&all=yes").status_code == 400
    typo = client.get("/diff/tags?a=DIFF_A&b=DIFF_B&snaphot=2024-01-01")
    assert typo.status_code == 400 and b"snaphot" in typo.data
    assert client.get("/diff/globaltags").status_code == 200


def test_the_global_tag_diff_page_links_tag_diffs(client: FlaskClient) -> None:
    text = client.get("/diff/globaltags?a=GT_A&b=GT_B").data.decode()
    assert "1–3 of 3" in text and "tag diff" in text
    assert "/diff/tags?db=d&amp;a=DIFF_A&amp;b=DIFF_B" in text


def test_tag_and_global_tag_pages_link_to_the_diffs(client: FlaskClient) -> None:
    tag = client.get("/tags/DIFF_A").data.decode()
    assert 'id="diff-with"' in tag and 'action="/diff/tags"' in tag
    gt = client.get("/globaltags/GT_A").data.decode()
    assert 'id="compare-with"' in gt and 'action="/diff/globaltags"' in gt
