"""The conditions-database layer on the real CMS files, as they are.

Read from ``../shared/data/cms-conditions/jer`` beside the repository (never
copied into it); skipped, saying where they were looked for, when absent.
Every answer is compared with what SQLite itself says of the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cms_files import REAL_CMS_DIR, REAL_CMS_FILES

from inspector.conddb import ConditionsDB, format_since, open_database
from inspector.config import DatabaseConfig

pytestmark = pytest.mark.skipif(
    not REAL_CMS_FILES, reason=f"the real CMS files are not there: {REAL_CMS_DIR}"
)
MAX = (1 << 64) - 1


def _raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        return list(con.execute(sql))


@pytest.fixture(params=REAL_CMS_FILES, ids=lambda f: f.stem)
def real(request: pytest.FixtureRequest) -> Iterator[tuple[Path, ConditionsDB]]:
    path: Path = request.param
    db = open_database(DatabaseConfig(path.stem, f"sqlite:///{path.resolve()}"))
    yield path, db
    db.close()


def test_tables_as_they_are(real: tuple[Path, ConditionsDB]) -> None:
    path, db = real
    raw = {
        str(n).lower() for (n,) in _raw(path, "select name from sqlite_master where type='table'")
    }
    assert db.tables() == raw
    assert "run_info" not in raw and db.has_runs() is False and db.has_fills() is False


def test_summary_counts_what_sqlite_counts(real: tuple[Path, ConditionsDB]) -> None:
    path, db = real
    counts = db.summary()
    for table in ("tag", "iov", "payload", "global_tag", "global_tag_map"):
        assert counts[table] == _raw(path, f"select count(*) from {table}")[0][0]
    assert counts["global_tag"] == 0 and "run_info" not in counts
    assert counts["payload_bytes"] == _raw(path, "select sum(length(data)) from payload")[0][0]


def test_every_tag_lasts_forever_and_lists_its_iovs(real: tuple[Path, ConditionsDB]) -> None:
    path, db = real
    names = [str(n) for (n,) in _raw(path, "select name from tag order by name")]
    page = db.search_tags(page_size=100)
    assert [t.name for t in page.items] == names
    for tag in page.items:
        assert _raw(path, f"select end_of_validity from tag where name = '{tag.name}'") == [(-1,)]
        assert tag.end_of_validity == MAX
        assert format_since(tag.end, tag.time_type) == "inf"
        iovs = db.iovs(tag.name)
        stored = _raw(
            path,
            f"select since, payload_hash from iov where tag_name = '{tag.name}' order by since",
        )
        assert list(zip(iovs.since.tolist(), iovs.payload_hash.tolist(), strict=True)) == stored
        assert format_since(int(iovs.until[-1]), tag.time_type) == "inf"
        info = db.payload_info(str(iovs.payload_hash[0]))
        assert info.version == "dummy" and info.object_type == tag.object_type


def test_run_questions_answer_as_for_no_runs(real: tuple[Path, ConditionsDB]) -> None:
    _, db = real
    assert db.runs().total == 0 and db.newest_run() is None and db.latest_run_end() is None
    assert len(db.run_timeline()) == 0 and db.fills_of_runs(1, 10**6) == []
    assert db.global_tags().total == 0 and db.recent_global_tags() == []
