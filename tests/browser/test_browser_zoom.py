"""Zooming a long history in a real browser: the page fetches the range's values, not a document.

The app under test is the production app over a 20,000-IOV run-based tag
(:mod:`long_tags`): more than the 14,400 IOVs a 900-pixel drawing shows one by
one, so the page opens on the envelope.  The test zooms through Bokeh's own
API (as the wheel or box zoom would), waits for the refinement and checks
that the figure's sources now hold every IOV of the range, that the hover
names an IOV, and that the link the page then offers reopens at that range.
Screenshot: ``test-artifacts/screenshots/history-zoomed.png``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import pytest
from long_tags import LONG_TAG, build_long_tag
from playwright.sync_api import BrowserContext, Page, expect

from inspector.config import Config, DatabaseConfig
from tests.browser.conftest import Browsing, LiveServer, browsing_on

IOVS: Final = 20_000
PLOT: Final = f"/plot/beamspot.position_x?tag={LONG_TAG}"

Serve = Callable[[Config], contextlib.AbstractContextManager[LiveServer]]


@pytest.fixture(scope="module")
def long_server(tmp_path_factory: pytest.TempPathFactory, serve_app: Serve) -> Iterator[LiveServer]:
    """The app over one long tag only."""
    path = tmp_path_factory.mktemp("zoom") / "long.sqlite"
    build_long_tag(path, IOVS)
    with serve_app(Config({"long": DatabaseConfig("long", f"sqlite:///{path}")}, "long")) as s:
        yield s


@pytest.fixture
def browsing(browser_context: BrowserContext, long_server: LiveServer) -> Iterator[Browsing]:
    with browsing_on(browser_context, long_server) as tab:
        yield tab


def drawing(page: Page) -> dict[str, Any]:
    """What the figure holds now: rows of each source, the caption and the x range."""
    held: dict[str, Any] = page.evaluate(
        """() => {
            const doc = Bokeh.documents[0];
            const rows = name => doc.get_model_by_name(name).data.x.length;
            const range = doc.get_model_by_name("history_x");
            return {iovs: rows("history_iovs"), buckets: rows("history_buckets"),
                    steps: rows("history_steps_0"),
                    first_step: doc.get_model_by_name("history_steps_0").data.x[0],
                    caption: doc.get_model_by_name("history_caption").text,
                    start: range.start, end: range.end,
                    reset: [range.reset_start, range.reset_end]};
        }"""
    )
    return held


def zoom_to(page: Page, first: float, last: float) -> None:
    """Set the x range as a zoom tool would (fractions of the whole history)."""
    page.evaluate(
        """([first, last]) => {
            const range = Bokeh.documents[0].get_model_by_name("history_x");
            const [lo, hi] = [range.reset_start, range.reset_end];
            range.setv({start: lo + first * (hi - lo), end: lo + last * (hi - lo)});
        }""",
        [first, last],
    )


def wait_drawn(page: Page) -> None:
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    expect(page.locator("#plot .error-inline")).to_have_count(0)


def test_zoom_fetches_the_range_at_full_detail_and_the_link_reopens_it(
    browsing: Browsing, screenshot: Callable[[Page, str], Path]
) -> None:
    page = browsing.page
    browsing.open(PLOT)
    wait_drawn(page)
    whole = drawing(page)
    assert whole["buckets"] > 0 and whole["iovs"] == 0
    assert whole["caption"].startswith(f"{IOVS:,} IOVs shown as")
    items = [u for u in browsing.record.requests if "/item.json" in u]

    zoom_to(page, 0.40, 0.42)
    page.wait_for_selector("#plot[data-refined='1']")
    zoomed = drawing(page)
    assert 0 < zoomed["iovs"] < IOVS // 10 and zoomed["buckets"] == 0
    assert zoomed["steps"] == zoomed["iovs"] + 1  # every IOV drawn
    assert zoomed["caption"] == f"{zoomed['iovs']:,} IOVs, each drawn"
    assert [u for u in browsing.record.requests if "/item.json" in u] == items  # no new document
    values = [u for u in browsing.record.requests if "/values.json" in u]
    assert len(values) == 1 and "zoom=" in values[0]
    print(f"refinement drawn {page.locator('#plot').get_attribute('data-refine-ms')} ms after zoom")

    # The hover names the IOV under the pointer.
    box = page.locator("#plot canvas").first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=5)
    labels = page.locator(".bk-Tooltip .bk-tooltip-row-label")
    expect(labels.first).to_be_visible()
    assert "since:" in [t.strip() for t in labels.all_inner_texts()]
    screenshot(page, "history-zoomed")

    zoom = parse_qs(urlsplit(page.url).query)["zoom"][0]
    start, end = (float(v) for v in zoom.split(","))
    assert start == pytest.approx(zoomed["start"], abs=1) and end == pytest.approx(
        zoomed["end"], abs=1
    )
    permalink = page.locator("#permalink").input_value()
    assert f"zoom={zoom}" in permalink and "snapshot=" in permalink
    browsing.record.assert_clean()

    page.goto(permalink)
    wait_drawn(page)
    reopened = drawing(page)
    assert (reopened["start"], reopened["end"]) == (start, end)
    assert reopened["iovs"] == zoomed["iovs"] and reopened["first_step"] == zoomed["first_step"]
    assert reopened["reset"] == whole["reset"]  # reset still goes back to the whole history
    assert page.locator("#plot").get_attribute("data-refined") is None
    browsing.record.assert_clean()


def test_reset_goes_back_to_the_envelope_and_drops_zoom(browsing: Browsing) -> None:
    page = browsing.page
    browsing.open(PLOT + "&zoom=5000,5300")
    wait_drawn(page)
    assert drawing(page)["iovs"] > 0
    page.evaluate(
        """() => {
            const range = Bokeh.documents[0].get_model_by_name("history_x");
            range.setv({start: range.reset_start, end: range.reset_end});
        }"""
    )
    page.wait_for_selector("#plot[data-refined='1']")
    back = drawing(page)
    assert back["iovs"] == 0 and back["buckets"] > 0
    assert "zoom" not in parse_qs(urlsplit(page.url).query)
    browsing.record.assert_clean()


def test_a_refused_refinement_keeps_the_drawing_and_says_why(browsing: Browsing) -> None:
    page = browsing.page
    page.route(
        "**/values.json?*",
        lambda route: route.fulfill(
            status=503,
            content_type="application/vnd.api+json",
            body='{"errors": [{"status": "503", "title": "Server busy", "detail": "try again"}]}',
        ),
    )
    browsing.open(PLOT)
    wait_drawn(page)
    before = drawing(page)
    zoom_to(page, 0.2, 0.21)
    note = page.locator(".refine-error")
    expect(note).to_have_text("The zoomed range could not be drawn: Error: Server busy: try again")
    after = drawing(page)
    assert (after["iovs"], after["buckets"], after["caption"]) == (
        before["iovs"],
        before["buckets"],
        before["caption"],
    )
    assert "zoom" not in parse_qs(urlsplit(page.url).query)  # the link still says what is shown
    assert browsing.record.page_errors == []
