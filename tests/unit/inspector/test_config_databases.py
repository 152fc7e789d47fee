"""``[databases.ALIAS]`` for server databases: URLs and DSNs, logins, owners, pools."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.config import PoolConfig, load_config
from inspector.errors import ConfigError


def test_postgresql_alias_with_login_owner_and_pool(tmp_path: Path) -> None:
    cfg = load_config(
        _write(
            tmp_path,
            '[databases.pg]\nurl = "postgresql+psycopg://nobody@db.example.org:5432/conddb"\n'
            'user = "reader"\npassword_env = "CONDDB_PASSWORD"\nschema = "conditions"\n'
            "pool_size = 3\nmax_overflow = 0\npool_recycle = 600\npool_timeout = 2.5\n"
            "pool_pre_ping = false\niov_arraysize = 20000\n",
        )
    )
    db = cfg.database("pg")
    assert db.backend == "postgresql" and db.sqlite_path is None
    assert db.connect_url().render_as_string() == (
        "postgresql+psycopg://reader@db.example.org:5432/conddb"
    )
    assert (db.password_env, db.password_file, db.schema) == ("CONDDB_PASSWORD", None, "conditions")
    assert db.pool == PoolConfig(size=3, max_overflow=0, recycle=600.0, timeout=2.5, pre_ping=False)
    assert db.iov_arraysize == 20000 and db.arraysize is None


def test_oracle_dsn_alias(tmp_path: Path) -> None:
    cfg = load_config(
        _write(
            tmp_path,
            '[databases.prod]\ndsn = "cmsr-s.example.org:10121/cms_orcon_adg"\n'
            'user = "cms_cond_general_r"\npassword_file = "secrets/conddb"\n'
            'schema = "CMS_CONDITIONS"\narraysize = 1000\n',
        )
    )
    db = cfg.database("prod")
    assert db.backend == "oracle"
    assert db.connect_url().drivername == "oracle+oracledb"
    assert db.connect_url().query == {"dsn": "cmsr-s.example.org:10121/cms_orcon_adg"}
    assert db.password_file == tmp_path.resolve() / "secrets" / "conddb"  # next to the file
    assert db.arraysize == 1000 and db.pool == PoolConfig()


def test_password_file_and_variable_are_read_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret").write_text("s3cret value\n")
    cfg = load_config(
        _write(
            tmp_path,
            '[databases.a]\nurl = "postgresql+psycopg://r@h/d"\npassword_file = "secret"\n'
            '[databases.b]\nurl = "postgresql+psycopg://r@h/d"\npassword_env = "PI_TEST_PW"\n',
        )
    )
    assert cfg.database("a").password() == "s3cret value"  # one trailing newline dropped
    monkeypatch.setenv("PI_TEST_PW", "from-env")
    assert cfg.database("b").password() == "from-env"
    monkeypatch.delenv("PI_TEST_PW")
    with pytest.raises(ConfigError, match=r"database 'b': environment variable PI_TEST_PW"):
        cfg.database("b").password()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://reader:TopSecret99@db/conddb",
        "postgresql+psycopg://reader@db/conddb?password=TopSecret99",
        "oracle+oracledb://reader:TopSecret99@db:1521/?service_name=x",
    ],
)
def test_a_url_with_a_password_is_refused_without_repeating_it(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, f'[databases.online]\nurl = "{url}"\n'))
    message = str(caught.value)
    assert "TopSecret99" not in message
    assert "carries a password" in message
    assert 'password_env = "VARIABLE"' in message and "[databases.online]" in message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('url = "postgresql://r@h/d"\ndsn = "x"', "exactly one of 'url', 'path' or 'dsn'"),
        ('url = "not a url"', "not a database URL"),
        ('url = "postgresql://r@h/d"\npassword_env = "A"\npassword_file = "b"', "not both"),
        ('path = "a.sqlite"\nuser = "r"', "SQLite file: user, password, schema and pool"),
        ('path = "a.sqlite"\npool_size = 2', "SQLite file"),
        ('url = "postgresql://r@h/d"\npool_size = 0', "pool_size must be a whole number >= 1"),
        ('url = "postgresql://r@h/d"\nmax_overflow = -1', "max_overflow must be a whole number"),
        ('url = "postgresql://r@h/d"\npool_recycle = 0', "pool_recycle must be positive"),
        ('url = "postgresql://r@h/d"\npool_timeout = "1"', "pool_timeout must be positive"),
        ('url = "postgresql://r@h/d"\npool_pre_ping = 1', "pool_pre_ping must be true or false"),
        ('url = "postgresql://r@h/d"\narraysize = 0', "arraysize must be a whole number >= 1"),
        ('url = "postgresql://r@h/d"\nschema = ""', "schema must be a non-empty string"),
        ('url = "postgresql://r@h/d"\nuser = 3', "user must be a non-empty string"),
        ('url = "postgresql://r@h/d"\npasword_env = "A"', r"unknown key\(s\) pasword_env.*known"),
    ],
)
def test_mistakes_in_server_aliases_are_named(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, f"[databases.x]\n{entry}\n"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(text)
    return path
