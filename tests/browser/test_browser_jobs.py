"""A cold, heavy history in a real browser: the progress bar advances, then the plot appears.

The app under test is the production app over the demo database with a
heaviness threshold of zero (every uncached history is a job) and one extra
drawer, ``browsertest.gated_noise``: the real mean-noise reduction, except
that each payload waits until the test lets it through.  So the test sees
the page at a known point half-way, not at whatever moment a sleep lands on.
Screenshots: ``test-artifacts/screenshots/plot-job-*.png``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from werkzeug.serving import make_server

import inspector_plugins.strips
from inspector.config import Config, DatabaseConfig
from inspector.drawers import Drawer, ParamValue, drawer
from inspector.jobs import JobSettings
from inspector.payload import DecodedPayload
from inspector.plugin import hookimpl, load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

GATE: Final = threading.Semaphore(0)
OPEN: Final = threading.Event()
WAIT: Final = 30.0
TAG: Final = "SiStripNoise_prompt_v1"


@drawer(
    "browsertest.gated_noise",
    title="Mean strip noise (gated)",
    payload_types="SiStripNoises",
    kind="history",
    unit="ADC",
    series=("TIB", "TID", "TOB", "TEC"),
)
def gated_noise(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> dict[str, float]:
    """The built-in mean noise, one payload per opening of the test's gate."""
    for _ in range(int(WAIT / 0.05)):
        if GATE.acquire(timeout=0.05) or OPEN.is_set():
            result: dict[str, float] = inspector_plugins.strips.mean_noise_history.func(
                payload, params
            )
            return result
    raise AssertionError("the test never opened the gate")


@drawer("browsertest.broken", title="Broken", payload_types="SiStripNoises", kind="history")
def broken(payload: DecodedPayload, params: Mapping[str, ParamValue]) -> float:
    """Fails on every payload, as a buggy plugin would."""
    raise ValueError("the noise table is upside down")


class GatedPlugin:
    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [gated_noise, broken]


@pytest.fixture(scope="module")
def heavy_server(demo_path: Path) -> Iterator[str]:
    """The app with every uncached history run as a job, on a loopback port."""
    config = Config(
        {"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")},
        "demo",
        jobs=JobSettings(heavy_mb=0),
    )
    app = create_app(config, load_plugins(extra=[("browsertest", GatedPlugin())]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="jobs-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        OPEN.set()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        state(app).jobs.close(wait=True)
        state(app).close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(error.message))
    yield tab
    tab.close()
    assert errors == [], errors


def _count(page: Page) -> tuple[int, int]:
    text = page.locator("#plot .job-count").inner_text()
    match = re.fullmatch(r"(\d+) / (\d+) payloads", text.strip())
    assert match, text
    return int(match[1]), int(match[2])


def test_progress_bar_advances_then_the_plot_is_drawn(
    heavy_server: str, page: Page, screenshot: Callable[[Page, str], Path]
) -> None:
    response = page.goto(f"{heavy_server}/plot/browsertest.gated_noise?db=demo&tag={TAG}")
    assert response is not None and response.status == 200
    bar = page.locator("#plot progress")
    expect(bar).to_be_visible()
    done, total = _count(page)
    assert done == 0 and total > 1
    half = total // 2
    GATE.release(half)
    expect(page.locator("#plot .job-count")).to_have_text(f"{half} / {total} payloads")
    assert bar.get_attribute("value") == str(half)
    assert page.locator("#plot").get_attribute("data-job-status") == "running"
    screenshot(page, "plot-job-progress")
    GATE.release(total - half)
    page.wait_for_selector("#plot[data-drawn=true] canvas", timeout=WAIT * 1000)
    expect(page.locator("#plot .error-inline")).to_have_count(0)
    expect(page.locator("#plot progress")).to_have_count(0)
    screenshot(page, "plot-job-done")
    # Opened again, the plot is cached: drawn at once, no job.
    page.reload()
    page.wait_for_selector("#plot[data-drawn=true] canvas", timeout=WAIT * 1000)
    assert page.locator("#plot").get_attribute("data-job-url") is None


def test_a_failed_job_shows_the_drawer_and_the_payload(heavy_server: str, page: Page) -> None:
    page.goto(f"{heavy_server}/plot/browsertest.broken?db=demo&tag={TAG}")
    error = page.locator("#plot .error-inline")
    expect(error).to_contain_text("Drawer failed")
    expect(error).to_contain_text("'browsertest.broken'")
    expect(error).to_contain_text("the noise table is upside down")
    expect(error).to_have_text(re.compile(r"\(payload [0-9a-f]{40}\)$"))
