"""Configuration loading: aliases, relative paths, defaults and clear errors."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from inspector.config import CacheConfig, default_data_dir, load_config, parse_config
from inspector.engine import EngineSettings
from inspector.errors import ConfigError, NotFound


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(text)
    return path


def test_sqlite_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, '[databases.demo]\npath = "var/demo.sqlite"\n'))
    db = cfg.database()
    assert db.alias == "demo"
    assert db.sqlite_path == (tmp_path / "var" / "demo.sqlite").resolve()


def test_a_symlinked_database_path_stays_a_symlink(tmp_path: Path) -> None:
    """Not resolved when read, so pointing the link at a new file later is seen by the server."""
    (tmp_path / "v1.sqlite").touch()
    (tmp_path / "current.sqlite").symlink_to(tmp_path / "v1.sqlite")
    cfg = load_config(_write(tmp_path, '[databases.demo]\npath = "current.sqlite"\n'))
    assert cfg.database().sqlite_path == tmp_path.resolve() / "current.sqlite"


def test_url_databases_and_explicit_default(tmp_path: Path) -> None:
    cfg = load_config(
        _write(
            tmp_path,
            'default_database = "prod"\n'
            '[databases.demo]\npath = "a.sqlite"\n'
            '[databases.prod]\nurl = "postgresql://host/db"\ndescription = "P"\n',
        )
    )
    assert cfg.database().alias == "prod"
    assert cfg.database("prod").sqlite_path is None
    assert cfg.database("demo").url.startswith("sqlite:///")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n[databases.a]\npath = 'x'\n", "unknown key"),
        ("[databases]\n", "at least one database"),
        ("[databases.a]\npath = 'x'\nurl = 'y'\n", "exactly one of 'url', 'path' or 'dsn'"),
        ("[databases.a]\ndescription = 'x'\n", "exactly one of 'url', 'path' or 'dsn'"),
        ("[databases.a]\npath = 'x'\npasword = 1\n", "unknown key"),
        ("default_database = 'b'\n[databases.a]\npath = 'x'\n", "default_database 'b'"),
        ("[databases.a\n", "invalid TOML"),
        ("engine = 3\n[databases.a]\npath = 'x'\n", r"\[engine\] must be a table"),
        ("[databases.a]\npath = 'x'\n[engine]\ntimeout = 3\n", "unknown key.*timeout.*known"),
        ("[databases.a]\npath = 'x'\n[engine]\ndrawer_timeout = 0\n", "greater than 0"),
        ("[databases.a]\npath = 'x'\n[engine]\ndrawer_timeout = 'long'\n", "a number"),
        ("[databases.a]\npath = 'x'\n[engine]\ndrawer_timeout = inf\n", "finite"),
        ("[databases.a]\npath = 'x'\n[engine]\ndrawer_timeout = nan\n", "finite"),
        ("[databases.a]\npath = 'x'\n[engine]\nworkers = 0\n", "at least 1"),
        ("[databases.a]\npath = 'x'\n[engine]\nworkers = 2.5\n", "whole number"),
        ("[databases.a]\npath = 'x'\n[engine]\nworkers = true\n", "whole number"),
        ("[databases.a]\npath = 'x'\n[engine]\ndecoded_cache_mb = -1\n", "at least 0"),
        # [jobs] and [png] are checked when the file loads, not when a plot first needs them
        ("[databases.a]\npath = 'x'\n[jobs]\nworkers = 0\n", r"\[jobs\] workers .* at least 1"),
        ("[databases.a]\npath = 'x'\n[jobs]\nhevy_mb = 1\n", r"unknown key.*hevy_mb"),
        (
            "[databases.a]\npath = 'x'\n[png]\ntimeout = -1\n",
            r"\[png\] timeout must be a positive number",
        ),
        ("[databases.a]\npath = 'x'\n[png]\nbrowser = 3\n", r"\[png\] browser must be a path"),
        ("png = 3\n[databases.a]\npath = 'x'\n", r"\[png\] must be a table"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, text))


def test_missing_file_and_unknown_alias(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_config(tmp_path / "none.toml")
    cfg = load_config(_write(tmp_path, "[databases.a]\npath = 'x'\n"))
    with pytest.raises(NotFound, match=r"unknown database alias 'b' \(configured: a\)"):
        cfg.database("b")


def test_builtin_default_points_demo_at_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INSPECTOR_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    cfg = load_config()
    assert cfg.source is None
    assert cfg.database("demo").sqlite_path == tmp_path / "data/payload-inspector/demo.sqlite"
    assert default_data_dir() == tmp_path / "data/payload-inspector"


def test_environment_variable_and_working_directory_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "[databases.here]\npath = 'h.sqlite'\n")
    monkeypatch.delenv("INSPECTOR_CONFIG", raising=False)
    assert load_config().default_database == "here"
    other = tmp_path / "other.toml"
    other.write_text("[databases.env]\npath = 'e.sqlite'\n")
    monkeypatch.setenv("INSPECTOR_CONFIG", str(other))
    assert load_config().default_database == "env"


def test_engine_table_becomes_engine_settings(tmp_path: Path) -> None:
    """Set keys reach EngineSettings (MiB → bytes); unset ones keep its defaults."""
    cfg = load_config(
        _write(
            tmp_path,
            "[databases.a]\npath = 'x'\n"
            "[engine]\ndrawer_timeout = 2.5\nworkers = 3\ndecoded_cache_mb = 128\n"
            "reduction_cache_mb = 0.5\niov_cache_mb = 10\niov_cache_seconds = 0\n",
        )
    )
    assert cfg.engine == EngineSettings(
        decoded_cache_bytes=128 << 20,
        reduction_cache_bytes=512 << 10,
        iov_cache_bytes=10 << 20,
        iov_cache_seconds=0.0,
        drawer_timeout=2.5,
        workers=3,
    )
    partial = load_config(_write(tmp_path, "[databases.a]\npath = 'x'\n[engine]\nworkers = 2\n"))
    assert partial.engine == EngineSettings(workers=2)
    plain = load_config(_write(tmp_path, "[databases.a]\npath = 'x'\n"))
    assert plain.engine == EngineSettings()  # the engine's own defaults, declared once


def test_a_removed_count_budget_names_its_byte_replacement(tmp_path: Path) -> None:
    text = "[databases.a]\npath = 'x'\n[engine]\niov_cache_entries = 256\n"
    with pytest.raises(ConfigError, match=r"iov_cache_entries was removed: set iov_cache_mb"):
        load_config(_write(tmp_path, text))


def test_web_cache_budgets_are_mib_in_the_file() -> None:
    text = "[databases.a]\npath = 'x'\n[cache]\nrendered_mb = 8\nplots_mb = 0.5\ndocuments_mb = 0\n"
    cache = parse_config(tomllib.loads(text), base_dir=Path("/")).cache
    budgets = (cache.rendered_bytes, cache.plots_bytes, cache.documents_bytes)
    assert budgets == (8 << 20, 512 << 10, 0)
    assert not cache.enabled  # budgets alone configure no Redis


# -- [cache]: the optional shared Redis cache -------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[cache]\nredis_url = 'http://x'\n", "must start with redis://"),
        ("[cache]\nredis_url = 5\n", "must start with redis://"),
        ("[cache]\nkey_prefix = 'has space'\n", "key_prefix"),
        ("[cache]\ntimeout_seconds = 0\n", "greater than 0"),
        ("[cache]\nretry_after_seconds = -1\n", "greater than 0"),
        ("[cache]\nttl_seconds = 'long'\n", "a number"),
        ("[cache]\nmax_value_mb = nan\n", "finite"),
        ("[cache]\nrendered_mb = -1\n", "rendered_mb"),
        ("[cache]\nredis = 'redis://x'\n", r"unknown key.*redis.*known"),
    ],
)
def test_cache_table_is_validated(table: str, message: str) -> None:
    data = tomllib.loads(table + "[databases.a]\npath = 'x'\n")
    with pytest.raises(ConfigError, match=message):
        parse_config(data, base_dir=Path("/"))


def test_cache_table_is_parsed() -> None:
    text = (
        "[databases.a]\npath = 'x'\n[cache]\nredis_url = 'redis://h:1/2'\n"
        "key_prefix = 'site-a'\nttl_seconds = 60\ntimeout_seconds = 0.1\n"
    )
    cache = parse_config(tomllib.loads(text), base_dir=Path("/")).cache
    assert cache == CacheConfig("redis://h:1/2", "site-a", 60.0, 0.1, 5.0, 16.0)
    assert cache.enabled and not CacheConfig().enabled


def test_cache_credentials_come_from_a_variable_or_a_file() -> None:
    base = "[databases.a]\npath = 'x'\n[cache]\nredis_url = 'redis://h:1/2'\n"
    cache = parse_config(
        tomllib.loads(base + "user = 'inspector'\npassword_file = 'secrets/redis'\n"),
        base_dir=Path("/etc/inspector"),
    ).cache
    assert cache.user == "inspector"
    assert cache.password_file == Path("/etc/inspector/secrets/redis")
    both = base + "password_env = 'R'\npassword_file = 'f'\n"
    with pytest.raises(ConfigError, match="one of password_env or password_file"):
        parse_config(tomllib.loads(both), base_dir=Path("/"))


def test_cache_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match=r"\[cache\] must be a table"):
        parse_config({"cache": 1, "databases": {"a": {"path": "x"}}}, base_dir=Path("/"))


def test_jobs_and_png_tables_become_typed_settings(tmp_path: Path) -> None:
    text = "[databases.a]\npath = 'x'\n[jobs]\nworkers = 3\n[png]\nconcurrency = 4\n"
    config = load_config(_write(tmp_path, text))
    assert config.jobs.workers == 3 and config.png.concurrency == 4
    assert not hasattr(config, "extra")  # nothing travels as a raw table


def test_no_import_cycle_between_conddb_config_and_certification() -> None:
    """Each of them imports first in a fresh interpreter (a cycle fails one of the orders)."""
    for first in ("inspector.conddb", "inspector.config", "inspector.certification"):
        code = f"import {first}; import inspector.conddb, inspector.config, inspector.certification"
        subprocess.run([sys.executable, "-c", code], check=True)
    code = "import sys, inspector.conddb; print('inspector.config' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the database layer needs no configuration file
