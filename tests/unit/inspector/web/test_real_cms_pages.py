"""Every page and API route on the real CMS files, as ``inspector serve`` would show them.

The configuration holds one ``[databases.ALIAS] path = ...`` per file of
``../shared/data/cms-conditions/jer`` (beside the repository, never copied
into it) and watches one tag of each; the app has the installed plugins.
From the home page, every tag page, a tag diff, the runs, the watch, the
probes and the API of each database, every link is followed: each answers
200 (JSON:API documents valid against the OpenAPI document) — except what
needs a payload decoder (payload and plot routes), which must still answer
without a server error.  There is no RUN_INFO in these files: the run
pages say so, the run list is empty with a note, a run is a 404 saying why.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import pytest
from cms_files import REAL_CMS_DIR, REAL_CMS_FILES, real_cms_config
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from link_crawl import JSON_TYPES, crawl, named
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from inspector.config import load_config
from inspector.web.app import create_app
from inspector.web.openapi import openapi_document
from inspector.web.state import state

pytestmark = pytest.mark.skipif(
    not REAL_CMS_FILES, reason=f"the real CMS files are not there: {REAL_CMS_DIR}"
)
ALIASES: Final = [f.stem for f in REAL_CMS_FILES]
#: Routes that decode payloads: a decoder for CMSSW archives may not read these yet.
DECODING: Final = re.compile(r"^(/api/v1)?/(payloads|plots?)/")
SKIPPED: Final = re.compile(r"^/static/|/export\.png(\?|$)")
_DOC = openapi_document("test")
_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:openapi", Resource.from_contents(_DOC, default_specification=DRAFT202012)
)


def _tags(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return [str(n) for (n,) in con.execute("select name from tag order by name")]


TAGS: Final = {f.stem: _tags(f) for f in REAL_CMS_FILES}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = real_cms_config(tmp_path_factory.mktemp("real-web"))
    watch = "".join(
        f'[[watch]]\ndb = "{alias}"\ntag = "{tags[0]}"\nmax_latency_hours = 48\n\n'
        for alias, tags in TAGS.items()
    )
    path.write_text(path.read_text() + watch)
    flask_app = create_app(load_config(path))
    yield flask_app
    state(flask_app).close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _validate(client: FlaskClient, link: str, response: TestResponse) -> None:
    """A JSON:API answer of /api/v1 against the documented schema of its path and status."""
    assert client.application is not None
    rule, _ = client.application.url_map.bind("localhost").match(
        urlsplit(link).path, return_rule=True
    )
    template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(rule.rule))
    documented = _DOC["paths"][template]["get"]["responses"][str(response.status_code)]
    if "$ref" in documented:
        documented = _DOC["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"][response.mimetype]["schema"]
    if "$ref" in schema:
        schema = {"$ref": "urn:openapi" + schema["$ref"]}
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    Draft202012Validator(schema, registry=_REGISTRY).validate(json.loads(body))


def _checker(client: FlaskClient) -> Any:
    def check(link: str, response: TestResponse) -> None:
        text = response.get_data(as_text=True)
        path = urlsplit(link).path
        if DECODING.match(path):
            assert response.status_code < 500, (link, text[:400])
        else:
            assert response.status_code in (200, 202), (link, text[:400])
        if response.mimetype == "text/html":
            assert "Traceback" not in text
            for name in named(link):
                assert html.escape(name) in text, (link, name)
        if path.startswith("/api/v1") and response.mimetype == "application/vnd.api+json":
            _validate(client, link, response)
        elif response.mimetype in JSON_TYPES:
            json.loads(text)

    return check


def _q(path: str, alias: str, **args: str) -> str:
    return f"{path}?{urlencode({**args, 'db': alias})}"


@pytest.fixture(scope="module")
def crawled(client: FlaskClient) -> dict[str, int]:
    starts = ["/healthz", "/readyz", "/watch", "/api/v1", "/api/v1/watch"]
    for alias, tags in TAGS.items():
        starts += [
            _q("/", alias),
            _q("/", alias, q="AK4"),
            _q("/", alias, object_type="JME::JetResolutionObject"),
            _q("/globaltags", alias),
            _q("/runs", alias),
            _q("/runs/1", alias),
            *(_q(f"/tags/{t}", alias) for t in tags),
            _q("/diff/tags", alias, a=tags[0], b=tags[-1]),
            _q("/diff/tags", alias, a=tags[0], b=tags[-1], all="1"),
            _q("/api/v1/tags", alias, **{"page[size]": "100"}),
            _q("/api/v1/globaltags", alias),
            _q("/api/v1/runs", alias),
            _q("/api/v1/diff/tags", alias, a=tags[0], b=tags[-1]),
        ]
    return crawl(
        client, starts, _checker(client), skip=lambda link: bool(SKIPPED.search(link)), limit=5000
    )


def test_every_link_answers(crawled: dict[str, int]) -> None:
    assert len(crawled) > 3 * 30
    ok = {link for link, status in crawled.items() if status == 200}
    for alias, tags in TAGS.items():
        for tag in tags:
            for pattern in (r"^/tags/[^?]+$", r"/timeline\.json$", r"^/api/v1/tags/", r"/iovs$"):
                reached = {link for link in ok if re.search(pattern, urlsplit(link).path)}
                assert any(tag in named(link) for link in reached), (alias, tag, pattern)


def test_the_run_pages_say_there_is_no_run_information(client: FlaskClient) -> None:
    for alias in ALIASES:
        for path in ("/runs", "/runs/1"):
            response = client.get(_q(path, alias))
            text = " ".join(
                html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split()
            )
            assert response.status_code == 200
            assert f"Database {alias} has no run information: it has no RUN_INFO table" in text


def test_the_runs_api_is_empty_and_a_run_is_a_404_saying_why(client: FlaskClient) -> None:
    for alias in ALIASES:
        doc = client.get(_q("/api/v1/runs", alias)).get_json(force=True)
        assert doc["data"] == [] and doc["meta"]["runs_available"] is False
        assert (
            doc["meta"]["note"] == f"database {alias!r} has no run information (no RUN_INFO table)"
        )
        response = client.get(_q("/api/v1/runs/1", alias))
        assert response.status_code == 404
        assert "has no run information" in response.get_json(force=True)["errors"][0]["detail"]


def test_the_watch_says_why_it_cannot_judge(client: FlaskClient) -> None:
    reports = client.get("/api/v1/watch").get_json(force=True)["data"]
    assert [r["attributes"]["db"] for r in reports] == ALIASES
    for report in reports:
        attributes = report["attributes"]
        assert attributes["status"] == "UNKNOWN"
        assert "has no run information" in attributes["reason"]
        assert attributes["newest_iov"]["since"] == 1


def test_the_databases_are_ready(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["unready"] == []


def test_tags_last_forever(client: FlaskClient) -> None:
    for alias, tags in TAGS.items():
        for tag in tags:
            doc = client.get(_q(f"/api/v1/tags/{tag}", alias)).get_json(force=True)
            assert doc["data"]["attributes"]["end_of_validity"] == (1 << 64) - 1
            iovs = client.get(_q(f"/api/v1/tags/{tag}/iovs", alias)).get_json(force=True)["data"]
            assert [i["attributes"]["until_text"] for i in iovs] == ["inf"]
