"""Fresh starts never fail: the app's own databases are created once, before the fork.

Before issue 18, every gunicorn worker created the notes database's tables
itself, and two of fourteen fresh ``inspector serve --workers 2|4`` starts
failed ("table inspector_meta already exists": a worker failed to boot and
the server exited).  Here ``serve --workers 4`` starts on a folder with no
notes database yet, again and again, and must answer ``/healthz`` every time;
and many stores opening one new database at the same moment (threads, the
way workers race) all succeed with one schema row.

:data:`STARTS` fresh starts: 5 in the fast profile, 20 with ``INSPECTOR_STRESS=1``
(``make stress``): one start and graceful stop of four workers takes about
11 s on the 2-core development machine, so 20 would take nearly 4 minutes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Final

import pytest
from live_servers import inspector_server
from sqlalchemy import create_engine, func, select

from inspector.annotations.store import AnnotationStore, meta_table
from inspector.errors import DatabaseUnavailable

STARTS: Final = 20 if os.environ.get("INSPECTOR_STRESS") else 5


def test_fresh_starts_with_four_workers_never_fail(
    handmade_path: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    failures = []
    for n in range(STARTS):
        folder = tmp_path / f"start-{n}"
        folder.mkdir()
        config = folder / "inspector.toml"
        config.write_text(
            f'default_database = "hand"\n[databases.hand]\npath = "{handmade_path[0]}"\n'
            '[annotations]\npath = "notes/annotations.sqlite"\n'
        )
        try:
            with inspector_server(config, folder, ["--workers", "4", "--no-access-log"]) as server:
                assert server.get("/healthz")[0] == 200
                assert server.get("/api/v1/annotations")[0] == 200
        except Exception as exc:  # every failed start is reported, not only the first
            failures.append(f"start {n}: {exc}")
        assert (folder / "notes" / "annotations.sqlite").is_file()
    assert not failures, "\n".join(failures)


def test_stores_racing_on_a_new_database_all_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race' / 'notes.sqlite'}"
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def open_store() -> None:
        barrier.wait()
        try:
            AnnotationStore(url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(meta_table)).scalar() == 1
    engine.dispose()


def test_a_database_that_cannot_be_opened_fails_at_once_not_after_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a lost race is tried again: any other error is the user's to fix, reported now."""
    waits: list[float] = []
    monkeypatch.setattr("inspector.annotations.store.time.sleep", waits.append)
    folder = tmp_path / "a-folder.sqlite"
    folder.mkdir()  # a folder where the file should be: SQLite cannot open it
    with pytest.raises(DatabaseUnavailable, match="unable to open database file"):
        AnnotationStore(f"sqlite:///{folder}")
    assert waits == []
