"""Every reading command on the real CMS files, as a user types it.

``inspector --config X COMMAND --db ALIAS`` with a configuration holding one
``[databases.ALIAS] path = ...`` per file of ``../shared/data/cms-conditions/jer``
(beside the repository, never copied into it): ``summary``, ``list tags``,
``list iovs TAG`` and ``show tag TAG`` for every tag, ``list globaltags``.
Each must succeed and print what SQLite itself says of the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cms_files import REAL_CMS_DIR, REAL_CMS_FILES, real_cms_config

from inspector.cli.main import cli

pytestmark = pytest.mark.skipif(
    not REAL_CMS_FILES, reason=f"the real CMS files are not there: {REAL_CMS_DIR}"
)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_cms_config(tmp_path_factory.mktemp("real-cli"))


def _run(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def _tags(db: Path) -> list[tuple[str, int, int]]:
    """(name, IOVs, distinct payloads) of every tag."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return [
            (str(n), int(i), int(p))
            for n, i, p in con.execute(
                "select t.name, count(i.since), count(distinct i.payload_hash) "
                "from tag t left join iov i on i.tag_name = t.name group by t.name order by t.name"
            )
        ]


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return int(con.execute(f"select count(*) from {table}").fetchone()[0])


@pytest.mark.parametrize("db", REAL_CMS_FILES, ids=lambda f: f.stem)
def test_summary_says_there_is_no_run_information(config: Path, db: Path) -> None:
    out = _run(config, "summary", "--db", db.stem).output
    lines = out.splitlines()
    assert lines[0] == f"database {db.stem}: {db.resolve()}"
    for table in ("tag", "iov", "payload", "global_tag", "global_tag_map"):
        assert f"  {table:<15} {_count(db, table):>8,d} rows" in lines
    assert not any(line.strip().startswith("run_info") for line in lines)
    assert "coral_sqlite_fk" in out  # the other tables are named
    assert f"  JME::JetResolutionObject     {len(_tags(db))} tag(s)" in lines
    assert lines[-1] == "runs: no run information (the database has no RUN_INFO table)"


@pytest.mark.parametrize("db", REAL_CMS_FILES, ids=lambda f: f.stem)
def test_list_tags_lists_every_tag(config: Path, db: Path) -> None:
    out = _run(config, "list", "tags", "--db", db.stem, "--page-size", "100").output
    names = [name for name, _, _ in _tags(db)]
    listed = [line.split()[0] for line in out.splitlines()[2:-1]]
    assert listed == names
    assert out.splitlines()[-1] == f"tags 1-{len(names)} of {len(names)} (page 1 of 1)"


@pytest.mark.parametrize("db", REAL_CMS_FILES, ids=lambda f: f.stem)
def test_list_iovs_and_show_tag_of_every_tag(config: Path, db: Path) -> None:
    for name, count, payloads in _tags(db):
        iovs = _run(config, "list", "iovs", name, "--db", db.stem).output.splitlines()
        assert iovs[-1] == f"{count} IOVs in tag {name}"
        assert iovs[2].split()[:2] == ["1", "inf"]  # since 1, valid for ever (EOV -1)
        shown = dict(
            line.split("  ", 1)
            for line in _run(config, "show", "tag", name, "--db", db.stem).output.splitlines()
        )
        assert shown["end of validity"].strip() == "inf"
        assert shown["IOVs"].strip() == str(count)
        assert shown["distinct payloads"].strip() == str(payloads)
        assert shown["time type"].strip() == "Run"


@pytest.mark.parametrize("db", REAL_CMS_FILES, ids=lambda f: f.stem)
def test_list_globaltags_says_there_are_none(config: Path, db: Path) -> None:
    assert _run(config, "list", "globaltags", "--db", db.stem).output == "no global tags\n"
