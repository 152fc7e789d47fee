"""No silent truncation: every listing states its total and links its pages; every cap is said.

The API part walks every paged listing of the OpenAPI document with one
item per page and checks that the pages, followed by their ``next`` links,
hold exactly ``meta.total`` items.  The rest checks each cap of the pages
and the engine: it is either a paged list that says so, or an error that
names the limit, never a shortened answer that looks complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from handmade_diff import build_diff_db
from web_apps import beamspot_app

from inspector.annotations.model import NewAnnotation, Target
from inspector.config import parse_config
from inspector.engine import EngineSettings
from inspector.errors import ConfigError
from inspector.web.globaltags import routes as globaltag_pages
from inspector.web.openapi import openapi_document
from inspector.web.plots import pages as plot_pages
from inspector.web.state import state

DOC = openapi_document("test")
#: Path and required query arguments that make each listing non-empty here.
EXAMPLES = {
    "/api/v1/tags/{name}/iovs": ("/api/v1/tags/BS_run/iovs", ""),
    "/api/v1/diff/tags": ("/api/v1/diff/tags", "a=DIFF_A&b=DIFF_B&"),
    "/api/v1/diff/globaltags": ("/api/v1/diff/globaltags", "a=GT_A&b=GT_B&"),
    # notes are the app's own, across databases: filtered, not scoped by ``db``
    "/api/v1/annotations": ("/api/v1/annotations", "filter[tag]=BS_run&"),
}
#: Listings that take no ``db`` argument.
NO_DB = {"/api/v1/annotations"}


def _listings() -> list[str]:
    out = []
    for template, item in DOC["paths"].items():
        content = item["get"]["responses"]["200"].get("content", {})
        schema = content.get("application/vnd.api+json", {}).get("schema", {})
        if schema.get("$ref", "").endswith("ListDocument"):
            out.append(template)
    return sorted(out)


@pytest.fixture(scope="module")
def app(
    handmade_path: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The hand-built database with the diff one merged in by alias: two aliases."""
    diff_path = tmp_path_factory.mktemp("limits") / "diff.sqlite"
    build_diff_db(diff_path)
    databases = {"hand": handmade_path[0], "diff": diff_path}
    flask_app = beamspot_app(
        databases, settings=EngineSettings(max_history_iovs=3, max_timeline_iovs=3)
    )
    notes = state(flask_app).annotations
    for text in ("first note", "second note", "third note"):
        notes.add(NewAnnotation("hand", "BS_run", Target.TAG, text), author="alice")
    yield flask_app
    state(flask_app).close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_every_listing_is_a_documented_paged_list() -> None:
    assert set(_listings()) == {
        "/api/v1/tags",
        "/api/v1/tags/{name}/iovs",
        "/api/v1/drawers",
        "/api/v1/globaltags",
        "/api/v1/runs",
        "/api/v1/runs/readiness",
        "/api/v1/diff/tags",
        "/api/v1/diff/globaltags",
        "/api/v1/annotations",
    }


@pytest.mark.parametrize("template", _listings())
def test_walking_a_listing_one_item_per_page_finds_exactly_its_total(
    client: FlaskClient, template: str
) -> None:
    path, required = EXAMPLES.get(template, (template, ""))
    db = "diff" if "diff" in template else "hand"
    scope = "" if template in NO_DB else f"db={db}&"
    link: str | None = f"{path}?{required}{scope}page[size]=1"
    seen: list[str] = []
    previous_self = None
    total = None
    while link:
        response = client.get(link)
        assert response.status_code == 200, (link, response.data[:300])
        doc: dict[str, Any] = json.loads(response.data)
        meta, links = doc["meta"], doc["links"]
        total = meta["total"] if total is None else total
        assert meta["total"] == total and meta["pages"] == max(1, total)
        assert meta["page_size"] == 1 and len(doc["data"]) <= 1
        assert links["prev"] == previous_self
        assert links["first"].endswith("page[number]=1&page[size]=1")
        assert links["last"].endswith(f"page[number]={max(1, total)}&page[size]=1")
        seen += [item["id"] for item in doc["data"]]
        previous_self, link = links["self"], links["next"]
    assert total is not None and total > 1, template
    assert len(seen) == len(set(seen)) == total


def test_a_history_over_the_limit_is_a_400_naming_it(client: FlaskClient) -> None:
    api = client.get("/api/v1/plots/beamspot.position_x?tag=BS_run")
    assert api.status_code == 400
    error = json.loads(api.data)["errors"][0]
    assert error["source"] == {"parameter": "since"}
    assert "4 IOVs" in error["detail"] and "max_history_iovs" in error["detail"]
    assert "since and until" in error["detail"]
    page = client.get("/plot/beamspot.position_x?tag=BS_run")
    assert page.status_code == 400 and b"max_history_iovs" in page.data
    within = client.get("/api/v1/plots/beamspot.position_x?tag=BS_run&since=200")
    assert within.status_code == 200


def test_the_tag_page_says_why_its_timeline_is_not_drawn(client: FlaskClient) -> None:
    text = client.get("/tags/BS_run").data.decode()
    assert 'id="timeline-limit"' in text and "4 IOVs" in text and 'id="timeline"' not in text
    assert "max_timeline_iovs" in text
    refused = client.get("/tags/BS_run/timeline.json")
    assert refused.status_code == 400 and b"max_timeline_iovs" in refused.data
    small = client.get("/tags/BS_lumi").data.decode()
    assert 'id="timeline"' in small and 'id="timeline-limit"' not in small


def test_the_second_tag_chooser_states_its_cap(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = "tag=BS_run&iov=100&tag2=BS_lumi&iov2=100:1"
    assert b'id="tag2-limit"' not in client.get(f"/plot/beamspot.compare?{query}").data
    monkeypatch.setattr(plot_pages, "TAG2_CHOICES", 1)
    text = client.get(f"/plot/beamspot.compare?{query}").data.decode()
    assert 'id="tag2-limit"' in text and "first 1 of 3" in text


def test_the_global_tags_page_is_paged_with_its_total(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(globaltag_pages, "GLOBAL_TAG_PAGE", 1)
    first = client.get("/globaltags").data.decode()
    assert "2 global tags, page 1 of 2" in first and "next →" in first
    second = client.get("/globaltags?page=2").data.decode()  # newest first: GT_v1 is older
    assert "GT_v1" in second and "← previous" in second and "GT_v2" not in second
    assert client.get("/globaltags?page=3").status_code == 404


@pytest.mark.parametrize(
    ("key", "default"), [("max_history_iovs", 5_000_000), ("max_timeline_iovs", 200_000)]
)
def test_iov_limits_are_configuration_keys(tmp_path: Path, key: str, default: int) -> None:
    config = parse_config(
        {"databases": {"a": {"path": "x"}}, "engine": {key: 10}},
        base_dir=tmp_path,
    )
    assert getattr(config.engine, key) == 10
    assert getattr(EngineSettings(), key) == default
    for bad in (0, 1.5, True):
        with pytest.raises(ConfigError, match=key):
            parse_config(
                {"databases": {"a": {"path": "x"}}, "engine": {key: bad}},
                base_dir=tmp_path,
            )
