"""Notebook outputs draw in Chromium: offline, each plot in its own frame, fitted to it.

The page is what Jupyter makes of two cells' outputs: their ``text/html``
put into the notebook's own document.  It is opened from a file, with no
server: the plots must draw from what the outputs carry, and nothing may be
fetched from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

import inspector
from inspector.config import Config, DatabaseConfig
from inspector.notebook import Session, display

NOISE = "SiStripNoise_prompt_v1"


@pytest.fixture(scope="module")
def db(demo_path: Path) -> Iterator[Session]:
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    with inspector.open("demo", config=config) as session:
        yield session


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    page = browser_context.new_page()
    try:
        yield page
    finally:
        page.close()


def test_two_outputs_draw_offline_and_fit_their_frames(
    db: Session, page: Page, tmp_path: Path
) -> None:
    history = db.plot("beamspot.position_x", tag="BeamSpotObjects_Realistic_byRun_v1")
    tracker = db.plot("maps.strip_noise", tag=NOISE)
    cells = "".join(
        f'<div class="output">{p._repr_mimebundle_(include=["text/html"])["text/html"]}</div>'
        for p in (history, tracker)
    )
    notebook = tmp_path / "notebook.html"
    notebook.write_text(f"<!DOCTYPE html><html><body>{cells}</body></html>", encoding="utf-8")
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(f"{e.name}: {e.message}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(notebook.as_uri())
    frames = [f for f in page.frames if f is not page.main_frame]
    assert len(frames) == 2
    for frame in frames:
        frame.wait_for_selector("canvas", state="attached")
    # The map is 900 px high: its frame grew from the initial height to hold it.
    page.wait_for_function(
        "min => document.querySelectorAll('iframe')[1].getBoundingClientRect().height > min",
        arg=900,
    )
    heights = page.eval_on_selector_all(
        "iframe", "fs => fs.map(f => f.getBoundingClientRect().height)"
    )
    assert heights[0] >= 450 and heights[0] != display.INITIAL_HEIGHT, heights
    assert errors == []
    fetched = [
        u for u in requests if u != notebook.as_uri() and not u.startswith(("data:", "about:"))
    ]
    assert fetched == [], fetched
