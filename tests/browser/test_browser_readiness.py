"""Readiness across runs in a real browser: "which runs are ready, which workflows are late".

The server runs the repository's own configuration (its ``[[watch]]`` and
``[watch_clock]``) over the session's demo database, as ``make run`` does.
The task starts where an expert starts, on the watch, and ends on the
runs that wait and the record they wait for, by clicking only; it is
timed and the time is printed (``-s`` shows it).  Screenshots land in
``test-artifacts/screenshots/``: ``readiness-express``,
``readiness-not-ready``, ``readiness-fill``, ``globaltags-newest-first``,
``run-waiting``.

The demo's express global tag is used for the not-ready runs: its beam
spot comes from the express tag whose newest upload never came, for every
seed and scale; the prompt tags of the small test demo happen to have an
IOV at its newest run (the rule for prompt and PCL tags is pinned by
``tests/unit/inspector/watch/test_readiness_sync.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from inspector.config import Config, DatabaseConfig, load_config
from inspector.watch import READINESS_RULE
from tests.browser.conftest import Browsing, LiveServer, browsing_on

REPO: Final = Path(__file__).resolve().parents[2]
EXPRESS: Final = "140X_dataRun3_Express_v1"
Serve = Callable[[Config], contextlib.AbstractContextManager[LiveServer]]


@pytest.fixture(scope="module")
def watch_server(demo_path: Path, serve_app: Serve) -> Iterator[LiveServer]:
    """The app with the repository's configuration (notes in memory) over the demo database."""
    config = load_config(REPO / "inspector.toml")
    demo = DatabaseConfig("demo", f"sqlite:///{demo_path}")
    with serve_app(dataclasses.replace(config, databases={"demo": demo}, annotations=None)) as s:
        yield s


@pytest.fixture
def tab(browser_context: BrowserContext, watch_server: LiveServer) -> Iterator[Browsing]:
    with browsing_on(browser_context, watch_server) as browsing:
        yield browsing


def _rows(page: Page) -> list[dict[str, str]]:
    """Each row of the readiness table: run, fill, start, ready and the state of each record."""
    rows: list[dict[str, str]] = page.evaluate(
        """() => Array.from(document.querySelectorAll('#readiness tr.readiness-row')).map(tr => ({
            run: tr.dataset.run, ready: tr.dataset.ready,
            fill: tr.cells[1].innerText.trim(), start: tr.cells[2].innerText.trim(),
            status: tr.cells[3].innerText.trim(),
            states: Array.from(tr.querySelectorAll('td.state'), td => td.dataset.state).join(','),
        }))"""
    )
    return rows


def test_from_the_watch_to_the_runs_that_wait_by_clicking(
    tab: Browsing, screenshot: Callable[[Page, str], Path]
) -> None:
    page = tab.page
    started = time.perf_counter()
    tab.open("/watch")
    expect(page.locator("#watch tbody tr")).to_have_count(3)
    page.locator("#readiness-link").click()
    expect(page.locator("h1")).to_have_text("Run readiness")
    expect(page.locator("#ready-filter")).to_have_value("no")  # "not ready only" is preselected
    page.locator("select[name=globaltag]").select_option(EXPRESS)
    page.locator("#readiness-form button[type=submit]").click()
    expect(page.locator("#readiness tr.readiness-row").first).to_be_visible()
    elapsed = time.perf_counter() - started
    print(f"\nwatch → runs not ready in {EXPRESS}: {elapsed:.2f} s")
    rows = _rows(page)
    assert rows and all(r["ready"] == "no" for r in rows)
    newest = rows[0]
    assert "waits for BeamSpotObjectsRcd" in newest["status"]
    header = page.locator("#readiness thead th.record").first
    expect(header).to_contain_text("BeamSpotObjectsRcd")
    expect(header).to_contain_text("express")
    assert newest["states"].split(",")[0] == "waiting"
    expect(page.locator("#readiness-rule")).to_contain_text(READINESS_RULE)
    expect(page.locator("#readiness-summary")).to_contain_text("1 not ready")
    screenshot(page, "readiness-not-ready")
    tab.record.assert_clean()


def test_every_run_then_one_fill_then_a_date_range(
    tab: Browsing, screenshot: Callable[[Page, str], Path]
) -> None:
    page = tab.page
    tab.open(f"/runs/readiness?globaltag={EXPRESS}")
    everything = _rows(page)
    assert {r["ready"] for r in everything} == {"yes", "no"}  # both kinds, newest run first
    assert [int(r["run"]) for r in everything] == sorted(
        (int(r["run"]) for r in everything), reverse=True
    )
    screenshot(page, "readiness-express")
    # A fill: click the fill of the oldest run listed.
    fill = everything[-1]["fill"]
    page.locator("#readiness tr.readiness-row").last.locator("td").nth(1).locator("a").click()
    expect(page.locator("input[name=fill]")).to_have_value(fill)
    in_fill = _rows(page)
    assert in_fill and {r["fill"] for r in in_fill} == {fill}
    expect(page.locator("select[name=globaltag]")).to_have_value(EXPRESS)
    screenshot(page, "readiness-fill")
    # A date range: from the start day of the second-oldest run to that of the second-newest.
    page.locator("input[name=fill]").fill("")
    first, last = everything[-2]["start"][:10], everything[1]["start"][:10]
    page.locator("input[name=from]").fill(first)
    page.locator("input[name=to]").fill(last)
    page.locator("#readiness-form button[type=submit]").click()
    expect(page.locator("input[name=from]")).to_have_value(first)
    dated = _rows(page)
    assert dated and all(first <= r["start"][:10] <= last for r in dated)
    assert len(dated) < len(everything)
    tab.record.assert_clean()


def test_global_tags_newest_first_with_their_dates(
    tab: Browsing, screenshot: Callable[[Page, str], Path]
) -> None:
    page = tab.page
    tab.open("/globaltags")
    expect(page.locator("p.count")).to_contain_text("newest first")
    inserted = [t.strip() for t in page.locator("table.list td.inserted").all_inner_texts()]
    dates = [dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t in inserted]
    assert len(dates) == 4 and dates == sorted(dates, reverse=True)
    snapshots = [t.strip() for t in page.locator("table.list td.snapshot").all_inner_texts()]
    assert snapshots.count("latest (sees every upload)") == 3
    assert not any("2999" in s for s in snapshots)
    screenshot(page, "globaltags-newest-first")
    tab.record.assert_clean()


def test_the_run_page_says_which_record_waits_and_why(
    tab: Browsing, screenshot: Callable[[Page, str], Path]
) -> None:
    page = tab.page
    tab.open(f"/runs/readiness?globaltag={EXPRESS}&ready=no")
    page.locator("#readiness tr.readiness-row").first.locator("td").first.locator("a").click()
    expect(page.locator("#readiness")).to_contain_text("Not ready: 1 record")
    expect(page.locator("#readiness")).to_contain_text("BeamSpotObjectsRcd")
    waiting = page.locator("#records tr[data-state=waiting]")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("waiting for its upload")
    expect(page.locator("#readiness-rule")).to_contain_text("snapshot latest (sees every upload)")
    option = page.locator("select[name=globaltag] option:checked")
    expect(option).to_contain_text(f"{EXPRESS} · 2024-04-02")
    screenshot(page, "run-waiting")
    tab.record.assert_clean()
