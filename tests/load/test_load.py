"""Load: ``inspector serve --workers 2`` under wrk, with small known cache budgets.

Why a real server and a real load generator: the Flask test client runs
requests one at a time in the test's own process, so it can show neither
what concurrent requests do to the single-flight caches nor how much memory
a server holds after thousands of requests.  Here the server is started as
users start it, ``inspector --config inspector.toml serve --workers 2``
(gunicorn, :func:`live_servers.inspector_server`), on a free 127.0.0.1 port
over the demo database, with the cache budgets written into the
configuration's ``[engine]`` and ``[cache]`` tables; Debian's ``wrk``
drives it with a weighted mix of what people ask for:

- pinned plots (``item.json`` with a snapshot in the past) — the permalinks
  pasted in meetings; after warm-up they must come from the rendered-plot
  cache;
- unpinned plots whose ``bins``/``high`` vary, so most requests are new and
  run a drawer for real;
- API listings (tags, one tag's IOVs);
- a few requests for an unknown tag, which must be 404 and nothing worse.

What is asserted: no status other than 200 and the 404s that were asked for,
no socket error or timeout, no worker replaced during the run, the memory of
the whole server (PSS of the gunicorn master and its workers,
:func:`abuse.server_memory`, sampled during the run) within the baseline
measured after warm-up plus every worker's cache budgets plus
:data:`MARGIN_BYTES`, and a high hit rate of the pinned-plot cache.

**Per worker.** Each worker keeps its own caches and ``/_stats`` is
answered by whichever worker accepts the connection, naming itself
(``pid``).  So warm-up repeats its requests until the access log shows every
URL answered by every worker; during the run ``/_stats`` is sampled with
the memory, and each worker's counters are read from its own first and
last answers: hit rates are summed over workers from those windows (the
few requests a worker answered before its first sample or after its last
are not counted, none twice), and every answer must report the budgets of
the configuration.  An idle gunicorn lets one worker accept every new
connection, which is why nothing per worker is read after the run.

The figures are printed and written to ``test-artifacts/load/<profile>.json``;
docs/reliability.md quotes them.

Profiles: ``fast`` (5 s, 8 connections) runs in ``make test``; ``long``
(60 s, 32 connections) runs when ``INSPECTOR_STRESS=1`` (``make stress``).
Every wrk run is bounded by ``-d`` and ``--timeout`` and the subprocess call
itself by a timeout; the server is stopped by its context manager whatever
happens.  No traffic leaves 127.0.0.1 (requests ignore proxy settings).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

import pytest
from abuse import Memory, server_memory
from live_servers import HttpServer, inspector_server, require

MiB: Final = 1 << 20

# -- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """One wrk run: how long, how many connections, how long one request may take."""

    name: str
    seconds: int
    connections: int
    threads: int
    timeout_seconds: int


FAST: Final = Profile("fast", seconds=5, connections=8, threads=2, timeout_seconds=10)
LONG: Final = Profile("long", seconds=60, connections=32, threads=4, timeout_seconds=20)
PROFILE: Final = LONG if os.environ.get("INSPECTOR_STRESS") == "1" else FAST

#: gunicorn worker processes (``inspector serve --workers``).
WORKERS: Final = 2

#: Budgets of the configuration (MiB), per worker: small, so that the memory
#: bound means something, yet holding this mix's working set (measured: 46
#: MiB of decoded payloads in 30 entries — two strip-noise payloads of 17.9
#: MiB each, pixels, ECAL, alignment, beam spots — and 0.7 MiB of rendered
#: pinned plots), so a warm pinned plot is a cache hit rather than an
#: eviction casualty.
ENGINE_MB: Final = {"decoded_cache_mb": 64, "reduction_cache_mb": 8, "iov_cache_mb": 8}

#: Admission, written out although these are the defaults: each worker works
#: on ``workers x admitted_per_worker`` expensive requests (cold plots, IOV
#: lists read from the database) at once and answers one more with 503 and
#: ``Retry-After`` (docs/reliability.md, bounded caches and admission).
ADMISSION: Final = {"workers": 4, "admitted_per_worker": 2}
SLOTS_PER_WORKER: Final = ADMISSION["workers"] * ADMISSION["admitted_per_worker"]
CACHE_MB: Final = {"rendered_mb": 8, "plots_mb": 8, "documents_mb": 8}

#: The byte budget every worker's ``/_stats`` must report for each cache,
#: as docs/configuration.md says the keys above set them.
EXPECTED_BUDGETS: Final = {
    "decoded": ENGINE_MB["decoded_cache_mb"] * MiB,
    "reductions": ENGINE_MB["reduction_cache_mb"] * MiB,
    "iovs": ENGINE_MB["iov_cache_mb"] * MiB,
    "rendered_pinned": CACHE_MB["rendered_mb"] * MiB,
    "rendered_latest": CACHE_MB["rendered_mb"] * MiB // 4,
    "plots": CACHE_MB["plots_mb"] * MiB,
    "api_plot_documents": CACHE_MB["documents_mb"] * MiB,
}

#: Memory allowed above "baseline after warm-up + every worker's budgets".
#: What it covers, none of it bounded in bytes by a cache: drawer runs'
#: transient arrays (4 drawer threads per worker), up to 12 request threads
#: per worker with their stacks and possibly a malloc arena each (glibc
#: allows 8 arenas per core, so more cores mean more retained memory), and
#: freed memory glibc keeps for reuse, in each worker.  Measured on a
#: 2-core machine (docs/reliability.md, load section): the whole server's
#: PSS rose 10-21 MiB above the warm baseline (616-646 MiB) in the fast
#: profile and 35 MiB in the long one, then stayed level; the warm baseline
#: already holds what warm-up's cold drawers left behind (each worker's
#: high-water mark, 500-665 MiB, is set then).  Budgets plus margin leave
#: 370 MiB above the baseline: a leak of about 37 KiB per request (some
#: 10,000 requests in the long profile) breaks the bound.
MARGIN_BYTES: Final = 150 * MiB

#: A snapshot after every insertion in the demo database and in the past:
#: plots pinned to it never change, so they are cached for good.
SNAPSHOT: Final = "2025-01-01T00:00:00Z"

#: The pinned-plot cache of every worker must answer at least this share of
#: its lookups during the run (every pinned URL was warmed in every worker).
MIN_PINNED_HIT_RATE: Final = 0.8

#: How often the sampler reads the server's memory and ``/_stats``.
SAMPLE_SECONDS: Final = 0.25

#: Warm-up: concurrent clients, and rounds of the URLs before giving up on
#: reaching every worker.
WARM_CLIENTS: Final = 4
WARM_ROUNDS: Final = 40

ARTIFACTS: Final = Path(__file__).resolve().parents[2] / "test-artifacts" / "load"

# -- the URL mix ---------------------------------------------------------------------------


def _pinned(drawer: str, tag: str) -> str:
    return f"/plot/{drawer}/item.json?tag={tag}&snapshot={SNAPSHOT}"


#: Permalinks people open again and again: histories, detector maps, tables.
PINNED_URLS: Final = (
    _pinned("beamspot.position_x", "BeamSpotObjects_PCL_byLumi_v1"),
    _pinned("beamspot.parameters", "BeamSpotObjects_PCL_byLumi_v1"),
    _pinned("strips.mean_noise_history", "SiStripNoise_prompt_v1"),
    _pinned("maps.strip_noise", "SiStripNoise_prompt_v1"),
    _pinned("maps.pixel_barrel", "SiPixelGainCalibrationHLT_2024_v1"),
    _pinned("ecal.pedestal_barrel_map", "EcalPedestals_hlt_v1"),
    _pinned("ecal.pedestal_history", "EcalPedestals_hlt_v1"),
    _pinned("pixels.gain_distribution", "SiPixelGainCalibrationHLT_2024_v1"),
    _pinned("alignment.mean_position_history", "TrackerAlignment_prompt_v1"),
)

#: Unpinned plots with a varying parameter: ``%d`` bins, ``%s`` upper edge.
#: Pixel histograms are used because they run in tens of milliseconds; the
#: strip-noise histogram costs seconds per run (see docs/reliability.md) and
#: would measure that drawer rather than the server.
UNCACHED_TEMPLATES: Final = (
    "/plot/pixels.gain_distribution/item.json?tag=SiPixelGainCalibrationHLT_2024_v1&bins=%d&high=%s",
    "/plot/pixels.pedestal_distribution/item.json?tag=SiPixelGainCalibrationHLT_2024_v1"
    "&bins=%d&high=%s",
)

#: JSON:API listings (``page[size]`` percent-encoded as a browser sends it).
LISTING_URLS: Final = (
    "/api/v1/tags?page%5Bsize%5D=5",
    "/api/v1/tags?page%5Bsize%5D=50",
    "/api/v1/tags?filter%5Bobject_type%5D=SiStripNoises",
    "/api/v1/tags/BeamSpotObjects_PCL_byLumi_v1/iovs",
    "/api/v1/tags/BeamSpotObjects_PCL_byLumi_v1/iovs?page%5Bsize%5D=20",
    "/api/v1/tags/SiStripNoise_prompt_v1/iovs",
    "/api/v1/tags/EcalPedestals_hlt_v1/iovs",
)

#: Deliberate client errors: an unknown tag, through the API and a plot.
BAD_URLS: Final = (
    "/api/v1/tags/NoSuchTag_v0/iovs",
    "/plot/beamspot.position_x/item.json?tag=NoSuchTag_v0",
)
BAD_STATUS: Final = 404
#: The admission's refusal: possible only when one worker can be handed more
#: connections than it has slots (gunicorn gives a connection to whichever
#: worker accepts first), never for a pinned plot served from the cache.
REFUSED_STATUS: Final = 503

#: Percent of requests of each kind (they add up to 100).
WEIGHTS: Final = {"pinned": 55, "uncached": 15, "listing": 25, "bad": 5}


def _lua_list(items: tuple[str, ...]) -> str:
    return "{" + ", ".join(json.dumps(item) for item in items) + "}"


def lua_script() -> str:
    """The wrk script: weighted random requests, per-status counts, a JSON summary.

    wrk runs one Lua state per thread, so counts live in each thread and
    ``done()`` gathers them with ``thread:get``.  The summary is one line
    starting with ``LOADTEST`` so the test need not trust wrk's text layout
    for anything but a cross-check.
    """
    assert sum(WEIGHTS.values()) == 100
    cut_pinned = WEIGHTS["pinned"]
    cut_uncached = cut_pinned + WEIGHTS["uncached"]
    cut_listing = cut_uncached + WEIGHTS["listing"]
    return textwrap.dedent(
        f"""\
        -- Written by tests/load/test_load.py; see its docstring.
        local pinned = {_lua_list(PINNED_URLS)}
        local uncached = {_lua_list(UNCACHED_TEMPLATES)}
        local listing = {_lua_list(LISTING_URLS)}
        local bad = {_lua_list(BAD_URLS)}
        local threads = {{}}

        function setup(thread)
          table.insert(threads, thread)
          thread:set("id", #threads)
        end

        function init(args)
          math.randomseed(7919 * id)
          statuses = {{}}
          issued = {{pinned = 0, uncached = 0, listing = 0, bad = 0}}
          refused = 0
        end

        local function pick(list)
          return list[math.random(#list)]
        end

        function request()
          local r = math.random(100)
          local kind, path
          if r <= {cut_pinned} then
            kind, path = "pinned", pick(pinned)
          elseif r <= {cut_uncached} then
            local high = string.format("%.1f", 4.0 + math.random(0, 40) / 10)
            kind, path = "uncached", string.format(pick(uncached), math.random(1, 200), high)
          elseif r <= {cut_listing} then
            kind, path = "listing", pick(listing)
          else
            kind, path = "bad", pick(bad)
          end
          issued[kind] = issued[kind] + 1
          return wrk.format("GET", path, {{["Accept-Encoding"] = "gzip"}})
        end

        function response(status, headers, body)
          statuses[status] = (statuses[status] or 0) + 1
          if status == 503 and headers["Retry-After"] then
            refused = refused + 1
          end
        end

        local function object(t)
          local parts = {{}}
          for k, v in pairs(t) do
            table.insert(parts, string.format('"%s":%d', tostring(k), v))
          end
          return "{{" .. table.concat(parts, ",") .. "}}"
        end

        function done(summary, latency, requests)
          local statuses_all, issued_all, refused_all = {{}}, {{}}, 0
          for _, thread in ipairs(threads) do
            refused_all = refused_all + thread:get("refused")
            for k, v in pairs(thread:get("statuses")) do
              statuses_all[k] = (statuses_all[k] or 0) + v
            end
            for k, v in pairs(thread:get("issued")) do
              issued_all[k] = (issued_all[k] or 0) + v
            end
          end
          local e = summary.errors
          local percentiles = {{}}
          for _, p in ipairs({{50, 75, 90, 99, 99.9}}) do
            percentiles[tostring(p)] = latency:percentile(p)
          end
          io.write("LOADTEST {{",
            '"duration_us":', summary.duration, ",",
            '"requests":', summary.requests, ",",
            '"bytes":', summary.bytes, ",",
            '"errors":', object({{connect = e.connect, read = e.read, write = e.write,
                                  status = e.status, timeout = e.timeout}}), ",",
            '"latency_us":{{"min":', latency.min, ',"mean":', math.floor(latency.mean),
            ',"max":', latency.max, ',"percentiles":', object(percentiles), "}},",
            '"statuses":', object(statuses_all), ",",
            '"issued":', object(issued_all), ",",
            '"refused_with_retry_after":', refused_all, "}}\\n")
        end
        """
    )


# -- the server ------------------------------------------------------------------------------

#: gunicorn's line for each worker it starts.
_BOOTED: Final = re.compile(r"Booting worker with pid: (\d+)")
#: The access log (``inspector.cli.gunicorn_server.ACCESS_LOG_FORMAT``): request line,
#: status, bytes, latency and the pid of the worker that answered.
_ANSWERED: Final = re.compile(r'"GET (\S+) HTTP/1\.1" (\d{3}) \S+ \d+ms <(\d+)>')


def write_config(folder: Path, demo: Path) -> Path:
    """``inspector.toml`` over the demo database with the budgets of this test."""
    lines = [
        "[databases.demo]",
        f"path = {json.dumps(str(demo))}",
        "[engine]",
        *(f"{key} = {value}" for key, value in {**ENGINE_MB, **ADMISSION}.items()),
        "[cache]",
        *(f"{key} = {value}" for key, value in CACHE_MB.items()),
    ]
    path = folder / "inspector.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def worker_pids(server: HttpServer) -> set[int]:
    """Every worker gunicorn has started so far, from its log (waits for :data:`WORKERS`)."""
    deadline = time.monotonic() + 60
    while True:
        pids = {int(pid) for pid in _BOOTED.findall(server.log.read_text(encoding="utf-8"))}
        if len(pids) >= WORKERS or time.monotonic() > deadline:
            return pids
        time.sleep(0.1)


def stats(server: HttpServer) -> dict[str, Any]:
    """One ``/_stats`` answer: the counters of the worker that took the connection."""
    status, body = server.get("/_stats", timeout=10.0)
    assert status == 200, (status, body[:300])
    value: dict[str, Any] = json.loads(body)
    return value


def _answered(log: str) -> set[tuple[str, int]]:
    """(path, worker) of every 200 the access log shows."""
    return {(path, int(pid)) for path, status, pid in _ANSWERED.findall(log) if status == "200"}


def refused_pinned(log: str) -> list[str]:
    """Pinned permalinks the access log shows refused by the admission (there must be none)."""
    pinned = set(PINNED_URLS)
    return [p for p, status, _ in _ANSWERED.findall(log) if status == "503" and p in pinned]


def warm_up(server: HttpServer, pids: set[int]) -> int:
    """Every pinned plot, listing and uncached drawer answered by every worker; the rounds taken.

    Afterwards each worker holds the pinned plots and the payloads they read,
    and every lazy import and first-use allocation has happened in it, so the
    memory measured next is the server's steady baseline.  Each worker has its
    own caches and the connection goes to whichever accepts first, so the
    URLs are sent by concurrent clients (a busy worker leaves connections to
    the other), round after round, until the access log shows each of them
    answered by every worker.
    """
    urls = [*PINNED_URLS, *LISTING_URLS, *(t % (100, "6.0") for t in UNCACHED_TEMPLATES)]
    wanted = {(url, pid) for url in urls for pid in pids}
    ask = partial(server.get, timeout=60.0)
    with ThreadPoolExecutor(WARM_CLIENTS) as clients:
        for round_ in range(1, WARM_ROUNDS + 1):
            for url, (status, body) in zip(urls, clients.map(ask, urls), strict=True):
                assert status == 200, (url, status, body[:300])
            time.sleep(0.2)  # gunicorn writes the access line after the response
            missing = wanted - _answered(server.log.read_text(encoding="utf-8"))
            if not missing:
                return round_
    pytest.fail(f"after {WARM_ROUNDS} rounds, not answered by every worker: {sorted(missing)}")


# -- during the run --------------------------------------------------------------------------


@dataclass
class Sampler:
    """In a thread: the whole server's memory and one ``/_stats`` answer, every 0.25 s."""

    server: HttpServer
    memory: list[Memory] = field(default_factory=list)
    #: ``/_stats`` answers by the pid of the worker that gave them, in order.
    answers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.memory.append(server_memory(self.server.process.pid))
            try:
                answer = stats(self.server)
            except (OSError, AssertionError, ValueError) as exc:
                self.failures.append(repr(exc))
            else:
                self.answers.setdefault(int(answer["pid"]), []).append(answer)


@dataclass(frozen=True)
class WrkResult:
    """What wrk printed: its own text and the script's JSON summary."""

    text: str
    summary: dict[str, Any]
    requests_per_second: float


def run_wrk(wrk: str, script: Path, origin: str, profile: Profile) -> WrkResult:
    """One bounded wrk run against ``origin`` (127.0.0.1 only)."""
    assert origin.startswith("http://127.0.0.1:")
    command = [
        wrk,
        f"-t{profile.threads}",
        f"-c{profile.connections}",
        f"-d{profile.seconds}s",
        f"--timeout={profile.timeout_seconds}s",
        "--latency",
        "-s",
        str(script),
        origin + "/",
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=profile.seconds + profile.timeout_seconds + 60,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    line = next((x for x in done.stdout.splitlines() if x.startswith("LOADTEST ")), None)
    assert line is not None, f"the Lua done() printed no summary:\n{done.stdout}\n{done.stderr}"
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", done.stdout, re.MULTILINE)
    assert rate is not None, done.stdout
    return WrkResult(done.stdout, json.loads(line[len("LOADTEST ") :]), float(rate.group(1)))


def _socket_errors(text: str) -> dict[str, int]:
    """wrk's "Socket errors" line (printed only when there were some)."""
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if found is None:
        return {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    return dict(zip(("connect", "read", "write", "timeout"), map(int, found.groups()), strict=True))


@dataclass(frozen=True)
class Window:
    """One worker's counters of one cache between its first and last ``/_stats`` answers."""

    hits: int
    misses: int
    errors: int

    @classmethod
    def of(cls, samples: Sequence[dict[str, Any]], name: str) -> Window:
        """The window of cache ``name`` over one worker's answers (hits include joins)."""
        start, end = samples[0]["caches"][name], samples[-1]["caches"][name]
        return cls(
            hits=end["hits"] - start["hits"] + end["joined"] - start["joined"],
            misses=end["misses"] - start["misses"],
            errors=end["errors"] - start["errors"],
        )

    @property
    def lookups(self) -> int:
        """Hits and misses."""
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float | None:
        """The share of lookups that hit, ``None`` without lookups."""
        return round(self.hits / self.lookups, 4) if self.lookups else None


def run_rates(answers: Mapping[int, Sequence[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each cache's lookups and hit rate during the run, summed over the workers.

    A worker's window runs from its first answer to its last: what it did
    outside (warm-up, the first and last moments of the run) is not counted,
    and no request is counted twice.  Sizes are each worker's last answer.
    """
    rates: dict[str, dict[str, Any]] = {}
    for name, cache in next(iter(answers.values()))[-1]["caches"].items():
        windows = [Window.of(samples, name) for samples in answers.values()]
        total = Window(*(sum(getattr(w, k) for w in windows) for k in ("hits", "misses", "errors")))
        rates[name] = {
            "lookups": total.lookups,
            "hits": total.hits,
            "misses": total.misses,
            "errors": total.errors,
            "hit_rate": total.hit_rate,
            "hit_rate_by_worker": [w.hit_rate for w in windows],
            "entries_by_worker": [a[-1]["caches"][name]["entries"] for a in answers.values()],
            "size_by_worker": [a[-1]["caches"][name]["size"] for a in answers.values()],
            "max_size": cache["max_size"],
        }
    return rates


# -- the test --------------------------------------------------------------------------------


def _mib(value: int) -> float:
    return round(value / MiB, 1)


def report_of(
    result: WrkResult, memory: dict[str, Any], sampler: Sampler, rounds: int
) -> dict[str, Any]:
    """The figures of one run, as printed and kept under ``test-artifacts/load``."""
    summary = result.summary
    latency = summary["latency_us"]
    series = [m.server for m in sampler.memory]
    last = {pid: samples[-1] for pid, samples in sampler.answers.items()}
    return {
        "profile": PROFILE.name,
        "seconds": PROFILE.seconds,
        "connections": PROFILE.connections,
        "threads": PROFILE.threads,
        "workers": WORKERS,
        "warm_up_rounds": rounds,
        "requests": summary["requests"],
        "requests_per_second": result.requests_per_second,
        "latency_ms": {
            "mean": latency["mean"] / 1000,
            "max": latency["max"] / 1000,
            **{f"p{p}": v / 1000 for p, v in latency["percentiles"].items()},
        },
        "statuses": {int(k): v for k, v in summary["statuses"].items()},
        "issued": summary["issued"],
        "errors": summary["errors"],
        "memory_mib": {
            **{key: _mib(value) for key, value in memory.items()},
            "peak_sampled": _mib(max(series)),
            "browsers_peak": _mib(max(m.browsers for m in sampler.memory)),
            "samples": len(series),
            # About a dozen evenly spaced samples: growth shows as a slope.
            "series": [_mib(x) for x in series[:: max(1, len(series) // 12)]],
            "margin": _mib(MARGIN_BYTES),
            "worker_rss_last": {pid: _mib(a["rss_bytes"]) for pid, a in last.items()},
            "worker_high_water_mark": {pid: _mib(a["peak_rss_bytes"]) for pid, a in last.items()},
        },
        "stats_answers_by_worker": {pid: len(a) for pid, a in sampler.answers.items()},
        "caches_during_run": run_rates(sampler.answers),
    }


def _check_budgets(answers: Mapping[int, Sequence[dict[str, Any]]]) -> int:
    """Every answer reports the configured budgets and sizes within them; one worker's total."""
    totals = set()
    for pid, samples in answers.items():
        for answer in samples:
            caches = answer["caches"]
            reported = {name: caches[name]["max_size"] for name in EXPECTED_BUDGETS}
            assert reported == EXPECTED_BUDGETS, (pid, reported)
            for name, cache in caches.items():
                assert cache["size"] <= cache["max_size"], (pid, name, cache)
            # Not filled by this mix (no /api/v1/plots request): its budget is untouched.
            assert caches["api_plot_documents"]["size"] == 0, pid
            totals.add(sum(int(cache["max_size"]) for cache in caches.values()))
    assert len(totals) == 1, totals
    return totals.pop()


@pytest.mark.slow
def test_server_under_load(demo_path: Path, tmp_path: Path) -> None:
    """The mix runs clean, memory stays within budgets + margin, pinned plots hit the cache."""
    wrk = require("wrk")
    script = tmp_path / "mix.lua"
    script.write_text(lua_script(), encoding="utf-8")
    config = write_config(tmp_path, demo_path)
    with inspector_server(config, tmp_path, ["--workers", str(WORKERS)]) as server:
        pids = worker_pids(server)
        assert len(pids) == WORKERS, (pids, server.log_tail())
        started = server_memory(server.process.pid).server
        rounds = warm_up(server, pids)
        baseline = server_memory(server.process.pid).server
        with Sampler(server) as sampler:
            result = run_wrk(wrk, script, server.origin, PROFILE)
        after = server_memory(server.process.pid).server
        assert server.process.poll() is None, f"the server died:\n{server.log_tail()}"
        assert worker_pids(server) == pids, f"a worker was replaced:\n{server.log_tail()}"
        log_tail = server.log_tail()
        log = server.log.read_text(encoding="utf-8")

    assert sampler.failures == [], sampler.failures
    assert set(sampler.answers) == pids, "every worker answers /_stats during the run"
    assert all(len(a) >= 2 for a in sampler.answers.values()), "a window per worker"
    worker_budget = _check_budgets(sampler.answers)
    limit = baseline + WORKERS * worker_budget + MARGIN_BYTES
    memory = {
        "after_start": started,
        "baseline_after_warmup": baseline,
        "after_run": after,
        "budget_per_worker": worker_budget,
        "limit": limit,
    }
    report = report_of(result, memory, sampler, rounds)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{PROFILE.name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrk ({PROFILE.name} profile):\n{result.text}")
    print(json.dumps(report, indent=2))

    # Nothing but what was asked for: 200s, and 404 for the unknown tag.
    summary = result.summary
    statuses: dict[int, int] = report["statuses"]
    assert summary["requests"] >= 50, "too few requests for the figures to mean anything"
    expected = {200, BAD_STATUS}
    if PROFILE.connections > SLOTS_PER_WORKER:
        expected.add(REFUSED_STATUS)
    unexpected = {s: n for s, n in statuses.items() if s not in expected}
    assert unexpected == {}, f"unexpected statuses {unexpected}\n{log_tail}"
    refused = statuses.get(REFUSED_STATUS, 0)
    assert summary["refused_with_retry_after"] == refused, "every 503 says when to come back"
    assert refused_pinned(log) == [], "a cached permalink is never refused"
    asked_bad = int(summary["issued"]["bad"])
    got_bad = statuses.get(BAD_STATUS, 0)
    assert asked_bad > 0
    # Requests still in flight when wrk stops are issued but never answered;
    # an unknown tag's plot takes a slot, so it may be refused instead.
    assert asked_bad - PROFILE.connections - refused <= got_bad <= asked_bad, (asked_bad, got_bad)
    assert summary["errors"]["status"] == got_bad + refused  # wrk's "non-2xx/3xx"
    socket_errors = {k: summary["errors"][k] for k in ("connect", "read", "write", "timeout")}
    assert socket_errors == dict.fromkeys(socket_errors, 0), socket_errors
    assert _socket_errors(result.text) == socket_errors

    # Memory of the whole server, sampled during the run and after it.
    peak = max(after, *(m.server for m in sampler.memory))
    assert peak <= limit, (
        f"server memory (PSS) {peak / MiB:.0f} MiB exceeds baseline {baseline / MiB:.0f} MiB "
        f"+ {WORKERS} x budgets {worker_budget / MiB:.0f} MiB + margin {MARGIN_BYTES / MiB:.0f} MiB"
    )

    # Permalinks come from each worker's rendered-plot cache.
    for pid, samples in sampler.answers.items():
        window = Window.of(samples, "rendered_pinned")
        assert window.lookups > 0, (pid, window)
        assert (window.hit_rate or 0.0) > MIN_PINNED_HIT_RATE, (pid, window)
