"""The shared context of the CLI and the notebook API, and alias-or-file resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.cli.context import CliContext
from inspector.config import Config, DatabaseConfig
from inspector.context import Context, resolve_database
from inspector.errors import NotFound

CONFIG = Config(
    {
        "demo": DatabaseConfig("demo", "sqlite:////somewhere/demo.sqlite"),
        "pro": DatabaseConfig("pro", "postgresql://reader@db/conddb"),
    },
    "demo",
)


def test_an_alias_is_the_configured_database() -> None:
    config, db = resolve_database(CONFIG, "pro")
    assert config is CONFIG and db is CONFIG.databases["pro"]


def test_a_file_is_added_under_its_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.sqlite"
    path.write_bytes(b"")
    config, db = resolve_database(CONFIG, path)
    assert db.alias == "mine.sqlite" and db.url == f"sqlite:///{path.absolute()}"
    assert config.databases == {**CONFIG.databases, "mine.sqlite": db}
    assert config.database("mine.sqlite") is db and config.default_database == "demo"
    assert resolve_database(CONFIG, str(path))[1] == db  # a str path is the same


def test_neither_names_the_source_and_the_aliases() -> None:
    with pytest.raises(NotFound) as caught:
        resolve_database(CONFIG, "nothing.sqlite")
    assert str(caught.value) == (
        "'nothing.sqlite' is neither a configured alias (demo, pro) nor a SQLite file"
    )


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="neither"):
        resolve_database(CONFIG, tmp_path)


def test_the_cli_context_is_the_shared_context(demo_path: Path) -> None:
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    cli = CliContext(_config=config)
    assert isinstance(cli, Context)
    engine = cli.engine
    assert cli.engine is engine  # one engine, so its caches last the whole session
    assert engine.plugins is cli.plugins and engine.config is config
    assert engine.settings == config.engine
    assert cli.database("demo").alias == "demo"
    cli.close()
    assert cli._engine is None and cli._databases == {}
