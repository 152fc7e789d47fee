"""PNG and CSV for slides, in a real browser: what the plot page offers and what it downloads.

An expert puts a plot on a slide: the PNG link (where the server can draw
one) or the plot's own toolbar save, and the CSV beside it.  Each download
must be named after what it holds (drawer, tag, IOV range, snapshot), the
picture must say the same under its title, the CSV must carry runs,
lumisections, fills and times, and nothing may ask for a file name.  A
server without a browser for PNGs must not offer the PNG link (it would
replace the page with a 503) and must say how to enable it.

Screenshots: ``exports-png-on.png`` and ``exports-png-off.png`` (the plot
page), ``exports-png-download.png`` (the downloaded PNG) and
``exports-toolbar-save.png`` (the picture the toolbar saved).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Dialog, Download, Page, expect
from pngcheck import assert_real_png, png_size

from inspector.config import Config, DatabaseConfig
from inspector.render.png import DEFAULT_SIZE
from inspector.render.png_settings import PngSettings
from tests.browser.conftest import SCREENSHOTS, Browsing, LiveServer, browsing_on

TAG: Final = "BeamSpotObjects_PCL_byLumi_v1"
PINNED: Final = "2025-01-01T00:00:00Z"
PLOT: Final = f"/plot/beamspot.position_x?tag={TAG}&snapshot={PINNED}"
#: drawer, tag, the Lumi range of the first and last IOV (run.lumisection), snapshot
STEM: Final = re.compile(rf"beamspot\.position_x_{TAG}_\d+\.\d+-\d+\.\d+_snapshot-20250101T000000Z")

Serve = Callable[[Config], contextlib.AbstractContextManager[LiveServer]]
Screenshot = Callable[[Page, str], Path]


def open_plot(tab: Browsing) -> Page:
    """The pinned beam-spot history, drawn."""
    tab.open(PLOT)
    tab.page.wait_for_selector("#plot[data-drawn=true] canvas")
    return tab.page


def download(page: Page, click: Callable[[], None]) -> tuple[Download, bytes, float]:
    """What a click downloads, its bytes and the seconds from the click to the saved file."""
    start = time.perf_counter()
    with page.expect_download() as caught:
        click()
    got = caught.value
    path = got.path()
    elapsed = time.perf_counter() - start
    return got, Path(path).read_bytes(), elapsed


def save_tool(page: Page) -> None:
    """Click the save button of the plot's Bokeh toolbar."""
    page.locator("#plot .bk-tool-icon-save").click()


def test_png_and_csv_for_slides_each_one_click_named_after_the_view(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = open_plot(browsing)
    screenshot(page, "exports-png-on")
    expect(page.locator("#png-unavailable")).to_have_count(0)
    png_link = page.get_by_role("link", name="PNG", exact=True)
    expect(png_link).to_be_visible()

    picture, data, png_seconds = download(page, png_link.click)
    assert STEM.fullmatch(picture.suggested_filename.removesuffix(".png")), (
        picture.suggested_filename
    )
    assert picture.suggested_filename.endswith(".png")
    assert_real_png(data, *DEFAULT_SIZE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "exports-png-download.png").write_bytes(data)

    table, text, csv_seconds = download(page, page.get_by_role("link", name="CSV").click)
    stem = picture.suggested_filename.removesuffix(".png")
    assert table.suggested_filename == f"{stem}.csv"  # one view, one name
    body = [line for line in text.decode("utf-8").splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert list(rows[0])[:6] == ["since", "until", "run", "lumi", "fill", "time"]
    first = rows[0]
    assert int(first["since"]) == int(first["run"]) << 32 | int(first["lumi"])
    assert first["fill"].isdigit(), first  # the demo's runs lie in LHC fills
    assert first["time"].endswith("Z")
    print(f"PNG downloaded in {png_seconds:.2f} s, CSV in {csv_seconds:.2f} s")
    browsing.record.assert_clean()


def test_the_toolbar_save_downloads_a_named_picture_without_a_prompt(
    browsing: Browsing,
) -> None:
    page = open_plot(browsing)
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", refuse)
    picture, data, seconds = download(page, lambda: save_tool(page))
    assert dialogs == [], f"the save button asked: {dialogs}"
    assert STEM.fullmatch(picture.suggested_filename.removesuffix(".png")), (
        picture.suggested_filename
    )
    assert picture.suggested_filename.endswith(".png")
    assert_real_png(data, *png_size(data))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "exports-toolbar-save.png").write_bytes(data)
    # The picture says what the page says: the subtitle is in the figure itself.
    subtitle = page.evaluate("() => Bokeh.documents[0].get_model_by_name('view_subtitle').text")
    assert subtitle.startswith(f"{TAG} · IOVs ") and subtitle.endswith(f"snapshot {PINNED}")
    print(f"toolbar save downloaded in {seconds:.2f} s")
    browsing.record.assert_clean()


@pytest.fixture(scope="module")
def no_png_server(demo_path: Path, serve_app: Serve) -> Iterator[LiveServer]:
    """The demo database served where PNG export cannot work (no browser at the path)."""
    config = Config(
        {"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")},
        "demo",
        png=PngSettings(browser="/nonexistent/chromium"),
    )
    with serve_app(config) as server:
        yield server


def test_without_png_the_page_offers_no_png_link_and_says_how_to_enable_it(
    browser_context: BrowserContext, no_png_server: LiveServer, screenshot: Screenshot
) -> None:
    with browsing_on(browser_context, no_png_server) as tab:
        page = open_plot(tab)
        screenshot(page, "exports-png-off")
        expect(page.get_by_role("link", name="PNG", exact=True)).to_have_count(0)
        expect(page.locator(".exports a[href*='export.png']")).to_have_count(0)
        note = page.locator("#png-unavailable")
        expect(note).to_be_visible()
        expect(note).to_contain_text("not available on this server")
        expect(note).to_contain_text("chromium")
        expect(note).to_contain_text("docs/web.md")
        expect(note).not_to_contain_text("/nonexistent")  # never a server path
        # What the note promises holds: the toolbar still saves a named picture.
        picture, data, _ = download(page, lambda: save_tool(page))
        assert STEM.fullmatch(picture.suggested_filename.removesuffix(".png"))
        assert_real_png(data, *png_size(data))
        # and the CSV link is still there
        expect(page.get_by_role("link", name="CSV")).to_be_visible()
        tab.record.assert_clean()


def test_after_a_zoom_the_picture_and_its_name_say_the_iovs_in_view(browsing: Browsing) -> None:
    page = open_plot(browsing)
    whole, _, _ = download(page, lambda: save_tool(page))
    page.evaluate(
        """() => {
            const range = Bokeh.documents[0].get_model_by_name("history_x");
            const [lo, hi] = [range.reset_start, range.reset_end];
            range.setv({start: lo, end: lo + 0.25 * (hi - lo)});
        }"""
    )
    page.wait_for_selector("#plot[data-refined='1']")
    zoomed, data, _ = download(page, lambda: save_tool(page))
    assert STEM.fullmatch(zoomed.suggested_filename.removesuffix(".png"))
    assert zoomed.suggested_filename != whole.suggested_filename
    first, last = _range_of(zoomed.suggested_filename)
    all_first, all_last = _range_of(whole.suggested_filename)
    assert all_first <= first <= last <= all_last and (first, last) != (all_first, all_last)
    subtitle = page.evaluate("() => Bokeh.documents[0].get_model_by_name('view_subtitle').text")
    assert f"IOVs {first[0]}:{first[1]} – {last[0]}:{last[1]}" in subtitle
    assert_real_png(data, *png_size(data))
    # The PNG link now asks for the zoomed view, and is named like the picture.
    png_link = page.get_by_role("link", name="PNG", exact=True)
    assert "zoom=" in (png_link.get_attribute("href") or "")
    browsing.record.assert_clean()


def _range_of(name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """The (run, lumisection) of the first and last IOV a file name states."""
    found = re.search(r"_(\d+)\.(\d+)-(\d+)\.(\d+)_snapshot", name)
    assert found is not None, name
    run0, ls0, run1, ls1 = (int(g) for g in found.groups())
    return (run0, ls0), (run1, ls1)
