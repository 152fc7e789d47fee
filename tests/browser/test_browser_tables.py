"""Summary tables and ratio histograms in a real browser: numbers that read like physics.

The prompt vs re-reco alignment comparison is read as a table of per-partition
means and RMS: three significant digits, right-aligned, one symbol per
coordinate, the endcaps split by side, a chart of mean ± RMS with it, and no
empty block under the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import Browsing

PROMPT: Final = "TrackerAlignment_prompt_v1"
RERECO: Final = "TrackerAlignment_rereco_v1"
NOISE: Final = "SiStripNoise_prompt_v1"
Screenshot = Callable[[Page, str], Path]
#: At most three significant digits: 2.04, -0.00123, 25.5, 1,184 (integers as they are).
SIGNIFICANT: Final = re.compile(r"^-?(\d{1,3}(,\d{3})*|0\.0*\d{1,3}|\d\.\d{1,2}|\d\d\.\d)$")


def wait_drawn(page: Page) -> None:
    page.wait_for_selector("#plot[data-drawn=true]")
    expect(page.locator("#plot .error-inline")).to_have_count(0)


def test_alignment_summary_is_a_readable_table_with_its_chart(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(f"/plot/alignment.delta_summary?tag={PROMPT}&tag2={RERECO}")
    wait_drawn(page)
    headers = page.locator("#plot .slick-header-column").all_inner_texts()
    assert "mean Δφ [µrad]" in headers and "rms Δx [µm]" in headers
    assert not any("phi" in h for h in headers)
    rows = [r.split("\n") for r in page.locator("#plot .slick-row").all_inner_texts()]
    partitions = [r[0].strip() for r in rows]
    assert partitions == ["BPix", "FPix-", "FPix+", "TIB", "TID-", "TID+", "TOB", "TEC-", "TEC+"]
    numbers = [cell.strip() for r in rows for cell in r[1:] if cell.strip()]
    assert numbers and all(SIGNIFICANT.match(n) for n in numbers), numbers
    align = page.locator("#plot .slick-row .slick-cell.l2 div").first.evaluate(
        "el => getComputedStyle(el).textAlign"
    )
    assert align == "right"
    # One chart per coordinate under the table, each with its error bars.
    charts = page.evaluate(
        """() => Array.from(Bokeh.documents[Bokeh.documents.length - 1].all_models)
                   .filter(m => m.constructor.__name__ === "Whisker").length"""
    )
    assert charts == 4
    # No empty block: the box ends where its last drawing ends.
    box = page.locator("#plot").bounding_box()
    bottoms = [c.bounding_box() for c in page.locator("#plot canvas").all()]
    assert box is not None and bottoms and all(b is not None for b in bottoms)
    gap = box["y"] + box["height"] - max(b["y"] + b["height"] for b in bottoms if b)
    assert gap < 40, gap
    screenshot(page, "alignment-summary-table")
    browsing.record.assert_clean()


def test_ratio_histogram_spreads_the_ratios_over_many_bins(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(f"/tags/{NOISE}")
    sinces = [r.split("\t")[0] for r in page.locator("#iovs tbody tr").all_inner_texts()]
    browsing.open(f"/plot/strips.noise_ratio?tag={NOISE}&iov={sinces[0]}&iov2={sinces[-1]}")
    wait_drawn(page)
    filled = page.evaluate(
        """() => {
            const doc = Bokeh.documents[Bokeh.documents.length - 1];
            const models = Array.from(doc.all_models);
            const source = models.find(m => m.data && m.data.top && m.data.left);
            return Array.from(source.data.top).filter(t => t > 0).length;
        }"""
    )
    assert filled >= 20, filled  # a fixed 0.5-1.5 left about 4 bins filled
    screenshot(page, "noise-ratio-histogram")
    browsing.record.assert_clean()


def test_a_short_table_leaves_no_empty_block_under_it(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    """The beam spot comparison: eight rows and the chart of their pulls, then the box ends."""
    page = browsing.page
    browsing.open(
        "/plot/beamspot.compare?tag=BeamSpotObjects_PCL_byLumi_v1"
        "&tag2=BeamSpotObjects_Express_byRun_v1"
    )
    wait_drawn(page)
    box = page.locator("#plot").bounding_box()
    parts = [page.locator("#plot .slick-row").last, *page.locator("#plot canvas").all()]
    bottoms = [b["y"] + b["height"] for b in (p.bounding_box() for p in parts) if b]
    assert box is not None and bottoms
    assert box["y"] + box["height"] - max(bottoms) < 40
    screenshot(page, "beamspot-compare-table")
    browsing.record.assert_clean()
