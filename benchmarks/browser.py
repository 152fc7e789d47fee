"""What the browser benchmarks share: Debian's Chromium, the empty figure, time to a drawn plot.

The floor of any plot page is loading BokehJS and drawing an empty figure,
served the same way: :data:`EMPTY` is that drawer (registered by
:class:`EmptyFigure`), and :func:`paint_times` times a navigation to a drawn
plot, each in a fresh browser profile (nothing cached).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np

from inspector.drawers import Drawer, drawer
from inspector.payload import DecodedPayload
from inspector.plots import Scatter
from inspector.plugin import hookimpl
from inspector.render.png import CHROMIUM_ARGS

__all__ = ["CHROMIUM", "EMPTY", "EmptyFigure", "chromium_missing", "paint_times", "served"]

CHROMIUM: Final = "/usr/bin/chromium"
#: The tag the empty figure is asked for (any demo database has it).
EMPTY_TAG: Final = "SiStripNoise_prompt_v1"


@drawer("bench.empty", title="Empty figure", payload_types="SiStripNoises", kind="single")
def empty(payload: DecodedPayload, params: Any) -> Scatter:
    """An empty Bokeh figure: the floor of loading BokehJS."""
    return Scatter(x=np.zeros(0), y=np.zeros(0))


#: The page of the empty figure (pinned, so it is cached after the first load).
EMPTY: Final = f"/plot/bench.empty?tag={EMPTY_TAG}&snapshot=2030-01-01T00:00:00Z"


class EmptyFigure:
    """Registers the empty figure's drawer (``load_plugins(extra=[("bench", EmptyFigure())])``)."""

    def __init__(self, *others: Drawer) -> None:
        self.others = others

    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [empty, *self.others]


def chromium_missing() -> bool:
    """Whether Chromium is absent (a message says how to install it)."""
    if Path(CHROMIUM).exists():
        return False
    print(f"{CHROMIUM} is missing: run `make test` once (it installs chromium)")
    return True


def paint_times(base: str, path: str, runs: int) -> list[float]:
    """Seconds from navigation to ``base + path`` to its drawn plot, ``runs`` times."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        for _ in range(runs):  # a fresh browser profile each time: nothing cached
            ctx = p.chromium.launch_persistent_context(
                tempfile.mkdtemp(),
                executable_path=CHROMIUM,
                headless=True,
                args=list(CHROMIUM_ARGS),
            )
            page = ctx.new_page()
            start = time.perf_counter()
            page.goto(base + path)
            page.wait_for_selector("#plot[data-drawn=true] canvas", timeout=60_000)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(null)))")
            times.append(time.perf_counter() - start)
            ctx.close()
    return times


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` on a free loopback port, in threads, until the block ends: its origin.

    Werkzeug's per-request log lines are silenced: the browser's page loads
    would bury the benchmark's figures.
    """
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
