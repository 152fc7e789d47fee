"""The /runs, /runs/<number> and /watch pages and their error pages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from runs_handmade import build_runs_db, hours

from inspector.config import Config, DatabaseConfig, WatchConfig, WatchedTag
from inspector.plugin import load_plugins
from inspector.watch import READINESS_RULE
from inspector.web.app import create_app
from inspector.web.state import state
from inspector.web.watch import WATCH_CLOCK


def _app(config: Config) -> Flask:
    flask_app = create_app(config, load_plugins())
    flask_app.extensions[WATCH_CLOCK] = lambda: hours(60)
    return flask_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("runs-pages")
    build_runs_db(folder / "runs.sqlite")
    build_runs_db(folder / "cms.sqlite", fills=False)
    watch = WatchConfig(
        (WatchedTag("runs", "Prompt_run", 20, 40), WatchedTag("runs", "Empty_run", 12, 24))
    )
    databases = {
        a: DatabaseConfig(a, f"sqlite:///{folder / f'{a}.sqlite'}") for a in ("runs", "cms")
    }
    flask_app = _app(Config(databases, "runs", watch=watch))
    yield flask_app
    state(flask_app).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.data[:500])
    return html.unescape(response.get_data(as_text=True))


def rows(page: str, table: str) -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[ >].*?</tr>", body, flags=re.S)[1:]


def test_runs_page_lists_runs_with_fills_and_durations(client: FlaskClient) -> None:
    page = text(client, "/runs")
    assert "5 runs" in page
    listed = rows(page, "runs")
    assert len(listed) == 5
    assert 'href="/runs/1001"' in listed[1] and 'href="/runs?fill=7"' in listed[1]
    assert "1 h 30 min" in listed[1] and "2024-05-01 09:30:00" in listed[1]
    assert "—" in listed[3]  # run 1010 is in no fill


def test_runs_page_filters_and_pages(client: FlaskClient) -> None:
    assert len(rows(text(client, "/runs?fill=7"), "runs")) == 2
    dated = text(client, "/runs?from=2024-05-01T18:00:00Z&to=2024-05-02")
    assert "2 runs" in dated
    assert "1 run ·" in text(client, "/runs?first=1011")
    assert "no fill information" in text(client, "/runs?db=cms")


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/runs?first=abc", 400, "'first'"),
        ("/runs?first=9&last=3", 400, "'last'"),
        ("/runs?to=soon", 400, "'to'"),
        ("/runs?page=9", 404, "past the last page"),
        ("/runs/999", 404, "run 999"),
        ("/runs/1001?globaltag=Nope", 404, "global tag 'Nope'"),
    ],
)
def test_bad_page_requests_say_what_is_wrong(
    client: FlaskClient, url: str, status: int, words: str
) -> None:
    assert words in text(client, url, status)


def test_run_page_shows_the_fill_and_the_newest_global_tag(client: FlaskClient) -> None:
    page = text(client, "/runs/1001")
    assert "Fill 7" in page and 'href="/runs/1000"' in page and "<b>1001</b>" in page
    assert 'rel="prev" href="/runs/1000"' in page and 'rel="next" href="/runs/1005"' in page
    assert '<option value="GT_closed" selected>' in page  # the newest by insertion time
    assert "Ready: every record of GT_closed" in page
    listed = rows(page, "records")
    assert len(listed) == 1 and "Closed_run" in listed[0] and ">1000<" in listed[0]


def test_run_page_records_link_tags_and_single_iov_plots(client: FlaskClient) -> None:
    page = text(client, "/runs/1005?globaltag=GT_run")
    records = rows(page, "records")
    assert len(records) == 3
    lumi = next(r for r in records if "LumiRcd" in r)
    assert 'href="/tags/Prompt_lumi"' in lumi and ">1005:0<" in lumi
    assert "/plot/beamspot.parameters?db=runs&tag=Prompt_lumi&iov=1005:0" in lumi
    assert "2024-05-01 23:00:00" in lumi  # inserted at h15


def test_run_page_says_when_a_record_has_no_iov(client: FlaskClient) -> None:
    page = text(client, "/runs/1005?globaltag=GT_closed")
    assert "Not ready: 1 record of GT_closed without conditions for this run (RunRcd)" in page
    assert "no IOV valid for this run" in page


def test_run_page_without_fill_information(client: FlaskClient) -> None:
    page = text(client, "/runs/1001?db=cms")
    assert "no fill information" in page and "Fill 7" not in page


def test_watch_page_shows_statuses_with_colours(client: FlaskClient) -> None:
    page = text(client, "/watch")
    watched = rows(page, "watch")
    assert 'data-status="LATE"' in watched[0] and 'class="status late"' in watched[0]
    assert 'data-status="STALE"' in watched[1] and 'class="status stale"' in watched[1]
    assert "2 runs waiting; the oldest (run 1010) ended 1 d 5 h ago" in watched[0]
    assert "29.0 h" in watched[0] and 'href="/runs/1011"' in watched[0]
    assert "2024-05-03 20:00:00" in page  # "now", as pinned


def test_watch_page_explains_how_to_watch_when_nothing_is(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = tmp_path_factory.mktemp("empty") / "runs.sqlite"
    build_runs_db(path)
    flask_app = _app(Config({"runs": DatabaseConfig("runs", f"sqlite:///{path}")}, "runs"))
    try:
        page = text(flask_app.test_client(), "/watch")
    finally:
        state(flask_app).close()
    assert 'id="watch-empty"' in page and "[[watch]]" in page


def test_navigation_links_runs_and_watch(client: FlaskClient) -> None:
    page = text(client, "/")
    assert 'href="/runs"' in page and 'href="/watch"' in page


def test_readiness_page_states_the_rule_and_what_each_run_lacks(client: FlaskClient) -> None:
    page = text(client, "/runs/readiness?globaltag=GT_closed")
    assert READINESS_RULE in page
    listed = rows(page, "readiness")
    runs = [re.findall(r'data-run="(\d+)"', r) for r in listed]
    assert runs == [["1011"], ["1010"], ["1005"], ["1001"], ["1000"]]  # newest first
    assert 'data-ready="no"' in listed[0] and "no IOV of RunRcd" in listed[0]
    assert 'data-ready="yes"' in listed[-1]
    assert "5 runs against" in page and "2 ready" in page and "3 not ready" in page


def test_readiness_page_filters_and_its_errors(client: FlaskClient) -> None:
    not_ready = rows(text(client, "/runs/readiness?globaltag=GT_closed&ready=no"), "readiness")
    assert len(not_ready) == 3 and all('data-ready="no"' in r for r in not_ready)
    by_fill = rows(text(client, "/runs/readiness?globaltag=GT_closed&fill=7"), "readiness")
    assert len(by_fill) == 2
    every = text(client, "/runs/readiness?globaltag=GT_closed&fill=7&ready=no")
    assert "2 runs chosen, all ready in GT_closed." in every
    none = text(client, "/runs/readiness?globaltag=GT_closed&fill=8&ready=yes")
    assert "1 run chosen, none ready in GT_closed." in none
    empty = text(client, "/runs/readiness?globaltag=GT_closed&fill=99")
    assert "No run matches these filters." in empty
    bad = text(client, "/runs/readiness?ready=maybe", 400)
    assert "'ready'" in bad and "is not true or false" in bad
    assert "GT_nope" in text(client, "/runs/readiness?globaltag=GT_nope", 404)
    assert "past the last page" in text(client, "/runs/readiness?page=5", 404)


def test_runs_and_watch_pages_link_the_readiness_table(client: FlaskClient) -> None:
    assert 'href="/runs/readiness?fill=7"' in text(client, "/runs?fill=7")
    assert 'href="/runs/readiness?ready=no"' in text(client, "/watch")
