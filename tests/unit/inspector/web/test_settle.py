"""A served worker's heap after start-up: frozen out of the collector's scans, warm.

Run in a fresh interpreter: in the test process numba and Bokeh were warmed
long before by other tests, so only a new process shows what a worker's
first request would otherwise build (some 52,000 objects left to every full
collection).  ``inspector serve`` calling it in each worker is checked in
``tests/unit/inspector/cli/test_gunicorn_server.py`` (``/_stats``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from inspector.web.settle import SWITCH_SECONDS

SCRIPT = """
import gc, json, sys
from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.settle import settle

app = create_app(Config({"demo": DatabaseConfig("demo", "sqlite:///" + sys.argv[1])}, "demo"),
                 load_plugins())
frozen = settle(app)
status = app.test_client().get(
    "/plot/beamspot.parameters/item.json?tag=BeamSpotObjects_PCL_byLumi_v1"
    "&snapshot=2025-01-01T00:00:00Z").status_code
gc.collect()
print(json.dumps({"frozen": frozen, "count": gc.get_freeze_count(), "status": status,
                  "switch": sys.getswitchinterval(),
                  "outside": len(gc.get_objects())}))
"""


def test_settle_freezes_start_up_and_a_first_plot_leaves_little_for_the_collector(
    demo_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(demo_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["status"] == 200
    assert found["switch"] == SWITCH_SECONDS
    assert found["frozen"] > 100_000 and found["count"] > 100_000, found  # refcounts free a few
    # What the first plot built outside the frozen heap: ~1,800 (52,000 without the warm-up).
    assert found["outside"] < 10_000, found
