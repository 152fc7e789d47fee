"""The database goes away while the app runs, then comes back: 503s, then recovery by itself.

Three outages of a SQLite conditions database, each made for real on a copy
of the hand-made database while the app keeps running:

- **locked**: another connection holds ``BEGIN EXCLUSIVE``; readers get
  "database is locked" after their busy timeout (1 s, so a request fails
  fast instead of holding a worker for SQLite's default 5 s);
- **replaced by garbage**: the file is moved away and something that is not
  a database is put at its path (then the good file is put back);
- **removed**: the file is deleted (then restored from a copy).

While it lasts every route that reads the database answers 503 with
``Retry-After`` — a JSON:API error under ``/api``, a readable page elsewhere,
never a traceback or the file's path — and once it is over the very same app
answers 200 again within 5 s, without a restart.  The recovery time is
measured from the moment the database is back.

Pooled SQLite connections keep the file they opened even after it was
moved or deleted; without the reader's inode check the app would go on
serving the old file and never notice the outage, nor a replacement.  The
same check makes a new version of the file — renamed over the old one, or
a configured symlink pointed at it — visible to the very next request.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from flask import Flask
from flask.testing import FlaskClient
from handmade import T0
from outage_checks import API_ROUTES, PAGE_ROUTES, assert_unavailable_answer
from sqlalchemy import create_engine
from werkzeug.test import TestResponse

from inspector.conddb.timetypes import TimeType
from inspector.conddb.writer import ConditionsWriter
from inspector.config import Config, DatabaseConfig, load_config
from inspector.plugin import Plugins, load_plugins
from inspector.web.app import create_app
from inspector.web.state import state

#: The promise: errors stop within this many seconds of the database coming back.
RECOVERY_LIMIT: Final = 5.0
#: A locked database must answer 503 this fast (busy timeout 1 s, plus slack
#: for a loaded machine) rather than after SQLite's default 5 s.
FAIL_FAST_LIMIT: Final = 3.0
#: Outage cycles under concurrent load: a few in `make test`, many in `make stress`.
CYCLES: Final = 25 if os.environ.get("INSPECTOR_STRESS") == "1" else 2


@dataclass
class Served:
    """The app under test over its own copy of the database, and a backup of it."""

    app: Flask
    client: FlaskClient
    path: Path
    backup: Path


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return load_plugins()


@pytest.fixture
def served(
    handmade_path: tuple[Path, dict[str, str]], tmp_path: Path, plugins: Plugins
) -> Iterator[Served]:
    """A fresh copy per test: each test breaks it on purpose."""
    path = tmp_path / "conditions.sqlite"
    shutil.copyfile(handmade_path[0], path)
    backup = tmp_path / "backup.sqlite"
    shutil.copyfile(path, backup)
    app = create_app(Config({"hand": DatabaseConfig("hand", f"sqlite:///{path}")}, "hand"), plugins)
    try:
        yield Served(app, app.test_client(), path, backup)
    finally:
        state(app).close()


def _assert_serving(client: FlaskClient) -> None:
    for route in (*API_ROUTES, *PAGE_ROUTES):
        response = client.get(route)
        assert response.status_code == 200, (route, response.get_data(as_text=True)[:300])


def _assert_unavailable(client: FlaskClient, path: Path) -> list[float]:
    """Every route says 503 the way it should; returns how long each answer took.

    The routes are asked at once, as browsers would: a locked database makes
    each wait its busy timeout, and in parallel those waits overlap.
    """
    app = client.application

    def ask(route: str) -> tuple[str, float, TestResponse]:
        started = time.monotonic()
        response = app.test_client().get(route)
        return route, time.monotonic() - started, response

    with ThreadPoolExecutor(max_workers=len(API_ROUTES) + len(PAGE_ROUTES)) as pool:
        answers = list(pool.map(ask, (*API_ROUTES, *PAGE_ROUTES)))
    for route, _, response in answers:
        assert_unavailable_answer(route, response, "hand", hidden=(str(path), path.name))
    return [took for _, took, _ in answers]


def _recovery_seconds(client: FlaskClient, back_at: float) -> float:
    """Seconds from ``back_at`` until every route answers 200 again (waits up to the limit)."""
    deadline = back_at + RECOVERY_LIMIT
    while True:
        statuses = {route: client.get(route).status_code for route in (*API_ROUTES, *PAGE_ROUTES)}
        if set(statuses.values()) == {200}:
            return time.monotonic() - back_at
        if time.monotonic() > deadline:
            pytest.fail(
                f"not recovered {RECOVERY_LIMIT} s after the database came back: {statuses}"
            )
        time.sleep(0.05)  # polling interval of the wait, not a guess at a duration


# -- the three outages, each as a context: the database is out inside the block ---------------


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Another process-like connection holds the write lock until the block ends."""
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        yield
        locker.execute("ROLLBACK")
    finally:
        locker.close()


@contextmanager
def _replaced_by_garbage(path: Path, restore: str) -> Iterator[None]:
    """Moved away, garbage at its path; then put back by ``restore`` (rename or copy)."""
    moved = path.with_name("moved-away.sqlite")
    path.rename(moved)
    path.write_bytes(b"this is not a conditions database\n" * 256)
    yield
    if restore == "rename":
        moved.replace(path)
    else:  # copy over the garbage: the same inode now holds the database again
        shutil.copyfile(moved, path)


@contextmanager
def _removed(path: Path, backup: Path) -> Iterator[None]:
    """Deleted; then restored from a backup (a new file, a new inode)."""
    path.unlink()
    yield
    shutil.copyfile(backup, path)


OUTAGES: Final[dict[str, Callable[[Served], AbstractContextManager[None]]]] = {
    "locked": lambda s: _locked(s.path),
    "garbage, moved back": lambda s: _replaced_by_garbage(s.path, "rename"),
    "garbage, copied over": lambda s: _replaced_by_garbage(s.path, "copy"),
    "removed, restored": lambda s: _removed(s.path, s.backup),
}


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_outage_answers_503_then_recovers_by_itself(served: Served, outage: str) -> None:
    """503 with Retry-After on every route while out; 200 within 5 s of coming back."""
    _assert_serving(served.client)  # warm: pooled connections are open on the good file
    with OUTAGES[outage](served):
        took = _assert_unavailable(served.client, served.path)
    back_at = time.monotonic()
    _recovery_seconds(served.client, back_at)
    assert max(took) < FAIL_FAST_LIMIT, f"503s took up to {max(took):.2f} s"


def test_a_database_missing_at_start_is_served_once_it_appears(served: Served) -> None:
    """The app started before the database existed: 503 at first, no restart needed later."""
    fresh = create_app(
        Config({"hand": DatabaseConfig("hand", f"sqlite:///{served.path}")}, "hand"),
        state(served.app).plugins,
    )
    client = fresh.test_client()
    try:
        served.path.unlink()
        _assert_unavailable(client, served.path)
        shutil.copyfile(served.backup, served.path)
        _recovery_seconds(client, time.monotonic())
    finally:
        state(fresh).close()


def _new_version(source: Path, target: Path) -> None:
    """``source`` plus one tag, written to ``target``: what a deployment would ship."""
    shutil.copyfile(source, target)
    writer = ConditionsWriter(create_engine(f"sqlite:///{target}"))
    with writer.engine.begin() as conn:
        writer.add_tag(
            conn,
            "BS_new_in_v2",
            time_type=TimeType.RUN,
            object_type="BeamSpotObjects",
            insertion_time=T0,
        )
    writer.close()


def _tag_names(client: FlaskClient) -> set[str]:
    response = client.get("/api/v1/tags")
    assert response.status_code == 200
    return {item["id"] for item in json.loads(response.data)["data"]}


@pytest.mark.parametrize("how", ["renamed over", "symlink switched"])
def test_a_new_version_of_the_file_is_served_without_restart(
    served: Served, plugins: Plugins, how: str
) -> None:
    """Deploying a new file — renamed over the old one, or a symlink pointed at it — is seen
    by the next request, although pooled connections still hold the old file open."""
    v2 = served.path.with_name("v2.sqlite")
    _new_version(served.backup, v2)
    if how == "renamed over":
        app, client, target = served.app, served.client, served.path
    else:  # the configuration names a link, as `current.sqlite -> v1.sqlite` deployments do
        link = served.path.with_name("current.sqlite")
        link.symlink_to(served.path)
        config_file = served.path.with_name("inspector.toml")
        config_file.write_text(f'[databases.hand]\npath = "{link.name}"\n')
        app = create_app(load_config(config_file), plugins)
        client, target = app.test_client(), link
    try:
        assert "BS_new_in_v2" not in _tag_names(client)  # v1 served, connections pooled
        if how == "renamed over":
            v2.replace(target)
        else:
            staged = target.with_name("current.staged")
            staged.symlink_to(v2)
            staged.replace(target)  # atomic switch of the link
        assert "BS_new_in_v2" in _tag_names(client)
    finally:
        if app is not served.app:
            state(app).close()


def test_outages_under_concurrent_load_never_answer_500(served: Served) -> None:
    """Clients keep asking through repeated outages: only 200s and 503s, and recovery each time.

    Pool connections are dropped and reopened by many threads at once here,
    which is where a race in the staleness check would show as a 500.  Each
    outage lasts until every client thread has met it (a wait on a
    condition, not on the clock), so each cycle really is seen under load.
    """
    workers = 4
    stop = threading.Event()
    seen: dict[int, int] = {}
    unavailable = threading.Condition()
    met: set[int] = set()  # client threads that got a 503 in the current outage

    def hammer(worker: int) -> None:
        client = served.app.test_client()
        routes = (*API_ROUTES, *PAGE_ROUTES)
        i = worker
        while not stop.is_set():
            status = client.get(routes[i % len(routes)]).status_code
            with unavailable:
                seen[status] = seen.get(status, 0) + 1
                if status == 503:
                    met.add(worker)
                    unavailable.notify_all()
            i += 1

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(hammer, w) for w in range(workers)]
        try:
            for _ in range(CYCLES):
                for name in ("garbage, moved back", "removed, restored"):
                    with OUTAGES[name](served):
                        _assert_unavailable(served.client, served.path)
                        with unavailable:
                            met.clear()
                            everyone = unavailable.wait_for(lambda: len(met) == workers, 20)
                        assert everyone, f"only client threads {met} met the outage"
                    _recovery_seconds(served.client, time.monotonic())
        finally:
            stop.set()
        for future in futures:
            future.result(timeout=30)
    assert set(seen) <= {200, 503}, seen
    assert seen.get(200, 0) > 0 and seen.get(503, 0) >= workers * 2 * CYCLES
