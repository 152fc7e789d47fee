"""wrk against real ``inspector serve`` processes: the URL mix, the samplers, the figures.

The machinery of the load tests (``tests/load``): a weighted mix of URLs
(:class:`Mix`) turned into a wrk Lua script (:func:`lua_script`), warm-up
until every gunicorn worker answered every URL (:func:`warm_up`), a sampler
of each server's memory and ``/_stats`` during the run (:class:`Sampler`),
each cache's hit rate over the run (:func:`run_rates`) and the report kept
under ``test-artifacts/load``.  ``tests/load/test_load.py`` says what is
measured and why; the cluster test reuses all of it over two servers.
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
from typing import Any, Final, Self

import pytest
from abuse import Memory, server_memory
from live_servers import HttpServer

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

ARTIFACTS: Final = Path(__file__).resolve().parents[1] / "test-artifacts" / "load"

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


@dataclass(frozen=True)
class Mix:
    """What wrk asks for: the URLs of each kind, and each kind's percent of the requests.

    ``uncached`` are templates taking a bin count (``%d``) and an upper edge
    (``%s``); ``bad`` must all be answered :data:`BAD_STATUS`.
    """

    pinned: tuple[str, ...] = PINNED_URLS
    uncached: tuple[str, ...] = UNCACHED_TEMPLATES
    listing: tuple[str, ...] = LISTING_URLS
    bad: tuple[str, ...] = BAD_URLS
    weights: Mapping[str, int] = field(default_factory=lambda: dict(WEIGHTS))

    def warm_urls(self) -> list[str]:
        """What warm-up asks every worker for: each pinned URL, listing and uncached drawer."""
        return [*self.pinned, *self.listing, *(t % (100, "6.0") for t in self.uncached)]


#: The mix of this module's test.
MIX: Final = Mix()


def _lua_list(items: tuple[str, ...]) -> str:
    return "{" + ", ".join(json.dumps(item) for item in items) + "}"


def lua_script(mix: Mix = MIX, seed: int = 0) -> str:
    """The wrk script: weighted random requests, per-status counts, a JSON summary.

    ``seed`` starts the random sequence of each wrk thread: two wrk processes
    given the same one ask for the same URLs at the same moments.

    wrk runs one Lua state per thread, so counts live in each thread and
    ``done()`` gathers them with ``thread:get``.  The summary is one line
    starting with ``LOADTEST`` so the test need not trust wrk's text layout
    for anything but a cross-check.
    """
    weights = mix.weights
    assert sum(weights.values()) == 100 and set(weights) == set(WEIGHTS)
    cut_pinned = weights["pinned"]
    cut_uncached = cut_pinned + weights["uncached"]
    cut_listing = cut_uncached + weights["listing"]
    return textwrap.dedent(
        f"""\
        -- Written by tests/wrk_load.py; see its docstring.
        local pinned = {_lua_list(mix.pinned)}
        local uncached = {_lua_list(mix.uncached)}
        local listing = {_lua_list(mix.listing)}
        local bad = {_lua_list(mix.bad)}
        local threads = {{}}

        function setup(thread)
          table.insert(threads, thread)
          thread:set("id", #threads)
        end

        function init(args)
          math.randomseed(7919 * id + {seed})
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


def write_config(folder: Path, demo: Path, redis_url: str | None = None) -> Path:
    """``inspector.toml`` over the demo database with the budgets of this test.

    With ``redis_url`` the processes share that Redis (``[cache] redis_url``):
    heavy plots become jobs for ``inspector worker`` processes.
    """
    shared = [f"redis_url = {json.dumps(redis_url)}"] if redis_url else []
    lines = [
        "[databases.demo]",
        f"path = {json.dumps(str(demo))}",
        "[engine]",
        *(f"{key} = {value}" for key, value in {**ENGINE_MB, **ADMISSION}.items()),
        "[cache]",
        *(f"{key} = {value}" for key, value in CACHE_MB.items()),
        *shared,
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


def refused_pinned(log: str, mix: Mix = MIX) -> list[str]:
    """Pinned permalinks the access log shows refused by the admission (there must be none)."""
    pinned = set(mix.pinned)
    return [p for p, status, _ in _ANSWERED.findall(log) if status == "503" and p in pinned]


def warm_up(server: HttpServer, pids: set[int], mix: Mix = MIX) -> int:
    """Every pinned plot, listing and uncached drawer answered by every worker; the rounds taken.

    Afterwards each worker holds the pinned plots and the payloads they read,
    and every lazy import and first-use allocation has happened in it, so the
    memory measured next is the server's steady baseline.  Each worker has its
    own caches and the connection goes to whichever accepts first, so the
    URLs are sent by concurrent clients (a busy worker leaves connections to
    the other), round after round, until the access log shows each of them
    answered by every worker.
    """
    urls = mix.warm_urls()
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


class Periodic:
    """In a thread, :meth:`sample` every :data:`SAMPLE_SECONDS`, from ``with`` to its end.

    ``first_and_last`` also samples once on entering and once on leaving, so
    a run's first and last values are in the series whatever its length.
    """

    first_and_last: bool = False
    _stop: threading.Event
    _thread: threading.Thread

    def sample(self) -> None:
        """Take one sample (subclasses)."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        if self.first_and_last:
            self.sample()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        if self.first_and_last:
            self.sample()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()


@dataclass
class Sampler(Periodic):
    """The whole server's memory and one ``/_stats`` answer, every 0.25 s."""

    server: HttpServer
    memory: list[Memory] = field(default_factory=list)
    #: ``/_stats`` answers by the pid of the worker that gave them, in order.
    answers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def sample(self) -> None:
        """The memory, and the counters of whichever worker answers."""
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


def wrk_socket_errors(text: str) -> dict[str, int]:
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


# -- the figures -----------------------------------------------------------------------------


def mib(value: int) -> float:
    return round(value / MiB, 1)


def report_of(
    result: WrkResult,
    memory: dict[str, Any],
    sampler: Sampler,
    rounds: int,
    profile: Profile = PROFILE,
) -> dict[str, Any]:
    """The figures of one run, as printed and kept under ``test-artifacts/load``."""
    summary = result.summary
    latency = summary["latency_us"]
    series = [m.server for m in sampler.memory]
    last = {pid: samples[-1] for pid, samples in sampler.answers.items()}
    return {
        "profile": profile.name,
        "seconds": profile.seconds,
        "connections": profile.connections,
        "threads": profile.threads,
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
            **{key: mib(value) for key, value in memory.items()},
            "peak_sampled": mib(max(series)),
            "browsers_peak": mib(max(m.browsers for m in sampler.memory)),
            "samples": len(series),
            # About a dozen evenly spaced samples: growth shows as a slope.
            "series": [mib(x) for x in series[:: max(1, len(series) // 12)]],
            "margin": mib(MARGIN_BYTES),
            "worker_rss_last": {pid: mib(a["rss_bytes"]) for pid, a in last.items()},
            "worker_high_water_mark": {pid: mib(a["peak_rss_bytes"]) for pid, a in last.items()},
        },
        "stats_answers_by_worker": {pid: len(a) for pid, a in sampler.answers.items()},
        "caches_during_run": run_rates(sampler.answers),
    }


def check_budgets(answers: Mapping[int, Sequence[dict[str, Any]]], documents: bool = False) -> int:
    """Every answer reports the configured budgets and sizes within them; one worker's total.

    ``documents``: the mix asks ``/api/v1/plots`` (otherwise its cache must stay empty).
    """
    totals = set()
    for pid, samples in answers.items():
        for answer in samples:
            caches = answer["caches"]
            reported = {name: caches[name]["max_size"] for name in EXPECTED_BUDGETS}
            assert reported == EXPECTED_BUDGETS, (pid, reported)
            for name, cache in caches.items():
                assert cache["size"] <= cache["max_size"], (pid, name, cache)
            # Not filled by a mix without /api/v1/plots requests: its budget is untouched.
            assert documents or caches["api_plot_documents"]["size"] == 0, pid
            totals.add(sum(int(cache["max_size"]) for cache in caches.values()))
    assert len(totals) == 1, totals
    return totals.pop()
