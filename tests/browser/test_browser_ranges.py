"""Ranges as people type them, and fills as ranges, in a real browser over the demo database.

A run typed on a Lumi tag draws that run; a range the server refuses is
said in the form while the plot drawn stays; Back (from Chromium's
back-forward cache, as people get it) and Forward find the form usable; a
click on a fill's band zooms to the fill, and the "One fill" chooser plots
one; the tooltip names the IOV's time and fill, and lengths in µm.

The server has the demo's golden JSON configured, so the form shows its
"Certified" select (the one Back used to leave disabled).
Screenshots: ``test-artifacts/screenshots/ranges-*.png``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from inspector.certification import Certifications, load_certification
from inspector.config import Config, DatabaseConfig
from inspector.demo.golden import golden_path
from tests.browser.conftest import Browsing, LiveServer, browsing_on
from tests.browser.test_browser_pages import definitions, hover_tooltip, query_of, wait_drawn

TAG: Final = "BeamSpotObjects_PCL_byLumi_v1"  # a Lumi tag
PLOT: Final = f"/plot/beamspot.position_x?tag={TAG}"

Screenshot = Callable[[Page, str], Path]
Serve = Callable[[Config], contextlib.AbstractContextManager[LiveServer]]


@pytest.fixture(scope="module")
def certified_server(demo_path: Path, serve_app: Serve) -> Iterator[LiveServer]:
    """The demo database with its golden JSON, so plot forms offer "Certified"."""
    golden = load_certification("golden_2024", golden_path(demo_path))
    config = Config(
        {"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")},
        "demo",
        certifications=Certifications({"golden_2024": golden}),
    )
    with serve_app(config) as server:
        yield server


@pytest.fixture
def browsing(browser_context: BrowserContext, certified_server: LiveServer) -> Iterator[Browsing]:
    with browsing_on(browser_context, certified_server) as tab:
        yield tab


def iov_range(page: Page) -> tuple[str, str]:
    """The first and last since the provenance names ("379058:1, 379814:402 (first and last)")."""
    text = definitions(page, "#provenance")["IOVs (since)"]
    match = re.fullmatch(r"(\S+), (\S+) \(first and last\)", text)
    assert match, text
    return match[1], match[2]


def submit(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Update plot").click()


def fill_bands(page: Page) -> list[tuple[float, float, str]]:
    """Each fill band drawn: (left, right, fill number)."""
    bands: list[list[object]] = page.evaluate(
        """() => {
            const d = Bokeh.documents[0].get_model_by_name("lhc_fills").data_source.data;
            return Array.from(d.x0).map((x, i) => [x, d.x1[i], d.label[i]]);
        }"""
    )
    return [(float(str(a)), float(str(b)), str(n)) for a, b, n in bands]


def click_at_x(page: Page, x: float) -> None:
    """Click the plot at x (data units), halfway up the frame, as a person would."""
    point: list[float] = page.evaluate(
        """x => {
            const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
            const box = view.canvas_view.el.getBoundingClientRect();
            return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.bbox.vcenter];
        }""",
        x,
    )
    page.mouse.click(point[0], point[1])


def x_range(page: Page) -> tuple[float, float]:
    start, end = page.evaluate(
        """() => { const r = Bokeh.documents[0].get_model_by_name("history_x");
                   return [r.start, r.end]; }"""
    )
    return float(start), float(end)


def test_a_run_number_on_a_lumi_tag_draws_that_run(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(PLOT)
    wait_drawn(page)
    run = iov_range(page)[1].split(":")[0]  # the newest run of the tag

    page.get_by_label("Since").fill(run)
    page.get_by_label("Until").fill(run)
    submit(page)
    wait_drawn(page)

    assert query_of(page.url)["since"] == run
    first, last = iov_range(page)
    assert first == f"{run}:1" and last.startswith(f"{run}:")  # the whole run, nothing else
    assert hover_tooltip(page)["since"].startswith(f"{run}:")
    screenshot(page, "ranges-run-on-lumi-tag")
    browsing.record.assert_clean()


@pytest.mark.parametrize(
    ("since", "said"),
    [
        ("fill 1", "fill 1 is not known in database 'demo'"),
        ("yesterday", "'yesterday' is not a range end: write a run"),
    ],
)
def test_a_bad_range_is_said_in_the_form_and_the_plot_stays(
    browsing: Browsing, screenshot: Screenshot, since: str, said: str
) -> None:
    page = browsing.page
    browsing.open(PLOT)
    wait_drawn(page)
    before = page.url

    page.get_by_label("Since").fill(since)
    page.get_by_role("button", name="Update plot").click()

    error = page.locator("#plot-form .form-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(said)
    expect(page.get_by_label("Since")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Since")).to_have_value(since)  # the input is kept
    assert page.url == before  # no new page: the plot drawn stays
    expect(page.locator("#plot[data-drawn=true] canvas").first).to_be_visible()
    if since == "yesterday":
        screenshot(page, "ranges-bad-range-inline")
    # Typing again clears the mark; a good range then leaves the page.
    page.get_by_label("Since").fill("first")
    expect(page.get_by_label("Since")).not_to_have_attribute("aria-invalid", "true")
    submit(page)
    wait_drawn(page)
    assert query_of(page.url)["since"] == "first"
    browsing.record.assert_clean(failing_urls=_check_urls(browsing))


def _check_urls(browsing: Browsing) -> list[str]:
    """The refused check.json requests: Chromium logs their 400 as a console error."""
    return [url for url in browsing.record.requests if "/check.json?" in url]


def test_a_bad_link_shows_the_page_with_the_error_in_the_form(browsing: Browsing) -> None:
    page = browsing.page
    response = page.goto(browsing.server.url(f"{PLOT}&since=fill+1"))
    assert response is not None and response.status == 400
    expect(page.locator("#plot-form .form-error")).to_contain_text("fill 1 is not known")
    expect(page.get_by_label("Since")).to_have_value("fill 1")
    expect(page.get_by_role("button", name="Update plot")).to_be_enabled()


def test_back_and_forward_keep_the_form_usable(browsing: Browsing) -> None:
    page = browsing.page
    browsing.open(PLOT)
    wait_drawn(page)
    first, last = iov_range(page)
    page.evaluate("window.__before_submit = 1")  # survives Back only from the bfcache
    page.get_by_label("Since").fill(first)
    submit(page)
    wait_drawn(page)
    assert "until" not in query_of(page.url) and "cert" not in query_of(page.url)

    page.go_back(wait_until="commit")
    page.wait_for_function("window.__before_submit === 1")  # restored as it was, not reloaded
    for field in ("Since", "Until", "Certified"):
        expect(page.get_by_label(field)).to_be_enabled()
    expect(page.get_by_label("Since")).to_have_value(first)
    # ... and usable: another range and the certification from the same form.
    page.get_by_label("Until").fill(last)
    page.get_by_label("Certified").select_option("golden_2024")
    submit(page)
    wait_drawn(page)
    assert query_of(page.url) | {"db": "demo"} == {
        "db": "demo",
        "tag": TAG,
        "since": first,
        "until": last,
        "xaxis": "since",
        "cert": "golden_2024",
    }

    page.go_back(wait_until="commit")
    page.go_forward(wait_until="commit")
    expect(page.get_by_label("Certified")).to_have_value("golden_2024")
    expect(page.get_by_label("Until")).to_be_enabled()
    browsing.record.assert_clean()


def test_a_fill_clicked_on_the_plot_zooms_to_it_then_one_fill_plots_it(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(PLOT)
    wait_drawn(page)
    bands = fill_bands(page)
    left, right, number = max(bands, key=lambda band: band[1] - band[0])  # the widest band

    click_at_x(page, (left + right) / 2)
    page.wait_for_selector("#plot[data-refined]")
    start, end = x_range(page)
    margin = 0.05 * (right - left)
    assert left - margin <= start < left and right < end <= right + margin
    assert "zoom" in query_of(page.url) and "zoom=" in page.locator("#permalink").input_value()
    labels: list[str] = page.evaluate(
        "() => Bokeh.documents[0].get_model_by_name('history_fill_labels').data.text"
    )
    assert number in labels
    screenshot(page, "ranges-fill-zoomed")

    # The chooser plots one fill: from its first run to the end of its last.
    with page.expect_navigation():
        page.get_by_label("One fill").select_option(f"fill {number}")
    wait_drawn(page)
    assert query_of(page.url)["since"] == query_of(page.url)["until"] == f"fill {number}"
    assert {label for _, _, label in fill_bands(page)} == {number}
    browsing.record.assert_clean()


def test_fill_labels_never_overlap(browsing: Browsing) -> None:
    page = browsing.page
    browsing.open(PLOT)
    wait_drawn(page)
    shown: list[list[float]] = page.evaluate(
        """() => {
            const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
            const d = Bokeh.documents[0].get_model_by_name("history_fill_labels").data;
            return Array.from(d.x).map((x, i) => [view.frame.x_scale.compute(x), d.text[i].length]);
        }"""
    )
    assert shown, "no fill label drawn"
    ends = [x + 7 * chars for x, chars in shown]  # 11px digits are about 7 px wide
    assert all(nxt > end for end, (nxt, _) in zip(ends, shown[1:], strict=False))


def test_the_tooltip_shows_the_fill_the_time_and_micrometres(
    browsing: Browsing, screenshot: Screenshot
) -> None:
    page = browsing.page
    browsing.open(f"{PLOT}&xaxis=time")
    wait_drawn(page)
    tooltip = hover_tooltip(page)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", tooltip["time"]), tooltip
    fill = re.fullmatch(r"(\d+) \((\S+ \S+) – (\S+ \S+) UTC\)", tooltip["fill"])
    assert fill, tooltip
    assert fill[2] <= tooltip["time"][:16] <= fill[3]  # the IOV starts within its fill
    assert re.fullmatch(r"\d+\.\d ± \d+\.\d µm", tooltip["x"]), tooltip  # not 0.1693 ± 0.0001 cm
    screenshot(page, "ranges-tooltip-time-axis")
    browsing.record.assert_clean()
