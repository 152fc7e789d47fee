"""A beam spot history over the 10,500-IOV / 1,000-payload demo tag.

Measured in one run on the full-scale demo database:

* **cold**: a fresh engine (empty caches) computes ``beamspot.position_x``;
* **warm**: the same request again on that engine;
* **baseline**: what the CMS tool does: for every IOV fetch and decode its
  payload and read x, with no per-hash reuse.

Targets (issue 4): cold < 0.5 s, warm < 20 ms, cold at least 20x faster than
the baseline.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

from common import Target, best_of, report

from inspector.config import Config, DatabaseConfig
from inspector.engine import Engine, PlotRequest
from inspector.payload import decode
from inspector.plugin import load_plugins

TAG = "BeamSpotObjects_PCL_byLumi_v1"
ROOT = Path(__file__).resolve().parents[1]


def demo_database(path: Path) -> Path:
    """The full-scale demo database, built first if missing."""
    if not path.exists():
        from inspector.demo import build_demo_database

        print(f"building the demo database at {path} ...", flush=True)
        build_demo_database(path)
    return path


def baseline(engine: Engine) -> int:
    """Decode the payload of every IOV, one by one, as the CMS tool does."""
    db = engine.database("demo")
    iovs = db.iovs(TAG)
    schemas = engine.plugins.schemas
    total = 0
    for h in iovs.payload_hash:
        payload = db.payload(str(h))
        decoded = decode(payload.data, schemas.get(payload.object_type, payload.version))
        total += float(decoded["position_"][0]) > 0
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "demo.sqlite")
    args = parser.parse_args(argv)
    path = demo_database(args.db)
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{path.resolve()}")}, "demo")
    plugins = load_plugins()
    request = PlotRequest(drawer="beamspot.position_x", tag=TAG, db="demo")

    colds = []
    for _ in range(5):  # best of five fresh engines: a cold run is ~0.1 s, and jittery
        engine = Engine(config, plugins)
        start = time.perf_counter()
        plot = engine.plot(request)
        colds.append(time.perf_counter() - start)
        warm = best_of(functools.partial(engine.plot, request), repeat=20)
        engine.close()
    cold = min(colds)
    n_iovs = len(plot.since)  # type: ignore[attr-defined]
    n_payloads = len(set(plot.payload_hash))  # type: ignore[attr-defined]

    engine = Engine(config, plugins)
    t_base = best_of(lambda: baseline(engine), repeat=3)  # best of three, as the cold runs
    engine.close()

    print(f"history of {n_iovs:,} IOVs over {n_payloads:,} distinct payloads ({TAG})")
    print(f"  cold (empty caches)        {cold * 1e3:9.1f} ms")
    print(f"  warm                       {warm * 1e3:9.2f} ms")
    print(f"  baseline (decode per IOV)  {t_base * 1e3:9.1f} ms")
    targets = [
        Target("cold time (ms)", cold * 1e3, 500, at_least=False),
        Target("warm time (ms)", warm * 1e3, 20, at_least=False),
        Target("cold speed-up over the baseline (x)", t_base / cold, 20, at_least=True),
    ]
    return report(targets)


if __name__ == "__main__":
    sys.exit(main())
