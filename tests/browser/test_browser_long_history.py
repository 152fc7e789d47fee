"""The demo's long beam-spot tag in a real browser: its planted outlier is never lost.

The app serves a demo database whose long lumi tag has 20,000 IOVs (more
than a 900-pixel drawing shows one by one: the page opens on the envelope)
and the planted single-IOV outliers of :data:`LONG_OUTLIERS`.  At full span
the drawn line must reach the first outlier's value inside the figure's y
range; zoomed onto it (through Bokeh's API, as a zoom tool does), the IOV
under the pointer must be the outlier, named in the hover with its value.
No console error on the way.  Screenshots: ``long-history-full.png``,
``long-history-outlier.png`` in ``test-artifacts/screenshots``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from inspector.config import Config, DatabaseConfig
from inspector.demo import build_demo_database
from inspector.demo.long_history import LONG_OUTLIERS, LONG_TAG, long_history_tag
from tests.browser.conftest import Browsing, LiveServer, browsing_on

SEED: Final = 3
IOVS: Final = 20_000
PLOT: Final = f"/plot/beamspot.position_x?tag={LONG_TAG}"

Serve = Callable[[Config], contextlib.AbstractContextManager[LiveServer]]


@pytest.fixture(scope="module")
def outlier_since() -> int:
    """The since of the first planted outlier (an x shift), from the demo's own tag."""
    tag = long_history_tag(SEED, IOVS)
    first_odd = tag.payload_count - len(LONG_OUTLIERS)
    assert LONG_OUTLIERS[0].member == "x"
    return int(tag.iovs.since[int(np.flatnonzero(tag.iovs.payload >= first_odd)[0])])


@pytest.fixture(scope="module")
def demo_long_server(
    tmp_path_factory: pytest.TempPathFactory, serve_app: Serve
) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("long-demo") / "demo.sqlite"
    build_demo_database(path, seed=SEED, scale=0.02, long_history_iovs=IOVS)
    with serve_app(Config({"demo": DatabaseConfig("demo", f"sqlite:///{path}")}, "demo")) as s:
        yield s


@pytest.fixture
def browsing(browser_context: BrowserContext, demo_long_server: LiveServer) -> Iterator[Browsing]:
    with browsing_on(browser_context, demo_long_server) as tab:
        yield tab


def _x(since: int) -> float:
    """Where a lumi since sits on the drawing's x axis (run + lumisection / 10,000)."""
    return (since >> 32) + min(since & 0xFFFFFFFF, 9999) / 10_000


def _figure(page: Page) -> dict[str, Any]:
    """The drawn line's values, the hover rows and the ranges, as BokehJS holds them now."""
    held: dict[str, Any] = page.evaluate(
        """() => {
            const doc = Bokeh.documents[0];
            const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
            const steps = doc.get_model_by_name("history_steps_0").data;
            return {y: Array.from(steps.y), x: Array.from(steps.x),
                    iovs: doc.get_model_by_name("history_iovs").data.x.length,
                    buckets: doc.get_model_by_name("history_buckets").data.x.length,
                    y_range: [view.frame.y_range.start, view.frame.y_range.end]};
        }"""
    )
    return held


def _wait_drawn(page: Page) -> None:
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    expect(page.locator("#plot .error-inline")).to_have_count(0)


def test_the_outlier_is_drawn_at_full_span_and_named_under_the_pointer_once_zoomed(
    browsing: Browsing, outlier_since: int, screenshot: Callable[[Page, str], Path]
) -> None:
    page = browsing.page
    x = _x(outlier_since)
    browsing.open(PLOT)
    _wait_drawn(page)
    whole = _figure(page)
    assert whole["buckets"] > 0 and whole["iovs"] == 0  # the envelope
    # The outlier stands out of every other IOV: the line's extreme, inside the y range.
    steps_x, steps_y = np.array(whole["x"]), np.array(whole["y"], dtype=float)
    top = int(np.nanargmax(steps_y))
    value = float(steps_y[top])
    assert abs(steps_x[top] - x) < 1.0, (steps_x[top], x)  # the peak is at the outlier's run
    low, high = whole["y_range"]
    assert low <= value <= high
    screenshot(page, "long-history-full")

    zoom = """([lo, hi]) => {
        Bokeh.documents[0].get_model_by_name("history_x").setv({start: lo, end: hi});
    }"""
    page.evaluate(zoom, [x - 0.02, x + 0.02])
    page.wait_for_selector("#plot[data-refined='1']")
    zoomed = _figure(page)
    assert zoomed["iovs"] > 0 and zoomed["buckets"] == 0  # every IOV of the range drawn
    assert value in zoomed["y"]

    point = page.evaluate(
        """(x) => {
            const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
            const box = view.canvas_view.el.getBoundingClientRect();
            return {px: box.left + view.frame.x_scale.compute(x),
                    py: box.top + view.frame.bbox.vcenter};
        }""",
        x + 0.00005,  # inside the outlier's lumisection, not on its left edge
    )
    page.mouse.move(point["px"], point["py"], steps=5)
    values = page.locator(".bk-tooltip-row-value")
    expect(values.first).to_be_visible()
    text = " | ".join(v.strip() for v in values.all_inner_texts())
    run, lumi = outlier_since >> 32, outlier_since & 0xFFFFFFFF
    assert f"{run}" in text and f"{lumi}" in text, text
    assert f"{value * 1e4:.1f} ± " in text and " µm" in text, (value, text)  # cm read in µm
    screenshot(page, "long-history-outlier")
    browsing.record.assert_clean()
