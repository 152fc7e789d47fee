"""Nothing lost: serving a conditions database never changes it.

The server opens SQLite files with ``mode=ro``.  This test shows what that
promise means in practice: every GET route of the app — pages, the API,
Bokeh documents, exports in every format, for every drawer and every tag of
a copy of the demo database — is asked, and afterwards the file has the same
bytes (sha256) and the same modification time, and no journal or WAL file
appeared beside it.  Then writes are attempted through the very connection
pool the app reads with, and SQLite refuses each one.

The route list comes from the app's URL map: a GET route added later and
not exercised here fails the coverage check, so the promise keeps covering
the whole app.  Plots are drawn for one drawer of each kind (and a detector
map) in every format; ``make stress`` (``INSPECTOR_STRESS=1``) draws every
installed drawer — read-only is a property of the connection, not of a
drawer, so the short list loses nothing but time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from inspector.conddb import Tag, format_since
from inspector.config import Config, DatabaseConfig
from inspector.jobs import job_id
from inspector.request import PlotRequest
from inspector.web.app import create_app
from inspector.web.assets import BOKEH_FILES, bokeh_scripts
from inspector.web.state import WebState, state

#: Drawers plotted in every format in `make test`: each kind, a histogram, a map.
DRAWERS: Final = (
    "beamspot.parameters",
    "beamspot.compare",
    "beamspot.position_x",
    "pixels.gain_distribution",
    "maps.pixel_barrel",
)
EVERY_DRAWER: Final = os.environ.get("INSPECTOR_STRESS") == "1"

#: Plot formats of the pages (``export.<fmt>``) besides the page and its Bokeh item.
EXPORTS: Final = ("json", "csv", "html")

#: Statements a compromised or buggy code path might try; each must be refused.
WRITES: Final = (
    "CREATE TABLE stolen (a)",
    "UPDATE tag SET description = 'changed'",
    "DELETE FROM iov",
    "INSERT INTO run_info (run_number, start_time, end_time) "
    "VALUES (1, '2024-01-01', '2024-01-02')",
    "DROP TABLE payload",
    "PRAGMA user_version = 7",
)


@dataclass(frozen=True)
class FileState:
    """What must not change: the bytes, the modification time, the folder's contents."""

    sha256: str
    mtime_ns: int
    size: int
    folder: frozenset[str]

    @classmethod
    def of(cls, path: Path) -> FileState:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        st = path.stat()
        return cls(
            digest.hexdigest(),
            st.st_mtime_ns,
            st.st_size,
            frozenset(p.name for p in path.parent.iterdir()),
        )


@pytest.fixture(scope="module")
def copy(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo database, alone in its folder."""
    path = tmp_path_factory.mktemp("read-only") / "conditions.sqlite"
    shutil.copyfile(demo_path, path)
    return path


@pytest.fixture(scope="module")
def app(copy: Path) -> Iterator[Flask]:
    flask_app = create_app(Config({"demo": DatabaseConfig("demo", f"sqlite:///{copy}")}, "demo"))
    yield flask_app
    state(flask_app).close()


def _query(**args: str) -> str:
    return urlencode(args, safe=":*")


def _every_url(web: WebState) -> list[str]:
    """A URL for every route, with every tag, drawer, global tag and export format."""
    db = web.engine.database("demo")
    tags = db.search_tags(page_size=1000).items
    urls = [
        "/",
        "/?q=strip&time_type=Run",
        "/globaltags",
        "/favicon.ico",
        "/static/inspector.css",
        "/static/inspector.js",
        "/static/favicon.svg",
        *bokeh_scripts(),
        *(web.geometry_url(name) for name in web.tools.geometry.names()),
        "/api/v1",
        "/api/v1/openapi.json",
        "/api/v1/tags?sort=-insertion_time",
        "/api/v1/drawers",
        "/api/v1/globaltags",
        "/api/v1/runs",
    ]
    assert len(bokeh_scripts()) == len(BOKEH_FILES)
    for tag in tags:
        name = quote(tag.name, safe="")
        iovs = web.engine.iovs("demo", tag.name)
        urls += [
            f"/tags/{name}",
            f"/tags/{name}/timeline.json",
            f"/api/v1/tags/{name}",
            f"/api/v1/tags/{name}/iovs",
            f"/api/v1/payloads/{iovs.payload_hash[-1]}",
            f"/payloads/{iovs.payload_hash[-1]}",
        ]
    for gt in db.global_tags(page_size=1000).items:
        urls += [f"/globaltags/{quote(gt.name, safe='')}", f"/api/v1/globaltags/{gt.name}"]
    gts = [g.name for g in db.global_tags(page_size=2).items]
    gt_pair, tag_pair = _query(a=gts[0], b=gts[-1]), _query(a=tags[0].name, b=tags[0].name)
    urls += [f"/diff/globaltags?{gt_pair}", f"/api/v1/diff/globaltags?{gt_pair}"]
    urls += [f"/diff/tags?{tag_pair}&all=1", f"/api/v1/diff/tags?{tag_pair}"]
    for run in db.runs(page_size=3).items:
        n = run.run_number
        urls += [f"/runs/{n}", f"/api/v1/runs/{n}", f"/runs?fill={run.fill_number}"]
        urls += [
            f"/api/v1/runs/{n}/readiness?globaltag={gt.name}" for gt in db.recent_global_tags()
        ]
    for drawer in web.plugins.drawers:
        urls += [f"/api/v1/drawers/{drawer.name}", f"/drawers/{drawer.name}"]
        if not EVERY_DRAWER and drawer.name not in DRAWERS:
            continue
        tag = next(t for t in tags if drawer.applies_to(t.object_type))
        iovs = web.engine.iovs("demo", tag.name)
        args = {"tag": tag.name}
        if drawer.kind == "compare":
            args["iov"] = format_since(int(iovs.since[0]), tag.time_type)
            args["iov2"] = format_since(int(iovs.since[-1]), tag.time_type)
        q = _query(**args)
        urls += [
            f"/api/v1/plots/{drawer.name}?{q}",
            f"/plot/{drawer.name}?{q}",
            f"/plot/{drawer.name}/item.json?{q}",
            f"/plot/{drawer.name}/check.json?{q}",
            *([f"/plot/{drawer.name}/values.json?{q}"] if drawer.kind == "history" else []),
            *(f"/plot/{drawer.name}/export.{fmt}?{q}" for fmt in EXPORTS),
        ]
    return urls + _png_and_job_urls(tags)


def _png_and_job_urls(tags: list[Tag]) -> list[str]:
    """A PNG export, and a job URL (answered by rejoining the pinned request it carries)."""
    tag = next(t for t in tags if t.object_type == "BeamSpotObjects")
    when = dt.datetime(2025, 1, 1)
    pinned = PlotRequest("beamspot.position_x", tag.name, db="demo", snapshot=when)
    data = pinned.query_string(view=False)
    return [
        f"/plot/{pinned.drawer}/export.png?{data}&width=300&height=200",
        f"/api/v1/jobs/{job_id(pinned.cache_key)}?drawer={pinned.drawer}&{data}",
    ]


def _routes_not_covered(app: Flask, urls: list[str]) -> set[str]:
    """GET routes of the URL map that none of ``urls`` reaches."""
    adapter = app.url_map.bind("localhost")
    reached = {adapter.match(url.split("?", 1)[0], method="GET")[0] for url in urls}
    every = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    return every - reached


def test_serving_every_route_leaves_the_database_untouched(app: Flask, copy: Path) -> None:
    """Same bytes, same mtime, no journal or WAL file, after every page, API answer and export."""
    before = FileState.of(copy)
    web = state(app)
    urls = _every_url(web)
    uncovered = _routes_not_covered(app, urls)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in uncovered and not rule.arguments:
            urls.append(rule.rule)  # a fixed route added later: ask it as it is
    uncovered = _routes_not_covered(app, urls)
    assert not uncovered, f"routes this test does not exercise yet: {sorted(uncovered)}"
    client = app.test_client()
    for url in urls:
        response = client.get(url, buffered=True)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    assert FileState.of(copy) == before


@pytest.mark.parametrize("statement", WRITES)
def test_writes_through_the_apps_own_connections_are_refused(
    app: Flask, copy: Path, statement: str
) -> None:
    """The pool the app reads with cannot write: SQLite opened the file read-only."""
    before = FileState.of(copy)
    engine = state(app).engine.database("demo").engine
    with engine.connect() as conn, pytest.raises(OperationalError) as info:
        conn.exec_driver_sql(statement)
        conn.commit()
    assert "attempt to write a readonly database" in str(info.value)
    assert FileState.of(copy) == before
    assert app.test_client().get("/api/v1/tags").status_code == 200  # and still serves
