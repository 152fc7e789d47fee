"""The CSV download of a history: run, lumisection, fill and UTC time beside the raw since,
and file names that say the tag, the IOV range and the snapshot, for every time type.

Over the hand-built runs database (``tests/runs_handmade.py``), whose runs,
fills and IOVs are known, and its CMS-like twin without fill information.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from runs_handmade import build_runs_db

from inspector.conddb.timetypes import pack_lumi
from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.render.png_settings import PngSettings
from inspector.web.app import create_app
from inspector.web.state import state

PINNED = "2025-01-01T00:00:00Z"
EXPORT = "/plot/beamspot.position_x/export.{fmt}?db={db}&tag={tag}&snapshot=" + PINNED


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("run-context")
    build_runs_db(folder / "runs.sqlite")
    build_runs_db(folder / "cms.sqlite", fills=False)
    databases = {
        a: DatabaseConfig(a, f"sqlite:///{folder / f'{a}.sqlite'}") for a in ("runs", "cms")
    }
    flask_app = create_app(Config(databases, "runs"), load_plugins())
    yield flask_app
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def download(client: FlaskClient, tag: str, db: str = "runs") -> tuple[str, list[dict[str, str]]]:
    """The file name and the rows (as dicts) of a history's CSV export."""
    response = client.get(EXPORT.format(fmt="csv", db=db, tag=tag))
    assert response.status_code == 200, response.data[:300]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('"')
    text = response.get_data(as_text=True)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return disposition[len('attachment; filename="') : -1], list(csv.DictReader(io.StringIO(body)))


def test_a_run_tag_csv_has_run_fill_and_time(client: FlaskClient) -> None:
    name, rows = download(client, "Prompt_run")
    assert name == "beamspot.position_x_Prompt_run_1000-1005_snapshot-20250101T000000Z.csv"
    assert list(rows[0])[:5] == ["since", "until", "run", "fill", "time"]
    assert [(r["since"], r["run"], r["fill"]) for r in rows] == [
        ("1000", "1000", "7"),
        ("1001", "1001", "7"),
        ("1005", "1005", "8"),
    ]
    assert rows[0]["time"] == "2024-05-01T08:00:00.000000Z"  # run 1000 starts at h0


def test_a_lumi_tag_csv_decodes_run_and_lumisection(client: FlaskClient) -> None:
    name, rows = download(client, "Prompt_lumi")
    assert name == "beamspot.position_x_Prompt_lumi_1000.1-1005.0_snapshot-20250101T000000Z.csv"
    assert list(rows[0])[:6] == ["since", "until", "run", "lumi", "fill", "time"]
    assert [(r["since"], r["run"], r["lumi"], r["fill"]) for r in rows] == [
        (str(pack_lumi(1000, 1)), "1000", "1", "7"),
        (str(pack_lumi(1005, 0)), "1005", "0", "8"),
    ]


def test_a_time_tag_csv_has_the_run_and_fill_going_on_and_the_utc_time(
    client: FlaskClient,
) -> None:
    name, rows = download(client, "Prompt_time")
    assert name == (
        "beamspot.position_x_Prompt_time_20240501T080000Z-20240501T183000Z"
        "_snapshot-20250101T000000Z.csv"
    )
    assert list(rows[0])[:5] == ["since", "until", "run", "fill", "time"]
    # h0 is the start of run 1000 (fill 7); h10.5 inside run 1005 (fill 8)
    assert [(r["run"], r["fill"], r["time"]) for r in rows] == [
        ("1000", "7", "2024-05-01T08:00:00.000000Z"),
        ("1005", "8", "2024-05-01T18:30:00.000000Z"),
    ]


def test_without_fill_information_the_fill_cells_are_empty(client: FlaskClient) -> None:
    _, rows = download(client, "Prompt_run", db="cms")
    assert [(r["run"], r["fill"]) for r in rows] == [("1000", ""), ("1001", ""), ("1005", "")]


def test_every_format_of_one_view_shares_its_name(client: FlaskClient) -> None:
    stem = "beamspot.position_x_Prompt_run_1000-1005_snapshot-20250101T000000Z"
    for fmt, extension in (("json", "json"), ("html", "html"), ("cmspi", "cmspi.json")):
        response = client.get(EXPORT.format(fmt=fmt, db="runs", tag="Prompt_run"))
        assert response.status_code == 200, fmt
        disposition = response.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="{stem}.{extension}"'
    # a cached export keeps its name (served from the rendered cache, not computed again)
    again = client.get(EXPORT.format(fmt="json", db="runs", tag="Prompt_run"))
    assert again.headers["Content-Disposition"] == f'attachment; filename="{stem}.json"'


def test_an_unpinned_single_iov_names_its_iov_and_no_snapshot(client: FlaskClient) -> None:
    response = client.get("/plot/beamspot.position_x/export.csv?db=runs&tag=Hash_tag")
    assert response.status_code == 200
    assert "beamspot.position_x_Hash_tag_12345.csv" in response.headers["Content-Disposition"]
    header = next(line for line in response.get_data(as_text=True).splitlines() if line[0] != "#")
    assert header.startswith("since,until,payload_hash")  # opaque since: no run context


def test_the_page_offers_the_csv_and_the_png_where_a_browser_is(
    client: FlaskClient, app: Flask
) -> None:
    """Both links come from the same check as the export itself."""
    page = client.get("/plot/beamspot.position_x?db=runs&tag=Prompt_run").get_data(as_text=True)
    assert "/plot/beamspot.position_x/export.csv?" in page
    usable = [fmt.name for fmt in state(app).tools.offered()[0]]
    assert ("/plot/beamspot.position_x/export.png?" in page) == ("png" in usable)
    assert ('id="png-unavailable"' in page) == ("png" not in usable)


def test_without_a_browser_the_page_says_how_to_enable_png(tmp_path: Path) -> None:
    build_runs_db(tmp_path / "runs.sqlite")
    config = Config(
        {"runs": DatabaseConfig("runs", f"sqlite:///{tmp_path / 'runs.sqlite'}")},
        "runs",
        png=PngSettings(browser=str(tmp_path / "no-chromium")),
    )
    flask_app = create_app(config, load_plugins())
    try:
        page = flask_app.test_client().get("/plot/beamspot.position_x?tag=Prompt_run")
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "/export.png?" not in text  # not offered: it would answer 503
        assert 'id="png-unavailable"' in text and "docs/web.md" in text
        assert "the browser it needs is not installed" in text
        assert str(tmp_path) not in text  # never a server path
        assert "/export.csv?" in text and "/export.html?" in text
        # The API's plot resource links only what can be made too.
        links = (
            flask_app.test_client()
            .get("/api/v1/plots/beamspot.position_x?tag=Prompt_run")
            .get_json()["data"]["links"]
        )
        assert {"json", "csv"} <= set(links) and "png" not in links
    finally:
        state(flask_app).close()


def test_the_api_links_the_png_where_a_browser_is(client: FlaskClient, app: Flask) -> None:
    links = client.get("/api/v1/plots/beamspot.position_x?db=runs&tag=Prompt_run").get_json()
    usable = [fmt.name for fmt in state(app).tools.offered()[0]]
    assert ("png" in links["data"]["links"]) == ("png" in usable)
