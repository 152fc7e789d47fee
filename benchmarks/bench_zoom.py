"""Zooming a long history in a browser: bytes of a refinement and time to redraw.

Measured in one run, on the demo's long lumi-based beam-spot tag built with
200,000 IOVs (so the page opens on the envelope):

* the sizes of the page's first drawing (``item.json``) and of the values
  of a refinement (``values.json``): the whole range (buckets) and a zoom
  onto the bucket holding the most IOVs (every one then drawn), raw and
  gzip-compressed;
* in headless Chromium, the time from a change of the x range (set through
  Bokeh's API, as a zoom tool does) to the redrawn figure, as the page
  measures it with ``performance.now()`` (``data-refine-ms``): the 60 ms
  debounce, the request (each zoom a cold render on the server) and the swap.

Targets (issue 17): a full-detail refinement at most 150 kB as sent (gzip);
range change to redraw at most 300 ms (median of 5 zooms onto the busiest buckets).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
from browser import CHROMIUM, chromium_missing, served
from common import Target, report

from inspector.config import Config, DatabaseConfig
from inspector.demo.long_history import LONG_TAG
from inspector.plugin import load_plugins
from inspector.render.history import decoded_sources
from inspector.render.png import CHROMIUM_ARGS
from inspector.web import create_app

IOVS = 200_000
PLOT = f"/plot/beamspot.position_x?tag={LONG_TAG}"
DRAWING = f"/plot/beamspot.position_x/item.json?tag={LONG_TAG}"
VALUES = f"/plot/beamspot.position_x/values.json?tag={LONG_TAG}"
#: Zooms measured: onto the buckets holding the most IOVs (each a new, cold range).
ZOOMS = 5


def _size(url: str) -> tuple[int, int]:
    """Bytes of ``url``'s answer: raw, and as sent to a client accepting gzip."""
    sizes = []
    for headers in ({}, {"Accept-Encoding": "gzip"}):
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            sizes.append(len(r.read()))
    return sizes[0], sizes[1]


def _busiest_buckets(values: dict[str, Any]) -> list[tuple[float, float, int]]:
    """(start, end, IOVs) of the :data:`ZOOMS` busiest buckets of a whole-range answer."""
    buckets = decoded_sources(values)["history_buckets"]
    x, x_end, n = (np.asarray(buckets[name]) for name in ("x", "x_end", "n"))
    order = np.argsort(-n, kind="stable")[:ZOOMS]
    return [(float(x[i]), float(x_end[i]), int(n[i])) for i in order]


def _redraw_times(base: str, zooms: list[tuple[float, float, int]]) -> list[tuple[float, float]]:
    """(range change to redraw, of it the request) of each zoom, in ms, one after the other."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(),
            executable_path=CHROMIUM,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": 1280, "height": 900},
        )
        page = ctx.new_page()
        page.goto(base + PLOT)
        page.wait_for_selector("#plot[data-drawn=true] canvas", timeout=60_000)
        for done, (start, end, _) in enumerate(zooms, start=1):
            page.evaluate(
                """([start, end]) => Bokeh.documents[0].get_model_by_name("history_x")
                    .setv({start: start, end: end})""",
                [start, end],
            )
            page.wait_for_selector(f"#plot[data-refined='{done}']", timeout=60_000)
            plot = page.locator("#plot")
            total = float(plot.get_attribute("data-refine-ms") or "nan")
            times.append((total, float(plot.get_attribute("data-refine-fetch-ms") or "nan")))
        ctx.close()
    return times


def main(argv: list[str] | None = None) -> int:
    from inspector.demo import build_demo_database

    if chromium_missing():
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.sqlite"
        build_demo_database(db, seed=1, scale=0.02, long_history_iovs=IOVS)
        app = create_app(
            Config({"demo": DatabaseConfig("demo", f"sqlite:///{db}")}, "demo"), load_plugins()
        )
        with served(app) as base:
            values = base + VALUES
            sizes = {
                "first drawing (item.json)": _size(base + DRAWING),
                "whole range": _size(values),
            }
            with urllib.request.urlopen(values) as r:
                zooms = _busiest_buckets(json.loads(r.read()))
            start, end, iovs = zooms[0]
            zoomed = f"zoom on one bucket ({iovs:,} IOVs)"
            zoom = f"&zoom={start!r},{end!r}"
            sizes[zoomed] = _size(values + zoom)
            sizes["  the same as a new document"] = _size(base + DRAWING + zoom)
            times = _redraw_times(base, zooms)
    print(f"{LONG_TAG} with {IOVS:,} IOVs, beamspot.position_x, 900 px")
    for what, (raw, packed) in sizes.items():
        print(f"  {what:<34}{raw / 1e3:7.1f} kB raw {packed / 1e3:7.1f} kB gzip")
    counts = ", ".join(f"{n:,}" for _, _, n in zooms)
    print(f"  range change to redraw, zooms onto buckets of {counts} IOVs:")
    print(f"  {'':<34}{', '.join(f'{t:.0f}' for t, _ in times)} ms")
    print(f"  of it the request                 {', '.join(f'{f:.0f}' for _, f in times)} ms")
    targets = [
        Target(
            "full-detail refinement, gzip (kB)",
            sizes[zoomed][1] / 1e3,
            150,
            at_least=False,
        ),
        Target(
            "range change to redraw, median (ms)",
            statistics.median(t for t, _ in times),
            300,
            at_least=False,
        ),
    ]
    return report(targets)


if __name__ == "__main__":
    sys.exit(main())
