"""Notes and certification in a real browser: a signed-in person adds a note on the tag
page, sees it as a marker on the history plot, and reads it on hover (as text, never
run as markup); the certification select filters the plot.

The server is the production app over the demo database with its golden JSON, behind a
"single-sign-on proxy": the test sets ``X-Remote-User`` on every request, and the app
trusts it from 127.0.0.1 only (the browser itself connects from there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest
from playwright.sync_api import Page, expect

from inspector.annotations import AnnotationsConfig
from inspector.annotations.settings import parse_auth_table
from inspector.certification import Certifications, load_certification
from inspector.config import Config, DatabaseConfig
from inspector.demo.golden import golden_path

if TYPE_CHECKING:
    from tests.browser.conftest import Browsing, LiveServer, PageRecord

TAG: Final = "BeamSpotObjects_PCL_byLumi_v1"
NOTE: Final = "<script>window.__pwned = 1</script> beam moved <b>2 µm</b>"
Screenshot = Callable[[Page, str], Path]


@pytest.fixture(scope="module")
def notes_server(
    demo_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    serve_app: Callable[[Config], AbstractContextManager[LiveServer]],
) -> Iterator[str]:
    """The app with notes (own SQLite file), the demo golden JSON and a trusted local proxy."""
    folder = tmp_path_factory.mktemp("notes")
    config = Config(
        {"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")},
        "demo",
        certifications=Certifications(
            {"golden_2024": load_certification("golden_2024", golden_path(demo_path))}
        ),
        annotations=AnnotationsConfig(f"sqlite:///{folder / 'notes.sqlite'}"),
        auth=parse_auth_table(
            {"proxy_user_header": "X-Remote-User", "trusted_proxies": ["127.0.0.1"]}, "test"
        ),
    )
    with serve_app(config) as server:
        yield server.origin


@pytest.fixture
def signed_in(browsing: Browsing, notes_server: str) -> tuple[Page, PageRecord]:
    """A fresh tab whose requests carry the proxy's user header, recorded from the start.

    The tab and its recorder come from the suite's ``browsing`` fixture; the
    record here is for this module's server (another origin than the shared one).
    """
    page = browsing.page
    page.set_extra_http_headers({"X-Remote-User": "carol"})
    record = type(browsing.record)(notes_server)
    record.attach(page)
    return page, record


def _marker_point(page: Page) -> dict[str, Any]:
    """Where the first note marker is on the page, by Bokeh's own scales."""
    point: dict[str, Any] = page.evaluate(
        """() => {
            const doc = Bokeh.documents[Bokeh.documents.length - 1];
            const glyph = doc.get_model_by_name("annotation_markers");
            const d = glyph.data_source.data;
            const view = Object.values(Bokeh.index).find(v => v.frame !== undefined);
            const box = view.canvas_view.el.getBoundingClientRect();
            return {count: d.x.length, text: d.text[0],
                    px: box.left + view.frame.x_scale.compute(d.x[0]),
                    py: box.top + view.frame.y_scale.compute(d.y[0])};
        }"""
    )
    return point


def test_a_note_added_on_the_tag_page_is_a_marker_whose_hover_shows_it(
    signed_in: tuple[Page, PageRecord], notes_server: str, screenshot: Screenshot
) -> None:
    page, record = signed_in
    iovs = page.request.get(f"{notes_server}/api/v1/tags/{TAG}/iovs?page[size]=5").json()
    since = iovs["data"][2]["attributes"]["since_text"]

    page.goto(f"{notes_server}/tags/{TAG}")
    form = page.locator("form.note-form")
    expect(form.locator("button")).to_have_text("Add note as carol")
    form.locator("input[name=text]").fill(NOTE)
    form.locator("input[name=since]").fill(since)
    form.locator("button").click()
    page.wait_for_url(f"{notes_server}/tags/{TAG}#notes")  # back at the notes, the new one in view
    expect(page.locator(".notes-list li").first).to_be_in_viewport()
    listed = page.locator(".notes-list li").first
    expect(listed.locator(".note-text")).to_have_text(NOTE)  # shown as the text it is
    expect(listed).to_contain_text("carol, ")
    expect(listed.locator("a")).to_have_text(since)
    assert page.evaluate("() => window.__pwned") is None
    screenshot(page, "tag-page-notes")

    page.goto(f"{notes_server}/plot/beamspot.position_x?tag={TAG}")
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    point = _marker_point(page)
    assert point["count"] == 1 and point["text"] == NOTE
    page.mouse.move(point["px"] - 40, point["py"] + 40)
    page.mouse.move(point["px"], point["py"] + 2, steps=8)
    tooltip = page.locator(".bk-Tooltip", has_text="carol")
    expect(tooltip).to_be_visible()
    labels = [
        t.strip().rstrip(":") for t in tooltip.locator(".bk-tooltip-row-label").all_inner_texts()
    ]
    values = [t.strip() for t in tooltip.locator(".bk-tooltip-row-value").all_inner_texts()]
    shown = dict(zip(labels, values, strict=True))
    assert shown["note"] == NOTE and shown["by"] == "carol"
    assert page.evaluate("() => window.__pwned") is None
    screenshot(page, "history-plot-note-marker")

    page.goto(f"{notes_server}/plot/beamspot.position_x?tag={TAG}")
    page.select_option("select#cert", "golden_2024")
    page.locator("#plot-form button[type=submit]").click()
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    assert "cert=golden_2024" in page.url
    expect(page.locator("ul.notes")).to_contain_text("Certified data only: golden_2024")
    assert "cert=golden_2024" in page.locator("#permalink").input_value()
    screenshot(page, "history-plot-certified")
    record.assert_clean()
