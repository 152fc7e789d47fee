"""The calibration watch and fill bands in a real browser over the demo database.

The server here runs the repository's own configuration (its ``[[watch]]``
entries and ``[watch_clock]``) over the session's demo database, so the
watch shows what ``make run`` shows: one tag OK, one LATE, one STALE.
Screenshots land in ``test-artifacts/screenshots/`` for people to look at.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import BaseWSGIServer, make_server

from inspector.config import DatabaseConfig, load_config
from inspector.plugin import load_plugins
from inspector.render.fill_bands import FILL_BANDS
from inspector.web.app import create_app
from inspector.web.state import state

if TYPE_CHECKING:
    from tests.browser.conftest import Browsing

REPO: Final = Path(__file__).resolve().parents[2]
PCL: Final = "BeamSpotObjects_PCL_byLumi_v1"
#: Badge backgrounds of inspector.css, as the browser computes them.
COLOURS: Final = {
    "OK": "rgb(209, 250, 223)",
    "LATE": "rgb(254, 240, 199)",
    "STALE": "rgb(254, 228, 226)",
}


@dataclasses.dataclass(frozen=True)
class WatchServer:
    """The app with the repository's watch configuration, on a loopback port."""

    origin: str

    def url(self, path: str) -> str:
        return self.origin + path


@pytest.fixture(scope="module")
def live_server(demo_path: Path) -> Iterator[WatchServer]:
    """Overrides the suite's server for this module: same app, the repository's watch."""
    # The repository's watch; notes in memory, never in the repository's var/.
    config = load_config(REPO / "inspector.toml")
    demo = DatabaseConfig("demo", f"sqlite:///{demo_path}")
    app = create_app(
        dataclasses.replace(config, databases={"demo": demo}, annotations=None), load_plugins()
    )
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="watch-test-server", daemon=True)
    thread.start()
    try:
        yield WatchServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        state(app).close()


def test_watch_shows_each_status_in_its_colour(
    browsing: Browsing, screenshot: Callable[[Page, str], Path]
) -> None:
    page = browsing.page
    browsing.open("/watch")
    rows = page.locator("#watch tbody tr")
    expect(rows).to_have_count(3)
    statuses = [rows.nth(i).get_attribute("data-status") for i in range(3)]
    assert statuses == ["OK", "LATE", "STALE"]
    for i, status in enumerate(statuses):
        badge = rows.nth(i).locator("span.status")
        expect(badge).to_have_text(status or "")
        expect(badge).to_be_visible()
        colour = badge.evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour == COLOURS[status or ""], (status, colour)
    expect(rows.nth(1).locator("td.reason")).to_contain_text("more than the expected 48 h")
    expect(page.locator("#watch-summary")).to_contain_text("72.0 h after")
    screenshot(page, "watch")
    # The newest run links to its run page, which shows the run's fill and conditions.
    rows.nth(0).locator("td").nth(4).locator("a").click()
    expect(page.locator("h1")).to_contain_text("Run ")
    expect(page.locator("#readiness")).to_be_visible()
    expect(page.locator("#fill-runs li").first).to_be_visible()
    screenshot(page, "run")
    browsing.record.assert_clean()


def _bands(page: Page) -> list[str]:
    labels: list[str] = page.evaluate(
        """name => {
            const doc = Bokeh.documents[Bokeh.documents.length - 1];
            const strips = doc.get_model_by_name(name);
            return strips === null ? [] : Array.from(strips.data_source.data.label);
        }""",
        FILL_BANDS,
    )
    return labels


@pytest.mark.parametrize("xaxis", ["since", "time"])
def test_history_shows_fills_as_bands(
    browsing: Browsing, screenshot: Callable[[Page, str], Path], xaxis: str
) -> None:
    page = browsing.page
    browsing.open(f"/plot/beamspot.position_x?tag={PCL}&xaxis={xaxis}")
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    expect(page.locator("#plot .error-inline")).to_have_count(0)
    labels = _bands(page)
    assert len(labels) >= 4 and all(label.isdigit() for label in labels)
    browsing.open("/runs")
    fills = {text.strip() for text in page.locator("#runs tbody td:nth-child(2)").all_inner_texts()}
    assert set(labels) <= fills  # every band is a fill of the listed runs
    browsing.open(f"/plot/beamspot.position_x?tag={PCL}&xaxis={xaxis}")
    page.wait_for_selector("#plot[data-drawn=true] canvas")
    screenshot(page, f"history-fills-{xaxis}")
    browsing.record.assert_clean()
