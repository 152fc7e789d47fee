"""The abuses of issue 18, each driven at a real ``inspector serve --workers 2``.

One *abuse* is what a hostile anonymous client does to one server: made-up
HTTP methods, PNGs of random sizes, a distinct ``snapshot=`` per request on
a long tag's IOV list, distinct pinned renders, ``Prefer: respond-sync`` on
histories, hostile numbers in every argument, a slowloris (through the
documented nginx, as deployed).  Each is sent by Debian's ``wrk`` (or, for
the slowloris, :mod:`slow_clients`) for a fixed time while a probe asks
``/healthz`` on fresh connections every 50 ms; what the abuse did is one
:class:`AbuseRow`:

* the memory of the whole server (gunicorn master, workers and their
  browsers; proportional set size) before and after,
* ``/healthz`` p50/p99 during the abuse,
* the statuses the abuse got: ``503`` with ``Retry-After`` is the designed
  refusal of admission (counted apart), any other 5xx is an error.

Used by ``tests/reliability/test_abuse.py`` (fast profile in ``make test``,
60 s in ``make stress``) and by ``python tests/abuse.py`` to print the
table of docs/reliability.md for the checkout (or another commit's, through
``--pythonpath``), so the numbers before and after come from one machine.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_servers import HttpServer, inspector_server, nginx_proxy, require
from slow_clients import ProbeRun, probe, slowloris

from inspector.render.png_settings import PngSettings

__all__ = [
    "ABUSES",
    "Abuse",
    "AbuseRow",
    "Memory",
    "abuse_config",
    "abuse_databases",
    "run_abuse",
    "server_memory",
]

MiB: Final = 1024 * 1024

#: Plots pinned here never change: after every insertion of the demo databases.
SNAPSHOT: Final = "2025-01-01T00:00:00Z"

#: The second database: one run-based tag of 10,000 IOVs (``tests/long_tags.py``).
LONG_DB: Final = "long"
PIXELS: Final = "tag=SiPixelGainCalibrationHLT_2024_v1"

#: Quiet time before each abuse (see :func:`run_abuse`).
SETTLE_SECONDS: Final = 2.0


@dataclass(frozen=True)
class Abuse:
    """One hostile pattern: a name, what it sends, and the Lua that makes each request.

    ``lua`` is the body of a function returning ``method, path, headers``;
    ``n`` is a counter distinct per request and ``id`` the wrk thread.
    """

    name: str
    what: str
    lua: str = ""
    connections: int = 32
    #: A slowloris instead of wrk: ``connections`` held connections, through nginx.
    slowloris: bool = False
    #: Made-up methods instead of wrk (whose request parser refuses them), from threads.
    methods: bool = False
    #: How long wrk waits for one answer: the longest the server may take to give one.
    #: A socket error is then an answer the server owed and did not give.
    timeout_seconds: float = 10.0


ABUSES: Final[tuple[Abuse, ...]] = (
    Abuse(
        "made-up methods",
        "`<10 random letters> /healthz`: a new HTTP method per request",
        connections=16,
        methods=True,
    ),
    Abuse(
        "PNGs of random sizes",
        "`/plot/pixels.gain_distribution/export.png?width=W&height=H`, W, H in 100-2000",
        f"""
        return "GET", string.format(
          "/plot/pixels.gain_distribution/export.png?db=demo&{PIXELS}&width=%d&height=%d",
          math.random(100, 2000), math.random(100, 2000)), {{}}
        """,
        # An admitted PNG may take up to [png] timeout: its browser runs at idle priority,
        # so while the refusals keep both cores busy it draws slowly (60 s: 13 of 13 > 10 s).
        timeout_seconds=PngSettings().timeout + 15,
    ),
    Abuse(
        "distinct snapshots",
        "`/api/v1/tags/BS_long/iovs?page[size]=1&snapshot=<new>` (a 10,000-IOV list each)",
        """
        return "GET", string.format(
          "/api/v1/tags/BS_long/iovs?page%%5Bsize%%5D=1&snapshot=2026-01-01T%02d:%02d:%02d.%06dZ",
          id % 24, math.floor(n / 60) % 60, n % 60, math.random(0, 999999)), {}
        """,
    ),
    Abuse(
        "distinct pinned renders",
        "`/plot/pixels.gain_distribution/item.json?bins=<new>&high=<new>&snapshot=…`",
        f"""
        return "GET", string.format(
          "/plot/pixels.gain_distribution/item.json?db=demo&{PIXELS}&bins=%d&high=%d.%d"
          .. "&snapshot={SNAPSHOT}", math.random(1, 500), math.random(4, 8), n % 10), {{}}
        """,
    ),
    Abuse(
        "forced sync histories",
        "`Prefer: respond-sync` on `/api/v1/plots/beamspot.position_x` of the 10,000-IOV tag, "
        "a new range each",
        """
        return "GET", string.format(
          "/api/v1/plots/beamspot.position_x?tag=BS_long&since=%d&until=%d",
          100 + math.random(0, 999), 5000 + n % 5000), {["Prefer"] = "respond-sync"}
        """,
    ),
    Abuse(
        "hostile numbers",
        "`inf`, 2^64, -1 and 10^30 as since, until, run, page and size on plots, IOV lists, "
        "runs and diffs",
        """
        local bad = {"inf", "-inf", "18446744073709551616", "-1", "1e30",
                     "9223372036854775808", "nan", "0x10"}
        local b = bad[math.random(#bad)]
        local paths = {
          "/api/v1/plots/beamspot.position_x?tag=BS_long&since=" .. b,
          "/api/v1/plots/beamspot.position_x?tag=BS_long&until=" .. b,
          "/api/v1/tags/BS_long/iovs?since=" .. b,
          "/api/v1/tags/BS_long/iovs?page%5Bsize%5D=" .. b,
          "/api/v1/tags/BS_long/iovs?page%5Bnumber%5D=" .. b,
          "/runs/" .. b,
          "/api/v1/diff/tags?a=BS_long&b=BS_long&since=" .. b,
          "/plot/beamspot.position_x/export.csv?tag=BS_long&since=" .. b,
        }
        return "GET", paths[math.random(#paths)], {}
        """,
    ),
    Abuse(
        "slowloris through nginx",
        "40 connections sending a header line a second, never finishing, "
        "through the nginx block of docs/deploy.md",
        connections=40,
        slowloris=True,
    ),
)


@dataclass(frozen=True)
class AbuseRow:
    """What one abuse did to the server (memory: PSS in MiB; latencies in ms)."""

    abuse: str
    seconds: float
    connections: int
    requests: int
    memory_before_mib: float
    memory_after_mib: float
    browsers_after_mib: float
    healthz_probes: int
    healthz_p50_ms: float
    healthz_p99_ms: float
    healthz_errors: int
    statuses: Mapping[str, int] = field(default_factory=dict)
    socket_errors: int = 0

    @property
    def refused(self) -> int:
        """Designed refusals: 503 (admission, with ``Retry-After``) and 429 (rate limits)."""
        return self.statuses.get("503", 0) + self.statuses.get("429", 0)

    @property
    def server_errors(self) -> int:
        """5xx that are not the admission's 503: failures."""
        return sum(n for s, n in self.statuses.items() if s.startswith("5") and s != "503")

    def markdown(self) -> str:
        """One row of the docs' table."""
        counts = ", ".join(f"{n:,} × {s}" for s, n in sorted(self.statuses.items())) or "—"
        browsers = f" (+ browsers {self.browsers_after_mib:.0f})" if self.browsers_after_mib else ""
        return (
            f"| {self.abuse} | {self.seconds:.0f} s, {self.connections} conn., "
            f"{self.requests:,} requests "
            f"| {self.memory_before_mib:.0f} → {self.memory_after_mib:.0f}{browsers} "
            f"| {self.healthz_p50_ms:.1f} / {self.healthz_p99_ms:.1f} ms "
            f"({self.healthz_probes} probes, {self.healthz_errors} failed) | {counts} "
            f"| {self.server_errors} |"
        )


TABLE_HEADER: Final = (
    "| abuse | load | server memory (PSS, MiB) before → after | `/healthz` p50 / p99 during "
    "| statuses | 5xx but 503 |\n| --- | --- | --- | --- | --- | --- |"
)


# -- the server ------------------------------------------------------------------------------


def abuse_databases(folder: Path) -> tuple[Path, Path]:
    """The demo database and the 10,000-IOV tag's, built in ``folder``."""
    from long_tags import build_long_tag

    from inspector.demo import build_demo_database

    demo, long = folder / "demo.sqlite", folder / "long.sqlite"
    if not demo.exists():
        build_demo_database(demo, seed=3, scale=0.02)
    if not long.exists():
        build_long_tag(long)
    return demo, long


def abuse_config(folder: Path, demo: Path, long: Path, extra: str = "") -> Path:
    """A configuration with defaults (budgets, admission): the long tag's database by default."""
    path = folder / "inspector.toml"
    path.write_text(
        f'default_database = "{LONG_DB}"\n'
        f'[databases.{LONG_DB}]\npath = "{long}"\n[databases.demo]\npath = "{demo}"\n{extra}',
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class Memory:
    """Proportional set sizes (PSS, bytes) of a server's processes.

    PSS, not RSS: summing resident sets would count shared pages (the forked
    workers' copy-on-write ones, Chromium's) once per process.
    """

    #: the gunicorn master and its workers: what the cache budgets bound
    server: int
    #: everything those start (the headless browser of PNG exports, one per worker)
    browsers: int


def _pss(pid: int) -> int:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    pss = [line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")]
    return int(pss[0]) * 1024 if pss else 0  # a zombie has none


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(c) for task in tasks for c in (task / "children").read_text().split()]


def _exe(pid: int) -> str:
    with contextlib.suppress(OSError):
        return str(Path(f"/proc/{pid}/exe").readlink())
    return ""


def server_memory(pid: int) -> Memory:
    """The memory of the server whose master is ``pid``: its Python processes, and the rest."""
    server = browsers = 0
    python = _exe(pid)
    pending = [(pid, True)]
    while pending:
        current, ours = pending.pop()
        with contextlib.suppress(OSError):  # a process may end while it is read
            size = _pss(current)
            ours = ours and _exe(current) == python
            server += size if ours else 0
            browsers += 0 if ours else size
            pending.extend((child, ours) for child in _children(current))
    return Memory(server, browsers)


# -- one abuse -------------------------------------------------------------------------------


def lua_script(abuse: Abuse) -> str:
    """The wrk script: ``abuse.lua`` makes each request; statuses gathered in ``done()``."""
    return textwrap.dedent(
        """\
        -- Written by tests/abuse.py.
        local threads = {}
        function setup(thread)
          table.insert(threads, thread)
          thread:set("id", #threads)
        end
        function init(args)
          math.randomseed(7919 * id)
          statuses = {}
          n = 0
        end
        local function make()
        %s
        end
        function request()
          n = n + 1
          local method, path, headers = make()
          return wrk.format(method, path, headers)
        end
        function response(status, headers, body)
          statuses[status] = (statuses[status] or 0) + 1
        end
        function done(summary, latency, requests)
          local all, parts = {}, {}
          for _, thread in ipairs(threads) do
            for k, v in pairs(thread:get("statuses")) do all[k] = (all[k] or 0) + v end
          end
          for k, v in pairs(all) do table.insert(parts, string.format('"%%d":%%d', k, v)) end
          local e = summary.errors
          io.write(string.format('ABUSE {"requests":%%d,"socket_errors":%%d,"statuses":{%%s}}\\n',
            summary.requests, e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
        end
        """
    ) % textwrap.indent(textwrap.dedent(abuse.lua).strip(), "  ")


def _wrk(abuse: Abuse, origin: str, seconds: float, folder: Path) -> dict[str, object]:
    script = folder / f"abuse-{abuse.name.replace(' ', '-')}.lua"
    script.write_text(lua_script(abuse), encoding="utf-8")
    done = subprocess.run(
        [
            require("wrk"), "-t", "2", "-c", str(abuse.connections), "-d", f"{seconds:.0f}s",
            "--timeout", f"{abuse.timeout_seconds:.0f}s", "-s", str(script), origin,
        ],
        capture_output=True, text=True, timeout=seconds + abuse.timeout_seconds + 60, check=False,
    )  # fmt: skip
    for line in done.stdout.splitlines():
        if line.startswith("ABUSE "):
            result: dict[str, object] = json.loads(line.removeprefix("ABUSE "))
            return result
    raise RuntimeError(f"wrk gave no summary:\n{done.stdout}\n{done.stderr}")


def _made_up_methods(origin: str, connections: int, seconds: float) -> dict[str, object]:
    """``connections`` keep-alive clients each sending a new 10-letter method per request."""
    parts = urlsplit(origin)
    statuses: Counter[str] = Counter()
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        chooser = random.Random(seed)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        while time.monotonic() < deadline:
            method = "".join(chooser.choices(string.ascii_uppercase, k=10))
            try:
                connection.request(method, "/healthz")
                response = connection.getresponse()
                response.read()
                status = str(response.status)
            except OSError:
                connection.close()
                status = ""
            with lock:
                if status:
                    statuses[status] += 1
                else:
                    errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sum(statuses.values())
    return {"requests": sent, "statuses": dict(statuses), "socket_errors": errors[0]}


def _probing(origin: str, seconds: float) -> tuple[threading.Thread, list[ProbeRun]]:
    runs: list[ProbeRun] = []
    thread = threading.Thread(
        target=lambda: runs.append(probe(origin, "/healthz", seconds, timeout=10.0)),
        name="healthz-probe",
    )
    thread.start()
    return thread, runs


def run_abuse(server: HttpServer, abuse: Abuse, seconds: float, folder: Path) -> AbuseRow:
    """Send ``abuse`` at ``server`` for ``seconds`` while probing ``/healthz``; what it did.

    It starts :data:`SETTLE_SECONDS` after the call, so that work the previous
    abuse left behind (PNGs still drawing, jobs) is not charged to this one.
    """
    time.sleep(SETTLE_SECONDS)
    before = server_memory(server.process.pid)
    if abuse.slowloris:
        require("nginx")
        port = int(server.origin.rsplit(":", 1)[1])
        proxy = nginx_proxy(folder / "nginx", port)
        with proxy as front, slowloris(front.origin, abuse.connections):
            run = probe(front.origin, "/healthz", seconds, timeout=10.0)
        sent: dict[str, object] = {"requests": 0, "statuses": {}, "socket_errors": 0}
    else:
        thread, runs = _probing(server.origin, seconds)
        if abuse.methods:
            sent = _made_up_methods(server.origin, abuse.connections, seconds)
        else:
            sent = _wrk(abuse, server.origin, seconds, folder)
        thread.join()
        run = runs[0]
    after = server_memory(server.process.pid)
    statuses = sent["statuses"]
    assert isinstance(statuses, dict)
    return AbuseRow(
        abuse=abuse.name,
        seconds=seconds,
        connections=abuse.connections,
        requests=int(str(sent["requests"])),
        memory_before_mib=before.server / MiB,
        memory_after_mib=after.server / MiB,
        browsers_after_mib=after.browsers / MiB,
        healthz_probes=len(run.latencies),
        healthz_p50_ms=run.quantile(0.5) * 1e3,
        healthz_p99_ms=run.quantile(0.99) * 1e3,
        healthz_errors=run.errors,
        statuses={str(k): int(v) for k, v in statuses.items()},
        socket_errors=int(str(sent["socket_errors"])),
    )


#: Asked before the first abuse, so "before" is a warm server, not a cold one.
WARM_UP: Final = (
    "/api/v1/tags/BS_long/iovs?page%5Bsize%5D=1",
    f"/plot/pixels.gain_distribution/item.json?db=demo&{PIXELS}&snapshot={SNAPSHOT}",
    "/api/v1/plots/beamspot.position_x?tag=BS_long",
    f"/plot/pixels.gain_distribution/export.png?db=demo&{PIXELS}",
)


@contextlib.contextmanager
def abuse_server(folder: Path, extra_config: str = "", workers: int = 2) -> Iterator[HttpServer]:
    """``inspector serve --workers 2`` over the abuse databases, warmed up."""
    demo, long = abuse_databases(folder)
    config = abuse_config(folder, demo, long, extra_config)
    with inspector_server(config, folder, ["--workers", str(workers)]) as server:
        for path in WARM_UP:
            for _ in range(2):  # both workers, likely
                server.get(path, timeout=60)
        yield server


def run_all(
    folder: Path,
    seconds: float,
    abuses: Sequence[Abuse] = ABUSES,
    extra_config: str = "",
    workers: int = 2,
) -> list[AbuseRow]:
    """Every abuse in turn at one server (the order of :data:`ABUSES`)."""
    with abuse_server(folder, extra_config, workers) as server:
        return [run_abuse(server, abuse, seconds, folder) for abuse in abuses]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the docs' table for this checkout, or for ``--pythonpath`` (another commit)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pythonpath", help="serve this checkout instead (e.g. a worktree)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--extra", default="", help="TOML appended to the configuration")
    parser.add_argument("--only", action="append", help="run only this abuse (repeatable)")
    args = parser.parse_args(argv)
    if args.pythonpath:
        os.environ["PYTHONPATH"] = args.pythonpath
    with tempfile.TemporaryDirectory(prefix="abuse-") as tmp:
        chosen = [a for a in ABUSES if not args.only or a.name in args.only]
        rows = run_all(
            Path(tmp), args.seconds, chosen, args.extra.replace("\\n", "\n"), args.workers
        )
    print(TABLE_HEADER)
    for row in rows:
        print(row.markdown())
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
