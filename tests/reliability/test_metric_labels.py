"""Hostile requests cannot grow ``/metrics``: every label set is closed.

An attacker who sends made-up HTTP methods, unknown paths and unknown drawer
names must not create a new Prometheus series per request (each series costs
memory in every worker, bytes in the multiprocess files and time in every
scrape).  Each check sends :data:`FIRST` hostile rounds, counts what the
server exports, sends :data:`MORE` distinct rounds again and expects the very
same count:

- in one process (Flask test client): the number of exported series;
- under ``inspector serve --workers 2`` (gunicorn, prometheus_client's
  multiprocess mode): the series of a scrape, which must stay the same, and
  the total bytes of the memory-mapped metric files, which may at most
  double once (see the test).
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import pytest
from flask import Flask
from live_servers import HttpServer, inspector_server
from prometheus_client.parser import text_string_to_metric_families

from inspector.config import Config, DatabaseConfig
from inspector.plugin import load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

FIRST: Final = 50
MORE: Final = 500

#: ``send(method, path)`` returns the status of one request.
Send = Callable[[str, str], int]


def hostile_round(send: Send, i: int) -> None:
    """One request of each hostile kind, with names never used before (``i`` is unique)."""
    made_up = f"X{i:06d}ABC"
    assert send(made_up, "/healthz") in (400, 405)
    assert send("GET", f"/no/such/page/{i}") == 404
    assert send("GET", f"/plot/nodrawer.n{i}/item.json?tag=BS_run") == 404
    assert send("GET", f"/api/v1/plots/nodrawer.n{i}?tag=BS_run") == 404
    assert send(made_up, f"/api/v1/plots/nodrawer.n{i}?tag=BS_run") in (400, 405)


def series(text: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every exported series of a ``/metrics`` answer: (sample name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items())))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def app(handmade_path: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    path = handmade_path[0]
    config = Config({"hand": DatabaseConfig("hand", f"sqlite:///{path}")}, "hand")
    flask_app = create_app(config, load_plugins())
    yield flask_app
    state(flask_app).close()


def test_hostile_requests_add_no_series_in_one_process(app: Flask) -> None:
    client = app.test_client()

    def send(method: str, path: str) -> int:
        return client.open(path, method=method).status_code

    def exported() -> set[tuple[str, tuple[tuple[str, str], ...]]]:
        return series(client.get("/metrics").get_data(as_text=True))

    exported()  # the scrape's own request is counted from the next scrape on
    for i in range(FIRST):
        hostile_round(send, i)
    after_first = exported()
    for i in range(FIRST, FIRST + MORE):
        hostile_round(send, i)
    after_more = exported()
    assert len(after_more) == len(after_first), sorted(after_more - after_first)[:10]
    labels = {value for _, pairs in after_more for _, value in pairs}
    assert not any("X0" in value or "nodrawer" in value for value in labels)


def _live_send(server: HttpServer) -> Send:
    """``send`` on a fresh connection each time, as an attacker would: both workers answer."""
    host, port = server.origin.removeprefix("http://").split(":")

    def send(method: str, path: str) -> int:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    return send


def _metric_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def test_hostile_requests_keep_multiprocess_files_bounded(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where the server makes its metrics folder
    with inspector_server(config, tmp_path, ["--workers", "2", "--no-access-log"]) as server:
        send = _live_send(server)
        (folder,) = tmp_path.glob("inspector-metrics-*")
        for _ in range(4):  # the scrapes' own requests, counted from the next scrape on
            server.get("/metrics")
        for i in range(FIRST):
            hostile_round(send, i)
        first_series = len(series(server.get("/metrics")[1].decode()))
        first_bytes = _metric_bytes(folder)
        for i in range(FIRST, FIRST + MORE):
            hostile_round(send, i)
        more_series = len(series(server.get("/metrics")[1].decode()))
        more_bytes = _metric_bytes(folder)
    print(f"series {first_series} -> {more_series}, bytes {first_bytes} -> {more_bytes}")
    assert more_series == first_series
    # A file grows by doubling when its worker meets a label combination for the first
    # time; a worker may meet one (that the other worker already had) only in the second
    # loop, so one doubling is allowed.  Open labels grew 327,680 -> 4,194,304 bytes here.
    assert more_bytes <= 2 * first_bytes
