"""A history at CMS scale through the web app: the 1,200,000-IOV demo tag.

Measured in one run on ``var/long-history.sqlite`` (built first if missing,
as :mod:`bench_iovs` does: ``inspector demo-db --scale 0.02 --long-history``),
``beamspot.position_x`` of ``BeamSpotObjects_PCL_byLumi_long_v1``, the page's
drawing (``item.json``) through the app in-process:

* **cold**: a fresh app (every cache empty) answers the drawing: IOV list,
  a decode and reduction per distinct payload, the envelope, Bokeh;
* **warm**: the same history asked again of the warm engine (IOV list and
  reductions cached), as :mod:`bench_history` measures it; also shown: the
  drawing made again from there (a new view of the same history: engine and
  Bokeh), and served again from the rendered cache (a second visitor);
* **sent**: the drawing's bytes, raw and gzip, against sending every IOV as
  before level of detail: the database's short beam-spot tag drawn in full
  (every IOV), per IOV, times the long tag's IOVs (measured in the same run:
  the full-detail document grows linearly with the IOVs);
* **memory**: the traced peak of one cold drawing (on another fresh app);
* **navigation**: headless Chromium from navigation to the drawn history
  (the server warm), against an empty Bokeh figure served the same way.

Targets (issue 17): cold at most 2 s, warm at most 50 ms, at most 300 kB as
sent, navigation at most 1.5x the empty figure.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench_history import ROOT
from bench_iovs import long_database
from browser import EMPTY, EmptyFigure, chromium_missing, paint_times, served
from common import Target, best_of, report

from inspector.config import Config, DatabaseConfig
from inspector.demo.long_history import LONG_TAG
from inspector.engine import PlotRequest
from inspector.plugin import load_plugins
from inspector.web import create_app
from inspector.web.state import state

SHORT_TAG = "BeamSpotObjects_PCL_byLumi_v1"
DRAWER = "beamspot.position_x"
#: After every insertion of the demo: the drawing is cached as bytes after the first request.
SNAPSHOT = "&snapshot=2030-01-01T00:00:00Z"


def _drawing(tag: str) -> str:
    return f"/plot/{DRAWER}/item.json?tag={tag}{SNAPSHOT}"


def _app(db: Path) -> Any:
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{db}")}, "demo")
    return create_app(config, load_plugins(extra=[("bench", EmptyFigure())]))


def _timed_get(client: Any, path: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.data[:300]!r}")
    return elapsed, bytes(response.data)


def _cold_peak_mib(db: Path) -> float:
    """Peak of the memory Python allocates for one cold drawing, on another fresh app.

    ``tracemalloc`` (numpy's buffers included), not the process's high-water
    mark: that is already set by whatever ran before in this process (building
    the database, on a fresh clone).  Traced apart from the timed run, which
    tracing would slow.
    """
    app = _app(db)
    tracemalloc.start()
    try:
        _timed_get(app.test_client(), _drawing(LONG_TAG))
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
        state(app).close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "long-history.sqlite")
    args = parser.parse_args(argv)
    if chromium_missing():
        return 1
    db = long_database(args.db)
    app = _app(db)
    client = app.test_client()
    web = state(app)
    cold, body = _timed_get(client, _drawing(LONG_TAG))
    iovs = len(web.engine.iovs("demo", LONG_TAG))
    cached, _ = _timed_get(client, _drawing(LONG_TAG))
    request = PlotRequest(drawer=DRAWER, tag=LONG_TAG)
    warm = best_of(functools.partial(web.engine.plot, request), 5)
    redrawn = []
    for _ in range(5):
        for drawn in (web.pinned, web.latest, web.plots):  # keep only the engine's caches
            drawn.clear()
        redrawn.append(_timed_get(client, _drawing(LONG_TAG))[0])
    short = _timed_get(client, _drawing(SHORT_TAG))[1]
    short_iovs = len(web.engine.iovs("demo", SHORT_TAG))
    sent, short_sent = len(gzip.compress(body, 6)), len(gzip.compress(short, 6))
    every_iov = short_sent / short_iovs * iovs
    with served(app) as base:
        history_times = paint_times(base, f"/plot/{DRAWER}?tag={LONG_TAG}{SNAPSHOT}", 5)
        empty_times = paint_times(base, EMPTY, 5)
    t_history, t_empty = statistics.median(history_times), statistics.median(empty_times)
    print(f"{LONG_TAG}: {iovs:,} IOVs, {DRAWER}, the page's drawing (item.json)")
    print(f"  cold (fresh app)                  {cold * 1e3:8.0f} ms")
    print(f"  warm (engine caches warm)         {warm * 1e3:8.1f} ms (best of 5)")
    print(f"  drawn again from there            {min(redrawn) * 1e3:8.1f} ms (best of 5)")
    print(f"  from the rendered cache           {cached * 1e3:8.2f} ms")
    print(f"  sent {len(body) / 1e3:37.1f} kB raw {sent / 1e3:8.1f} kB gzip")
    print(
        f"  every IOV, as before level of detail: {SHORT_TAG} ({short_iovs:,} IOVs) drawn in "
        f"full is {short_sent / 1e3:.1f} kB gzip, so {every_iov / 1e6:.1f} MB for {iovs:,}"
    )
    print(f"  memory of one cold drawing (traced peak)   {_cold_peak_mib(db):6.0f} MiB")
    print(f"  navigation to the drawn history   {t_history * 1e3:8.0f} ms (median of 5)")
    print(f"  navigation to an empty figure     {t_empty * 1e3:8.0f} ms")
    targets = [
        Target("cold history of 1M+ IOVs (s)", cold, 2.0, at_least=False),
        Target("warm history of 1M+ IOVs (ms)", warm * 1e3, 50, at_least=False),
        Target("drawing as sent, gzip (kB)", sent / 1e3, 300, at_least=False),
        Target("every IOV / level of detail, as sent (x)", every_iov / sent, 1, at_least=True),
        Target("navigation / empty figure (x)", t_history / t_empty, 1.5, at_least=False),
    ]
    return report(targets)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
