"""Serving throughput: a cached pinned plot against a trivial route, and the shared cache.

One run, one configuration: ``inspector serve --workers 2`` over the full-scale
demo database with a Redis shared cache (a ``redis-server`` started here on a
free loopback port, no persistence), driven by Debian's ``wrk`` on 127.0.0.1.

* **throughput**: ``wrk`` (bounded: :data:`SECONDS` s, :data:`CONNECTIONS`
  connections, gzip accepted like a browser) first at a pinned beam-spot
  history ``item.json`` (warm: served from the rendered-plot cache), then at
  ``/healthz`` of the same server.  Target (issue 8): the cached plot reaches
  at least half the trivial route's requests per second, i.e. serving a
  cached plot costs little more than the HTTP stack itself.
* **shared cache**: two single-worker servers (two processes that share
  nothing but Redis, as two machines would) ask for the same cold pinned
  history (each has drawn another plot first, so the processes are warm).
  The first computes it; the second finds the rendered plot in Redis.
  Also shown: a new view (another width) of the same data on the second
  server, which renders anew but reads the history reductions from Redis
  instead of decoding 1,000 payloads.

Numbers are printed; the only targets are the ratios above.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench_history import demo_database
from common import Target, report

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from live_servers import HttpServer, RedisServer, inspector_server, redis_server, require  # noqa: E402

TAG: Final = "BeamSpotObjects_PCL_byLumi_v1"
SNAPSHOT: Final = "2025-01-01T00:00:00Z"
SECONDS: Final = 4
CONNECTIONS: Final = 8
THREADS: Final = 2
GZIP: Final = {"Accept-Encoding": "gzip"}


def pinned(drawer: str, **view: int) -> str:
    """A permalink pinned to a past snapshot (cached for good once rendered)."""
    extra = "".join(f"&{key}={value}" for key, value in view.items())
    return f"/plot/{drawer}/item.json?tag={TAG}&snapshot={SNAPSHOT}{extra}"


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run measured."""

    path: str
    requests_per_second: float
    latency: str
    non_2xx: int


def run_wrk(server: HttpServer, path: str) -> WrkRun:
    """One bounded wrk run at ``path`` with gzip accepted."""
    command = [
        require("wrk"),
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{SECONDS}s",
        "--timeout=10s",
        "-H",
        "Accept-Encoding: gzip",
        server.origin + path,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 60, check=True)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", done.stdout, re.MULTILINE)
    latency = re.search(r"^\s+Latency\s+(\S+)", done.stdout, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if rate is None or latency is None:
        raise RuntimeError(f"unexpected wrk output:\n{done.stdout}\n{done.stderr}")
    return WrkRun(path, float(rate.group(1)), latency.group(1), int(bad.group(1)) if bad else 0)


def timed_get(server: HttpServer, path: str) -> float:
    """Seconds for one GET (gzip accepted), which must succeed."""
    started = time.perf_counter()
    status, body = server.get(path, timeout=120, **GZIP)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
    return elapsed


def wait_until_written(server: HttpServer, timeout: float = 10.0) -> None:
    """Until the server's writer thread has stored a rendered plot in Redis (write-behind)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = server.get("/_stats")
        counts = json.loads(body)["shared_cache"]["namespaces"] if status == 200 else {}
        if counts.get("rendered_pinned", {}).get("stored", 0) > 0:
            return
        time.sleep(0.01)
    raise RuntimeError(f"no rendered plot reached Redis within {timeout:g} s")


def write_config(folder: Path, database: Path, redis: RedisServer) -> Path:
    """The configuration both servers use: the demo database and the shared cache."""
    path = folder / "inspector.toml"
    path.write_text(
        f'[databases.demo]\npath = "{database}"\n\n[cache]\nredis_url = "{redis.url}"\n',
        encoding="utf-8",
    )
    return path


@contextlib.contextmanager
def bench_setup(database: Path) -> Iterator[tuple[Path, Path, RedisServer]]:
    """A temporary folder with a running Redis and the configuration."""
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as name:
        folder = Path(name)
        with redis_server(folder / "redis") as redis:
            yield folder, write_config(folder, database, redis), redis


def throughput(config: Path, folder: Path) -> tuple[WrkRun, WrkRun]:
    """wrk at a warm pinned plot, then at /healthz, of one 2-worker server."""
    plot = pinned("beamspot.position_x")
    with inspector_server(config, folder, ["--workers", "2"]) as server:
        for _ in range(4):  # both workers warm (the second from Redis)
            timed_get(server, plot)
        return run_wrk(server, plot), run_wrk(server, "/healthz")


def shared_speedup(config: Path, folder: Path, redis: RedisServer) -> tuple[float, float, float]:
    """Cold time on a first server, then the same plot and a new view on a second."""
    redis.flush()
    plot = pinned("beamspot.position_y")
    with (
        inspector_server(config, folder, ["--workers", "1"]) as first,
        inspector_server(config, folder, ["--workers", "1"]) as second,
    ):
        for server in (first, second):  # a first plot: imports and pools warm, not this data
            timed_get(server, f"/plot/beamspot.parameters/item.json?tag={TAG}")
        cold = timed_get(first, plot)
        wait_until_written(first)
        shared = timed_get(second, plot)
        new_view = timed_get(second, pinned("beamspot.position_y", width=700))
    return cold, shared, new_view


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "demo.sqlite")
    args = parser.parse_args(argv)
    database = demo_database(args.db).resolve()
    with bench_setup(database) as (folder, config, redis):
        plot, trivial = throughput(config, folder)
        cold, shared, new_view = shared_speedup(config, folder, redis)
    for run in (plot, trivial):
        print(
            f"  {run.path[:60]:<60} {run.requests_per_second:9.0f} req/s  "
            f"mean latency {run.latency:>8}  non-2xx {run.non_2xx}"
        )
    print(f"  (wrk: {SECONDS} s, {CONNECTIONS} connections, gzip; 2 gunicorn workers)")
    print(f"  cold pinned history, first server         {cold * 1e3:9.1f} ms")
    print(f"  same plot, second server (Redis hit)      {shared * 1e3:9.1f} ms")
    print(f"  new view, second server (Redis reductions) {new_view * 1e3:8.1f} ms")
    targets = [
        Target(
            "cached plot / healthz req/s (%)",
            100 * plot.requests_per_second / trivial.requests_per_second,
            50,
            at_least=True,
        ),
        Target("shared-cache speed-up, second server (x)", cold / shared, 5, at_least=True),
        Target("non-2xx responses", plot.non_2xx + trivial.non_2xx, 0, at_least=False),
    ]
    return report(targets)


if __name__ == "__main__":
    sys.exit(main())
