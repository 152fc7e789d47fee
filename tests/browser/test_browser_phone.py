"""Phones: every page fits a 390 px wide screen, in a real (emulated) phone browser.

The phone is Chromium told it is one: a 390 × 844 viewport, ``is_mobile``
(so the page's ``<meta name=viewport>`` is honoured as on a real phone, and
anything wider than the screen widens the whole page) and three device
pixels per CSS pixel.  On it no page may be wider than the screen, the
navigation must be on screen, every plot must fit the width, and a legend
must sit outside the plot area (issue 19, item 7).  Screenshots land in
``test-artifacts/screenshots/phone-*.png`` for people to look at.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

if TYPE_CHECKING:
    # Annotations only, as in test_browser_pages: the fixtures hand these over.
    from tests.browser.conftest import Browsing, LiveServer

from tests.browser.conftest import TIMEOUT_MS, browsing_on, fresh_chromium

PHONE_WIDTH: Final = 390
PHONE: Final = {
    "viewport": {"width": PHONE_WIDTH, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}

BEAM_SPOT: Final = "BeamSpotObjects_PCL_byLumi_v1"

#: name → (the page opened, and the link on it followed to reach the page under
#: test, or ``None``): run and payload pages are reached as a person reaches them.
PAGES: Final[dict[str, tuple[str, str | None]]] = {
    "home": ("/", None),
    "tag": ("/tags/TrackerAlignment_prompt_v1", None),
    "plot": (f"/plot/beamspot.width?tag={BEAM_SPOT}", None),
    "map": ("/plot/maps.strip_noise?tag=SiStripNoise_prompt_v1", None),
    # a tag name of 66 characters without a space, in the breadcrumbs and the title
    "plot-long-tag": (
        "/plot/jetmet.jec_correction?tag="
        "JetCorrectorParametersCollection_Summer22_22Sep2023_V2_MC_AK4PFchs",
        None,
    ),
    "runs": ("/runs", None),
    "run": ("/runs", "#runs tbody a"),
    "watch": ("/watch", None),
    "globaltags": ("/globaltags", None),
    "globaltag": ("/globaltags", "main table a"),
    "diff-tags": ("/diff/tags?a=SiStripNoise_prompt_v1&b=SiStripNoise_rereco_v2", None),
    "diff-globaltags": (
        "/diff/globaltags?a=140X_dataRun3_Prompt_v1&b=140X_dataRun3_Prompt_v2",
        None,
    ),
    "payload": ("/tags/SiStripNoise_prompt_v1", "#iovs tbody a"),
    "drawer": ("/drawers/beamspot.position_x", None),
    "notes-help": ("/notes/help", None),
}

#: Every Bokeh plot on the page: where its canvas, its plot area (the frame)
#: and its legends are, and where its titles (left-aligned on the frame) end,
#: in page pixels.  Plots inside layouts are found through
#: the layouts' child views; a page without BokehJS has none.
PLOT_BOXES: Final = """() => {
    if (typeof Bokeh === "undefined") return [];  // a page without plots
    const plots = [];
    const visit = v => { if (v.frame) plots.push(v); (v.child_views || []).forEach(visit); };
    Object.values(Bokeh.index).forEach(visit);
    const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
    const ctx = document.createElement("canvas").getContext("2d");  // measures titles
    return plots.map(v => {
        const c = v.canvas_view.el.getBoundingClientRect();
        const f = v.frame.bbox;
        return {
            canvas: box(c),
            frame: {left: c.left + f.left, top: c.top + f.top,
                    right: c.left + f.right, bottom: c.top + f.bottom},
            legends: [...v.renderer_views.values()]
                .filter(r => r.model.type === "Legend")
                .map(r => box(r.el.getBoundingClientRect()))
                .filter(b => b.right > b.left),
            titles: [v.model.title, ...v.model.above].filter(m => m && m.type === "Title")
                .map(m => {
                    ctx.font = `${m.text_font_style} ${m.text_font_size} ${m.text_font}`;
                    return {text: m.text, right: c.left + f.left + ctx.measureText(m.text).width};
                }),
        };
    });
}"""

Screenshot = Callable[[Page, str], Path]
Box = dict[str, float]


@pytest.fixture(scope="module")
def phone(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """A phone's browser (390 × 844, mobile, 3 device pixels per pixel), fresh profile."""
    with fresh_chromium(playwright, tmp_path_factory.mktemp("phone-profile"), **PHONE) as context:
        yield context


@pytest.fixture
def on_phone(phone: BrowserContext, live_server: LiveServer) -> Iterator[Browsing]:
    """A new tab of the phone on the demo database's server."""
    with browsing_on(phone, live_server) as tab:
        yield tab


def wait_plots_drawn(page: Page) -> None:
    """Every Bokeh document of the page drawn (the flag inspector.js sets), none failed."""
    # As long as the browser's own waits: a map on a loaded 2-core machine takes over 5 s.
    expect(page.locator("[data-item-url]:not([data-drawn=true])")).to_have_count(
        0, timeout=TIMEOUT_MS
    )
    expect(page.locator("[data-item-url] .error-inline")).to_have_count(0)


def plot_boxes(page: Page) -> list[dict[str, Any]]:
    """What :data:`PLOT_BOXES` reads off the page."""
    boxes: list[dict[str, Any]] = page.evaluate(PLOT_BOXES)
    return boxes


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share more than an edge."""
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def assert_fits_the_phone(page: Page) -> None:
    """Nothing wider than the screen, the navigation on it, plots and titles inside it, legends
    off the plot area."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"
    links = page.locator("header.top nav a")
    assert links.count() >= 4
    for i in range(links.count()):
        link = links.nth(i)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH, (
            f"navigation link {link.inner_text()!r} is off the screen: {box}"
        )
    for plot in plot_boxes(page):
        canvas = plot["canvas"]
        assert canvas["left"] >= 0 and canvas["right"] <= PHONE_WIDTH, f"plot off screen: {canvas}"
        for title in plot["titles"]:
            assert title["right"] <= canvas["right"], f"title off the plot: {title}"
        for legend in plot["legends"]:
            assert not overlaps(legend, plot["frame"]), (
                f"the legend {legend} covers the plot area {plot['frame']}"
            )


def open_page(tab: Browsing, name: str) -> None:
    """Open the page ``name`` of :data:`PAGES`, by its address or the link that leads to it."""
    path, link = PAGES[name]
    tab.open(path)
    if link is not None:
        with tab.page.expect_navigation():
            tab.page.locator(link).first.click()
    wait_plots_drawn(tab.page)


@pytest.mark.parametrize("name", list(PAGES))
def test_no_page_is_wider_than_a_phone(
    on_phone: Browsing, screenshot: Screenshot, name: str
) -> None:
    """Each page on a phone: no sideways scrolling, the menu reachable, plots and legends fit."""
    open_page(on_phone, name)
    assert_fits_the_phone(on_phone.page)
    screenshot(on_phone.page, f"phone-{name}")
    on_phone.record.assert_clean()


def test_wide_tables_scroll_inside_their_box(on_phone: Browsing) -> None:
    """The tag table is wider than the phone: it scrolls within itself, the page does not."""
    on_phone.open("/")
    table = on_phone.page.locator("table#tags")
    inner, outer = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert inner > outer, "the demo's tag table should be wider than a phone"
    assert outer <= PHONE_WIDTH
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"


def test_the_navigation_leads_on_from_a_phone(on_phone: Browsing) -> None:
    """Tapping a menu entry on the plot page (where it was cut off) opens that page."""
    open_page(on_phone, "plot")
    with on_phone.page.expect_navigation():
        on_phone.page.locator("header.top nav a", has_text="Runs").tap()
    expect(on_phone.page.locator("h1")).to_have_text("Runs")


def test_a_drawer_on_the_home_page_leads_to_its_plot(on_phone: Browsing) -> None:
    """Home page → a drawer's name → its page → one of its tags: that tag's plot, drawn."""
    page = on_phone.page
    on_phone.open("/")
    with page.expect_navigation():
        page.locator("ul.drawers a", has_text="beamspot.position_x").tap()
    expect(page.locator("h1")).to_have_text("Beam spot x")
    expect(page.locator("#drawer-doc")).to_contain_text("fit error")
    with page.expect_navigation():
        page.locator("#drawer-tags a", has_text=BEAM_SPOT).tap()
    wait_plots_drawn(page)
    expect(page.locator("h1")).to_have_text("Beam spot x")
    assert_fits_the_phone(page)
    on_phone.record.assert_clean()


def test_a_note_form_that_cannot_be_used_says_how_to_be_identified(on_phone: Browsing) -> None:
    """The demo server has no [auth]: the tag page links to the help, which says so."""
    page = on_phone.page
    on_phone.open(f"/tags/{BEAM_SPOT}")
    with page.expect_navigation():
        page.locator("#notes-help").tap()
    expect(page.locator("h1")).to_have_text("Adding notes")
    expect(page.locator("#way-none")).to_contain_text("Nobody can write notes here")
    on_phone.record.assert_clean()


def test_the_legend_moves_below_a_narrow_plot_and_back(browsing: Browsing) -> None:
    """On a desktop the legend stays in the plot area; narrowed to a phone's width it moves
    below the plot, and widened again it comes back."""
    page = browsing.page
    open_page(browsing, "plot")

    def legend_and_frame() -> tuple[Box, Box]:
        (plot,) = plot_boxes(page)
        (legend,) = plot["legends"]
        return legend, plot["frame"]

    legend, frame = legend_and_frame()
    assert overlaps(legend, frame), "on a wide screen the legend is in the plot area"
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    page.wait_for_function(
        f"({PLOT_BOXES})()[0].legends[0].top >= ({PLOT_BOXES})()[0].frame.bottom"
    )
    legend, frame = legend_and_frame()
    assert legend["top"] >= frame["bottom"] and legend["right"] <= PHONE_WIDTH
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_function(f"({PLOT_BOXES})()[0].legends[0].top < ({PLOT_BOXES})()[0].frame.bottom")
    assert overlaps(*legend_and_frame())
    browsing.record.assert_clean()


#: Where the x axis of the page's first plot writes its tick labels: the centre and
#: the width of each, in page pixels, measured in the axis's own font.
TICK_LABELS: Final = """() => {
    const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
    const axis = view.model.below.find(m => m.ticker);
    const axis_view = view.renderer_views.get(axis);
    const coords = axis_view.tick_coords.major;
    const [xs] = axis_view.scoords(coords);
    const texts = axis.formatter.doFormat(coords[0], {loc: 0});
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = `${axis.major_label_text_font_size} ${axis.major_label_text_font}`;
    return texts.map((t, i) => ({text: t, x: xs[i], width: ctx.measureText(t).width}));
}"""


def test_run_ticks_do_not_collide_on_a_narrow_plot(on_phone: Browsing) -> None:
    """A few lumisections of one run on a phone: decimal run numbers, spaced apart.

    With Bokeh's six ticks on a 250 px plot area these labels (``379800.005``)
    ran into each other; one tick per 90 px leaves a gap between every two.
    """
    on_phone.open(f"/plot/beamspot.position_x?tag={BEAM_SPOT}&zoom=379800,379800.04")
    wait_plots_drawn(on_phone.page)
    labels = on_phone.page.evaluate(TICK_LABELS)
    assert len(labels) >= 2, labels
    for left, right in itertools.pairwise(labels):
        gap = right["x"] - left["x"] - (left["width"] + right["width"]) / 2
        assert gap >= 8, f"tick labels {left['text']} and {right['text']} collide: {labels}"
