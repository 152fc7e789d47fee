"""Diffs in a real browser over the demo database: from a global tag to a compare plot.

A person opens a global tag, compares it with the next one, follows the
one record that changed to the diff of its two tags, and from a differing
row to the plot comparing the two payloads.  Screenshots land in
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import Browsing

PROMPT_V1: Final = "140X_dataRun3_Prompt_v1"
PROMPT_V2: Final = "140X_dataRun3_Prompt_v2"

Screenshot = Callable[[Page, str], Path]


def test_from_a_global_tag_to_the_compare_plot_of_a_changed_record(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(f"/globaltags/{PROMPT_V1}")
    page.fill("#compare-with input[name=b]", PROMPT_V2)
    page.click("#compare-with button")
    expect(page.locator("#summary")).to_contain_text("1 differ")
    rows = page.locator("#diff-rows tbody tr")
    expect(rows).to_have_count(1)
    screenshot(page, "diff_globaltags")

    rows.first.locator("a.tag-diff").click()
    expect(page.locator("h1")).to_have_text("Tag diff")
    expect(page.locator("#diff-count")).to_contain_text("Differing rows only")
    assert page.locator("#diff-rows tbody tr").count() >= 1
    screenshot(page, "diff_tags")

    page.locator("#diff-rows a.compare").first.click()
    expect(page.locator("#plot")).to_have_attribute("data-drawn", "true", timeout=30_000)
    expect(page.locator("#provenance")).to_contain_text("@")
    browsing.record.assert_clean()


def test_the_tag_page_form_opens_the_tag_diff(browsing: Browsing) -> None:
    page = browsing.page
    browsing.open("/tags/TrackerAlignment_prompt_v1")
    page.fill("#diff-with input[name=b]", "TrackerAlignment_rereco_v1")
    page.click("#diff-with button")
    expect(page.locator("#summary")).to_be_visible()
    page.click("text=show all rows")
    expect(page.locator("#diff-count")).to_contain_text("All rows")
    browsing.record.assert_clean()
