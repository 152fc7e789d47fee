"""``inspector serve`` under gunicorn, as real processes on free loopback ports.

- probes: ``/healthz`` always 200; ``/readyz`` 503 naming a missing database;
- ``/metrics`` of a 2-worker server sums both workers (every scrape, whichever
  worker answers it, counts every request), and the server's metrics folder
  is gone after it stops;
- SIGTERM while a slow request is in flight: the request completes and the
  server exits 0;
- access log lines on stderr carry the latency.

The slow request needs a drawer that waits: a launcher script registers a
tiny test plugin next to the installed ones and then runs the real
``inspector`` command line.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from live_servers import HttpServer, inspector_server
from prometheus_client.parser import text_string_to_metric_families

from inspector.web.settle import SWITCH_SECONDS

#: The slow test plugin's plot (on the hand-made database's run-based beam spot tag).
SLOW_PLOT = "slowtest.wait?tag=BS_run"

SLOW_PLUGIN = '''\
"""A drawer that marks when it starts, then takes SLOW_SECONDS (written by the test)."""
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from inspector.drawers import drawer
from inspector.plots import Table
from inspector.plugin import hookimpl


@drawer("slowtest.wait", title="Slow", payload_types="BeamSpotObjects", kind="single")
def wait(payload, params):
    Path(os.environ["SLOW_MARKER"]).touch()
    time.sleep(float(os.environ["SLOW_SECONDS"]))
    return Table(title="slow", columns={"x": np.zeros(1)})


@hookimpl
def register_drawers():
    return [wait]
'''

LAUNCHER = '''\
"""``inspector`` with the slow test plugin added (written by the test)."""
import sys

sys.path.insert(0, sys.argv.pop(1))

import slow_plugin
from inspector.cli import context
from inspector.plugin import load_plugins

context.load_plugins = lambda: load_plugins(extra=[("slowtest", slow_plugin)])

from inspector.cli.main import main

main()
'''


@pytest.fixture
def config(handmade_path: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(
        f'default_database = "hand"\n[databases.hand]\npath = "{handmade_path[0]}"\n'
        f'[databases.gone]\npath = "{tmp_path / "gone.sqlite"}"\n'
    )
    return path


def metric(server: HttpServer, name: str, **labels: str) -> float:
    status, body = server.get("/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_probes_and_metrics_summed_over_two_workers(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where the server makes its metrics folder
    with inspector_server(config, tmp_path, ["--workers", "2"]) as server:
        status, body = server.get("/readyz")
        assert status == 503 and b'"unready":["gone"]' in body
        # Fresh connections until both workers have answered (the access log names the pid).
        for _ in range(400):
            assert server.get("/healthz") == (200, b'{"status":"ok"}')
            pids = set(
                re.findall(r'"GET /healthz HTTP/1.1" 200 \d+ \d+ms <(\d+)>', server.log_tail(2000))
            )
            if len(pids) == 2:
                break
        assert len(pids) == 2, "one worker answered every request"
        # Each worker froze its start-up heap out of the collector's scans (inspector.web.settle).
        status, body = server.get("/_stats")
        answer = json.loads(body)
        assert status == 200 and answer["gc"]["frozen"] > 100_000
        assert answer["switch_interval_seconds"] == SWITCH_SECONDS
        time.sleep(0.3)  # the access log line is written after the response
        asked = len(re.findall(r'"GET /healthz HTTP/1.1" 200', server.log_tail(5000)))
        counts = {
            metric(
                server,
                "inspector_http_request_duration_seconds_count",
                endpoint="health.healthz",
                status="2xx",
            )
            for _ in range(6)
        }
        assert counts == {asked}, (counts, asked)  # each scrape, by either worker, sees both
        folders = list(tmp_path.glob("inspector-metrics-*"))
        assert len(folders) == 1 and len({p.name for p in folders[0].iterdir()}) >= 2
    assert not list(tmp_path.glob("inspector-metrics-*")), "metrics folder left behind"


@contextmanager
def slow_request_in_flight(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[HttpServer, dict[str, tuple[int, bytes]]]]:
    """A one-worker server (with the slow test plugin) and a 2 s request it has started.

    The request's status and body land in the dictionary once it is answered
    (the thread is joined on exit).
    """
    (tmp_path / "slow_plugin.py").write_text(SLOW_PLUGIN)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER)
    marker = tmp_path / "slow-started"
    monkeypatch.setenv("SLOW_MARKER", str(marker))
    monkeypatch.setenv("SLOW_SECONDS", "2")
    answer: dict[str, tuple[int, bytes]] = {}
    command = [sys.executable, str(launcher), str(tmp_path)]
    with inspector_server(config, tmp_path, ["--workers", "1"], command=command) as server:
        slow = threading.Thread(
            target=lambda: answer.setdefault("slow", server.get(f"/api/v1/plots/{SLOW_PLOT}"))
        )
        slow.start()
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.05)
        try:
            yield server, answer
        finally:
            slow.join(timeout=30)


def test_sigterm_lets_the_in_flight_request_finish(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with slow_request_in_flight(config, tmp_path, monkeypatch) as (server, answer):
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0, server.log_tail()
    assert answer["slow"][0] == 200, answer
    log = server.log.read_text()
    assert "Handling signal: term" in log
    assert re.search(r'"GET /api/v1/plots/slowtest.wait\?tag=BS_run HTTP/1.1" 200 \d+ (\d+)ms', log)


def test_sighup_lets_the_in_flight_request_finish_and_keeps_the_launchers_plugins(
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    handmade_path: tuple[Path, dict[str, str]],
) -> None:
    """The old worker answers its request; the new one has the new alias and the same plugins."""
    with slow_request_in_flight(config, tmp_path, monkeypatch) as (server, answer):
        config.write_text(f'{config.read_text()}[databases.more]\npath = "{handmade_path[0]}"\n')
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while b'"alias":"more"' not in server.get("/api/v1")[1]:
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.05)
        # The new worker's plugins are the launcher's, not only the installed ones.
        assert b'"id":"slowtest.wait"' in server.get("/api/v1/drawers")[1]
    assert answer["slow"][0] == 200, answer
    log = server.log.read_text()
    assert "reloaded configuration: aliases +more" in log
    assert log.index("Worker exiting") > log.index("Hang up")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--workers", "0"], "--workers"), (["--graceful-timeout", "-1"], "--graceful-timeout")],
)
def test_bad_serve_options_exit_2_before_starting(
    config: Path, args: list[str], message: str
) -> None:
    from click.testing import CliRunner

    from inspector.cli.main import cli

    result = CliRunner().invoke(cli, ["--config", str(config), "serve", *args])
    assert result.exit_code == 2 and message in result.output
