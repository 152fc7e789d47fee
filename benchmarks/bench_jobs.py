"""Deciding whether a plot is heavy, and following it, must cost next to nothing.

Measured in one run on the full-scale demo database, for the two histories
that bracket the cases: 1,000 small beam-spot payloads and 20 large (10 MB)
strip-noise payloads.

* **cold**: the history on a fresh engine (empty caches);
* **estimated first**: ``Engine.unreduced_payloads`` (IOVs and PAYLOAD
  metadata, no blob: what the web layer asks before every history), then
  the history, on a fresh engine; the IOV list it reads is reused;
* **with progress**: the history reporting ``progress(done, total)`` per payload.

Targets: estimating first adds at most 10% to the cold history it guards, and
per-payload progress at most 10%.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench_history import ROOT, demo_database
from common import Target, report

from inspector.config import Config, DatabaseConfig
from inspector.engine import Engine, PlotRequest
from inspector.plugin import Plugins, load_plugins

CASES = (
    ("beamspot.position_x", "BeamSpotObjects_PCL_byLumi_v1"),
    ("strips.mean_noise_history", "SiStripNoise_prompt_v1"),
)


def _cold(
    config: Config, plugins: Plugins, request: PlotRequest, *, estimate: bool, progress: bool
) -> float:
    """Best of three cold histories (a fresh engine each time)."""
    best = float("inf")
    for _ in range(3):
        engine = Engine(config, plugins)
        engine.database("demo")  # opening the database is not what is measured
        start = time.perf_counter()
        if estimate:
            engine.unreduced_payloads(request)
        engine.plot(request, (lambda done, total: None) if progress else None)
        best = min(best, time.perf_counter() - start)
        engine.close()
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "demo.sqlite")
    args = parser.parse_args(argv)
    path = demo_database(args.db)
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{path.resolve()}")}, "demo")
    plugins = load_plugins()
    targets = []
    for drawer, tag in CASES:
        request = PlotRequest(drawer=drawer, tag=tag, db="demo")
        cold = _cold(config, plugins, request, estimate=False, progress=False)
        estimated = _cold(config, plugins, request, estimate=True, progress=False)
        followed = _cold(config, plugins, request, estimate=False, progress=True)
        print(f"{drawer} over {tag}")
        print(f"  cold history               {cold * 1e3:9.1f} ms")
        print(f"  estimated first            {estimated * 1e3:9.1f} ms")
        print(f"  with progress              {followed * 1e3:9.1f} ms")
        name = tag[:24]
        targets += [
            Target(f"{name}: estimate overhead (%)", 100 * (estimated / cold - 1), 10, False),
            Target(f"{name}: progress overhead (%)", 100 * (followed / cold - 1), 10, False),
        ]
    return report(targets)


if __name__ == "__main__":
    sys.exit(main())
