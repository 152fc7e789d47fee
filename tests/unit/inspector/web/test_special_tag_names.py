"""Tag names with ``/``, ``<``, ``&``, spaces, ``?``, ``#``, ``%`` and ``+`` in every URL written.

A small database holds beam-spot tags (and a global tag) so named, with runs
whose conditions are those tags and a watch on one of them.  Starting from
the home page, the tag pages, the diffs, the runs, the watch and the API,
every link the pages and the API documents emit is followed — hrefs, the
drawing and background-job URLs of the pages, ``links`` and relationship
links of JSON:API documents, plot permalinks and job results — and each
must answer 200 (202 for a plot started as a job) and be about the right
tag: the name read back from its URL appears in the answer.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from handmade import T0, beamspot_values, hours
from link_crawl import JSON_TYPES, crawl, json_strings, named
from web_apps import beamspot_plugins
from werkzeug.test import TestResponse

from inspector.conddb.timetypes import TimeType
from inspector.conddb.writer import ConditionsWriter
from inspector.config import Config, DatabaseConfig, WatchConfig, WatchedTag
from inspector.jobs import JobSettings
from inspector.payload import SchemaRegistry, encode
from inspector.web.app import create_app
from inspector.web.state import state
from inspector.web.watch import WATCH_CLOCK

NAMES: Final = (
    "JetCorr/AK4PF/v1",
    "BeamSpot <b>&amp; co",
    "what?#fragment",
    "100% +plus=1",
    "double//slash/",
)
GLOBAL_TAGS: Final = ("GT/2024 <v1> & co?#%+", "GT plain")
#: Links not followed: PNG pictures need Chromium, static files are the same for every
#: tag, and the plots of drawers beyond one of each kind add nothing but time.
SKIPPED: Final = re.compile(
    r"^/static/|/export\.png$"
    r"|^(/api/v1/plots|/plot)/(?!beamspot\.(position_x|parameters|compare)(/|$))"
)
MAX_URLS: Final = 3000


def _build(path: Path) -> None:
    writer = ConditionsWriter.create_sqlite(path)
    schema = SchemaRegistry.builtin().get("BeamSpotObjects", 2)
    with writer.engine.begin() as conn:
        for i, name in enumerate(NAMES):
            # Payloads of its own: each tag's first history is heavy (a background job).
            payloads = [
                writer.add_payload(
                    conn,
                    "BeamSpotObjects",
                    encode(schema, beamspot_values(x + i / 100)),
                    version="2",
                    insertion_time=T0,
                )
                for x in (0.1, 0.2)
            ]
            writer.add_tag(
                conn,
                name,
                time_type=TimeType.RUN,
                object_type="BeamSpotObjects",
                description=f"tag {i}",
                insertion_time=T0,
            )
            writer.add_iovs(
                conn,
                name,
                [(100, payloads[0], hours(1)), (200, payloads[1], hours(2))],
            )
        writer.add_global_tag(
            conn,
            GLOBAL_TAGS[0],
            [("BeamSpotObjectsRcd", "", NAMES[0]), ("BeamSpotObjectsRcd", "b&<", NAMES[1])],
            insertion_time=hours(3),
        )
        writer.add_global_tag(
            conn,
            GLOBAL_TAGS[1],
            [("BeamSpotObjectsRcd", "", NAMES[2]), ("BeamSpotObjectsRcd", "b&<", NAMES[1])],
            insertion_time=hours(4),
        )
        writer.add_runs(conn, [(100, hours(0), hours(1)), (200, hours(1.5), hours(3))])
        writer.add_run_fills(conn, [(100, 7), (200, 7)])
    writer.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = tmp_path_factory.mktemp("special") / "special.sqlite"
    _build(path)
    config = Config(
        {"special": DatabaseConfig("special", f"sqlite:///{path}")},
        "special",
        watch=WatchConfig((WatchedTag("special", NAMES[0], 48),)),
        jobs=JobSettings(heavy_mb=0),  # every history is a background job: job URLs too
    )
    flask_app = create_app(config, beamspot_plugins())
    flask_app.extensions[WATCH_CLOCK] = lambda: hours(10)
    yield flask_app
    web = state(flask_app)
    web.jobs.close(wait=True)
    web.close()


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- the checks ------------------------------------------------------------------------------


def _check_about(link: str, response: TestResponse) -> None:
    """The answer of ``link`` is about the names its URL carries."""
    body = response.get_data(as_text=True)
    names = named(link)
    if urlsplit(link).path.endswith(("/item.json", "/export.html", "/export.cmspi")):
        # Bokeh documents hold the name in escaped JSON (their page shows it); the CMS
        # Payload Inspector form has no place for it.
        return
    if response.mimetype in JSON_TYPES:
        strings = set(json_strings(json.loads(body)))
        # Named in the document, or in the links it carries (the diff of two
        # global tags names them only in its links).
        linked = set().union(*(named(s) for s in strings if s.startswith("/")))
        for name in names:
            assert name in linked or any(name in s for s in strings), (link, name)
        path = unquote(urlsplit(link).path)
        doc = json.loads(body)
        if path.startswith("/api/v1/tags/") and not path.endswith("/iovs"):
            assert doc["data"]["id"] in names
        if path.startswith("/api/v1/tags/") and path.endswith("/iovs"):
            assert doc["meta"]["tag"] in names
    elif response.mimetype == "text/html":
        for name in names:
            assert html.escape(name, quote=False) in body or html.escape(name) in body, (
                link,
                name,
            )


# -- the crawl ----------------------------------------------------------------------------------


def _check(link: str, response: TestResponse) -> None:
    assert response.status_code in (200, 202), (link, response.get_data(as_text=True)[:400])
    _check_about(link, response)


def _skip(link: str) -> bool:
    # A drawer resource's html link is the plot form before a tag is chosen (a 400).
    return bool(SKIPPED.search(urlsplit(link).path)) or (
        link.startswith("/plot/") and "?" not in link
    )


def _q(path: str, **args: str) -> str:
    return f"{path}?{urlencode(args)}"


@pytest.fixture(scope="module")
def crawled(client: FlaskClient) -> dict[str, int]:
    starts = [
        "/",
        "/globaltags",
        "/runs",
        "/runs/200",
        "/watch",
        _q("/", q="/"),
        _q("/diff/tags", a=NAMES[0], b=NAMES[1]),
        _q("/diff/tags", a=NAMES[2], b=NAMES[3], all="1"),
        _q("/diff/globaltags", a=GLOBAL_TAGS[0], b=GLOBAL_TAGS[1]),
        "/api/v1",
        _q("/api/v1/tags", **{"page[size]": "100"}),
        "/api/v1/globaltags",
        _q("/api/v1/diff/tags", a=NAMES[3], b=NAMES[4]),
        _q("/api/v1/diff/globaltags", a=GLOBAL_TAGS[0], b=GLOBAL_TAGS[1]),
        "/api/v1/runs",
        "/api/v1/watch",
    ]
    return crawl(client, starts, _check, skip=_skip, limit=MAX_URLS)


def _visited(crawled: dict[str, int], pattern: str) -> set[str]:
    """The names of the links visited whose path matches ``pattern``."""
    out: set[str] = set()
    for link in crawled:
        if re.search(pattern, urlsplit(link).path):
            out.update(named(link))
    return out


@pytest.mark.parametrize(
    "pattern",
    [
        r"^/tags/",  # tag pages (home, global tags, runs, watch, diffs link them)
        r"^/tags/.*/timeline\.json$",  # the timeline drawing of each tag page
        r"^/api/v1/tags/(?!.*/iovs$)",  # links.self of tag resources
        r"^/api/v1/tags/.*/iovs$",  # the iovs relationship
        r"^/plot/[^/]+$",  # plot pages linked from tag pages, and permalinks
        r"^/plot/[^/]+/item\.json$",  # their drawings
        r"^/plot/[^/]+/export\.(json|csv|html)$",  # exports
        r"^/api/v1/plots/",  # the plot resources
        r"^/api/v1/jobs/",  # background jobs of history plots, and their results
    ],
)
def test_every_tag_is_reached_through(crawled: dict[str, int], pattern: str) -> None:
    assert set(NAMES) <= _visited(crawled, pattern), pattern


def test_diffs_link_every_pair(crawled: dict[str, int]) -> None:
    assert {NAMES[0], NAMES[1], NAMES[2], NAMES[3]} <= _visited(crawled, r"^/diff/tags$")
    assert {NAMES[3], NAMES[4]} <= _visited(crawled, r"^/api/v1/diff/tags$")
    assert set(GLOBAL_TAGS) <= _visited(crawled, r"^/globaltags/")
    assert set(GLOBAL_TAGS) <= _visited(crawled, r"^/api/v1/globaltags/")
    assert set(GLOBAL_TAGS) <= _visited(crawled, r"^(/api/v1)?/diff/globaltags$")


def test_permalinks_pin_a_snapshot(crawled: dict[str, int]) -> None:
    pinned = [link for link in crawled if link.startswith("/plot/") and "snapshot=" in link]
    assert set(NAMES) <= set().union(*(named(link) for link in pinned))


def test_every_answer_was_a_success(crawled: dict[str, int]) -> None:
    assert len(crawled) > 100
    assert {status for status in crawled.values()} <= {200, 202}


@pytest.mark.parametrize("name", NAMES)
def test_slashes_may_be_percent_encoded_too(client: FlaskClient, name: str) -> None:
    encoded = quote(name, safe="")
    doc = client.get(f"/api/v1/tags/{encoded}").get_json()
    assert doc["data"]["id"] == name
    assert client.get(f"/api/v1/tags/{encoded}/iovs").get_json()["meta"]["tag"] == name
    page = client.get(f"/tags/{encoded}")
    assert page.status_code == 200 and html.escape(name) in page.get_data(as_text=True)
    assert client.get(f"/tags/{encoded}/timeline.json").status_code == 200


def test_a_missing_tag_with_a_slash_is_a_404_naming_it(client: FlaskClient) -> None:
    response = client.get("/api/v1/tags/JetCorr/AK4PF/v9")
    assert response.status_code == 404
    assert "'JetCorr/AK4PF/v9'" in response.get_json()["errors"][0]["detail"]
    assert client.get("/api/v1/tags/JetCorr/AK4PF/v9/iovs").status_code == 404
    assert client.get(f"/tags/{quote('what?#nothing')}").status_code == 404
