"""The full tracker map in a browser: bytes on the wire and time to first paint.

Measured in one run, on a small demo database (every real strip module):

* the JSON sizes of the map: the layout (served once, cached by the browser)
  and the per-IOV values document, raw and gzip-compressed;
* the time from navigation to the drawn map in headless Chromium, next to the
  same for an empty Bokeh figure served the same way (the floor set by
  loading BokehJS).

Targets (issue 6): full map JSON at most 300 kB, values-only update at most
70 kB (both as sent, gzip), time to first paint at most 1.5x the empty figure.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from browser import EMPTY, EmptyFigure, chromium_missing, paint_times, served
from common import Target, report

from inspector.cmssw.strips import strip_noises
from inspector.config import Config, DatabaseConfig
from inspector.drawers import drawer
from inspector.payload import DecodedPayload
from inspector.plots import DetectorMap
from inspector.plugin import load_plugins
from inspector.web import create_app

TAG = "SiStripNoise_prompt_v1"


@drawer(
    "bench.noise_map", title="Mean noise per module", payload_types="SiStripNoises", kind="single"
)
def noise_map(payload: DecodedPayload, params: Any) -> DetectorMap:
    """Mean strip noise of every module on the full tracker map."""
    table = strip_noises(payload)
    return DetectorMap(
        geometry="tracker_map",
        ids=table.detid,
        values=table.module_means(),
        value_label="noise",
        value_unit="ADC counts",
    )


def _get(url: str, gz: bool) -> bytes:
    headers = {"Accept-Encoding": "gzip"} if gz else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
        return bytes(r.read())


def main(argv: list[str] | None = None) -> int:
    from inspector.demo import build_demo_database

    if chromium_missing():
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.sqlite"
        build_demo_database(db, seed=1, scale=0.02)
        plugins = load_plugins(extra=[("bench", EmptyFigure(noise_map))])
        app = create_app(
            Config({"demo": DatabaseConfig("demo", f"sqlite:///{db}")}, "demo"), plugins
        )
        with served(app) as base:
            snapshot = "&snapshot=2030-01-01T00:00:00Z"
            item = f"{base}/plot/bench.noise_map/item.json?tag={TAG}{snapshot}"
            values_raw, values_gz = len(_get(item, False)), len(_get(item, True))
            geometry_url = app.extensions["payload_inspector"].geometry_url("tracker_map")
            geo_raw = len(_get(base + geometry_url, False))
            geo_gz = len(_get(base + geometry_url, True))
            map_times = paint_times(base, f"/plot/bench.noise_map?tag={TAG}{snapshot}", 5)
            empty_times = paint_times(base, EMPTY, 5)
    t_map, t_empty = statistics.median(map_times), statistics.median(empty_times)
    print("full tracker map (16,588 modules) of mean strip noise")
    for what, raw, packed in (
        ("layout JSON (once, then cached)", geo_raw, geo_gz),
        ("values JSON (per IOV)", values_raw, values_gz),
    ):
        print(f"  {what:<34}{raw / 1e3:7.1f} kB raw {packed / 1e3:7.1f} kB gzip")
    print(f"  time to drawn map (median of 5)   {t_map * 1e3:7.0f} ms")
    print(f"  time to drawn empty figure        {t_empty * 1e3:7.0f} ms")
    targets = [
        Target("full map JSON, gzip (kB)", (geo_gz + values_gz) / 1e3, 300, at_least=False),
        Target("values-only update, gzip (kB)", values_gz / 1e3, 70, at_least=False),
        Target("first paint / empty figure (x)", t_map / t_empty, 1.5, at_least=False),
    ]
    return report(targets)


if __name__ == "__main__":
    sys.exit(main())
