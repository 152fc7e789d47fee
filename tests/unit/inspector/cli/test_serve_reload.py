"""What ``inspector serve``'s master keeps on SIGHUP: :class:`ServedApp` in-process.

The real signal, workers and clients are in ``tests/reliability/test_reload.py``;
here, each start-up check refusing a reload keeps the configuration held.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.cli.context import CliContext
from inspector.cli.serve import ServedApp
from inspector.errors import DatabaseUnavailable, InspectorError, NotFound


def _write(config: Path, databases: dict[str, Path]) -> None:
    tables = "".join(f'[databases.{alias}]\npath = "{path}"\n' for alias, path in databases.items())
    config.write_text(f'[annotations]\npath = "notes.sqlite"\n{tables}')


@pytest.fixture
def config(handmade_path: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    path = tmp_path / "inspector.toml"
    _write(path, {"hand": handmade_path[0]})
    return path


def test_a_reload_takes_the_new_file_and_says_what_changed(
    config: Path, handmade_path: tuple[Path, dict[str, str]]
) -> None:
    served = ServedApp(CliContext(config_path=str(config)), None)
    _write(config, {"hand": handmade_path[0], "more": handmade_path[0]})
    assert served.reload() == "aliases +more"
    assert list(served.serving.config.databases) == ["hand", "more"]
    assert served.reload() == "unchanged"


@pytest.mark.parametrize(
    ("db_alias", "databases", "error", "message"),
    [
        ("hand", {"other": "{hand}"}, NotFound, "unknown database alias 'hand'"),
        (None, {"hand": "{folder}/gone.sqlite"}, DatabaseUnavailable, "does not exist"),
    ],
    ids=["--db alias removed", "default database gone"],
)
def test_a_refused_reload_keeps_what_was_served(
    config: Path,
    handmade_path: tuple[Path, dict[str, str]],
    tmp_path: Path,
    db_alias: str | None,
    databases: dict[str, str],
    error: type[InspectorError],
    message: str,
) -> None:
    served = ServedApp(CliContext(config_path=str(config)), db_alias)
    before = served.serving
    places = {"hand": handmade_path[0], "folder": tmp_path}
    _write(config, {alias: Path(path.format(**places)) for alias, path in databases.items()})
    with pytest.raises(error, match=message):
        served.reload()
    assert served.serving is before
