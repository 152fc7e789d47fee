"""SIGHUP re-reads the configuration without a restart and without a failed request.

A real ``inspector serve --workers 2`` on a free loopback port:

- a new alias (a second, small demo database), a watch entry on it and a
  certification file are added to the file; after SIGHUP the API lists the
  alias and the watch follows the tag, while two client threads asking all
  the time through the reload (one opening a connection per request, one
  keeping its connection alive) see no failed request and no connection
  error;
- a file with a TOML syntax error, one with an unknown key and one with a
  value out of range are each refused: the log names the file and the
  reason, no worker is replaced and the old aliases are still served; the
  file fixed, the next SIGHUP applies it.

The measured numbers in docs/deploy.md ("Reloading the configuration") come
from the first test's report line (``pytest -s``).
"""

from __future__ import annotations

import http.client
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import pytest
from live_servers import HttpServer, inspector_server

from inspector.demo.beamspot import PCL_TAG

#: How long a reload may take to show (new workers boot in about a second).
RELOAD_SECONDS: Final = 30
SERVE_ARGS: Final = ["--workers", "2", "--no-access-log"]


def _config_text(hand: Path, extra: str = "") -> str:
    """The served configuration: the hand-made database as ``hand``, then ``extra``."""
    return f'default_database = "hand"\n[databases.hand]\npath = "{hand}"\n{extra}'


def _second_alias(demo: Path, alias: str) -> str:
    """A second database under ``alias``, watched, with the demo's golden JSON as certification."""
    return (
        f'[databases.{alias}]\npath = "{demo}"\ndescription = "second database"\n'
        f'[[watch]]\ndb = "{alias}"\ntag = "{PCL_TAG}"\nmax_latency_hours = 48\n'
        f'[certification.golden_{alias}]\npath = "{demo.with_name("demo-golden.json")}"\n'
    )


@pytest.fixture
def served(handmade_path: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[HttpServer]:
    """``inspector serve --workers 2`` over a file serving the hand-made database alone."""
    config = tmp_path / "inspector.toml"
    config.write_text(_config_text(handmade_path[0]))
    with inspector_server(config, tmp_path, SERVE_ARGS) as server:
        yield server


def _aliases(server: HttpServer) -> list[str]:
    """The aliases the API index lists."""
    status, body = server.get("/api/v1", timeout=10)
    assert status == 200, body
    return re.findall(r'"alias":"([^"]+)"', body.decode())


def _until(done: Callable[[], bool], what: str, server: HttpServer) -> float:
    """Seconds until ``done()`` holds (polled); the server's log in the failure."""
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > RELOAD_SECONDS:
            pytest.fail(f"{what} not within {RELOAD_SECONDS} s:\n{server.log_tail(60)}")
        time.sleep(0.05)
    return time.monotonic() - start


def _log(server: HttpServer) -> str:
    return server.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Client:
    """Requests sent one after another, and what went wrong.

    ``keep_alive``: every request on one connection while it lasts (a
    connection the server closes between two answers is opened again,
    as HTTP clients do); else a new connection per request.
    """

    origin: str
    path: str
    keep_alive: bool
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Ask ``path`` until stopped; an error or anything but a 200 is a failure."""
        address = urlsplit(self.origin)
        connection: http.client.HTTPConnection | None = None
        while not self.stop.is_set():
            self.sent += 1
            if connection is None:
                connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
            try:
                connection.request("GET", self.path)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out
                self.failures.append(f"request {self.sent}: {exc!r}")
                connection.close()
                connection = None
                continue
            if response.status != 200:
                self.failures.append(f"request {self.sent}: HTTP {response.status}")
            if not self.keep_alive or response.will_close:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()


@contextmanager
def asking(server: HttpServer, path: str) -> Iterator[list[Client]]:
    """Two client threads asking ``path`` all the time (one keeps its connection alive)."""
    clients = [Client(server.origin, path, keep_alive) for keep_alive in (False, True)]
    threads = [threading.Thread(target=client.run, daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    try:
        yield clients
    finally:
        for client in clients:
            client.stop.set()
        for thread in threads:
            thread.join(timeout=30)


def test_sighup_adds_an_alias_with_no_failed_request(
    served: HttpServer,
    demo_path: Path,
    handmade_path: tuple[Path, dict[str, str]],
    tmp_path: Path,
) -> None:
    config = tmp_path / "inspector.toml"
    assert _aliases(served) == ["hand"]
    booted = _log(served).count("Booting worker")
    with asking(served, "/api/v1/tags?db=hand") as clients:
        _until(lambda: min(c.sent for c in clients) >= 20, "the first requests", served)
        config.write_text(_config_text(handmade_path[0], _second_alias(demo_path, "second")))
        before = [client.sent for client in clients]
        served.process.send_signal(signal.SIGHUP)
        took = _until(lambda: "second" in _aliases(served), "the new alias", served)
        # Keep asking until both old workers have left: the whole switch is covered.
        _until(lambda: _log(served).count("Worker exiting") >= 2, "the old workers' exit", served)
        time.sleep(0.5)
    for client, sent in zip(clients, before, strict=True):
        kind = "one connection" if client.keep_alive else "a connection each"
        print(
            f"\nreload ({kind}): {client.sent - sent} requests during it, "
            f"{len(client.failures)} failed; the new alias answered after {took:.2f} s"
        )
        assert client.failures == []
        assert client.sent > sent
    assert _log(served).count("Booting worker") == booted + 2
    assert "reloaded configuration: aliases +second; watch +second/" in _log(served)
    status, body = served.get("/api/v1/watch")
    assert status == 200 and f'"id":"second/{PCL_TAG}"'.encode() in body
    status, body = served.get("/api/v1/tags?db=second")
    assert status == 200 and PCL_TAG.encode() in body


#: Broken files and the reason the log must give for each.
BROKEN: Final = [
    ("[databases.other\n", "invalid TOML: Expected ']'"),
    ("[databases.other]\npath = 'x.sqlite'\ncolour = 'red'\n", "unknown key(s) colour"),
    ("[engine]\nworkers = 0\n", "[engine] workers must be at least 1, not 0"),
]


def test_broken_files_are_refused_and_the_old_configuration_kept(
    served: HttpServer, demo_path: Path, handmade_path: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    config = tmp_path / "inspector.toml"
    booted = _log(served).count("Booting worker")
    for n, (broken, reason) in enumerate(BROKEN, 1):
        config.write_text(_config_text(handmade_path[0], broken))
        served.process.send_signal(signal.SIGHUP)
        _until(lambda n=n: _log(served).count("reload refused") == n, "the refusal", served)
        refusal = [line for line in _log(served).splitlines() if "reload refused" in line][-1]
        assert f"old configuration kept: {config}: " in refusal and reason in refusal, refusal
        assert _aliases(served) == ["hand"]
    time.sleep(0.5)  # a wrongly started worker would have booted by now
    assert _log(served).count("Booting worker") == booted
    assert "Traceback" not in _log(served)
    assert served.process.poll() is None
    config.write_text(_config_text(handmade_path[0], _second_alias(demo_path, "fixed")))
    served.process.send_signal(signal.SIGHUP)
    _until(lambda: _aliases(served) == ["hand", "fixed"], "the fixed file", served)
