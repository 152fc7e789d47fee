"""The ``[databases.ALIAS]`` tables of the configuration: where each database is, how to log in.

Three kinds of alias, told apart by the one location key they give::

    [databases.demo]                      # SQLite file, relative to the configuration file
    path = "var/demo.sqlite"

    [databases.pg]                        # PostgreSQL (any SQLAlchemy URL)
    url = "postgresql+psycopg://reader@db.example.org:5432/conddb"
    password_env = "CONDDB_PASSWORD"
    schema = "cms_conditions"

    [databases.prod]                      # Oracle through python-oracledb (thin mode)
    dsn = "cmsr-s.cern.ch:10121/cms_orcon_adg.cern.ch"
    user = "cms_cond_general_r"
    password_file = "/run/secrets/conddb"
    schema = "CMS_CONDITIONS"

Secrets never sit in the configuration: a URL that carries a password is
refused (the message says what to write instead), and the password is read
from an environment variable or a file each time a connection is opened, so
a rotated secret is picked up without a restart.  Whatever is shown of an
alias (:attr:`DatabaseConfig.url`, logs, errors) therefore holds no password.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from inspector.config_tables import reject_unknown
from inspector.errors import ConfigError
from inspector.secrets import read_secret

__all__ = ["DatabaseConfig", "PoolConfig", "parse_database"]

_LOCATION_KEYS: Final = ("path", "url", "dsn")
_CREDENTIAL_KEYS: Final = frozenset({"user", "password_env", "password_file"})
#: Keys a ``[databases.ALIAS]`` table may hold (pool keys are listed in :data:`_POOL_KEYS`).
_STRING_KEYS: Final = frozenset({*_LOCATION_KEYS, *_CREDENTIAL_KEYS, "description", "schema"})
DB_KEYS: Final = _STRING_KEYS | {"arraysize", "iov_arraysize"}
_POOL_KEYS: Final = {
    "pool_size": "size",
    "max_overflow": "max_overflow",
    "pool_recycle": "recycle",
    "pool_timeout": "timeout",
    "pool_pre_ping": "pre_ping",
}
_PASSWORD_QUERY_KEYS: Final = frozenset({"password", "pass", "pwd"})


@dataclass(frozen=True)
class PoolConfig:
    """Connection-pool settings of a server database (SQLite files keep their own pool).

    Defaults suit one server process with a few worker threads: a handful of
    connections, recycled before firewalls drop idle ones, checked with a
    cheap ping on checkout so a database that restarted is reconnected to
    instead of failing the request.
    """

    size: int = 5
    max_overflow: int = 5
    recycle: float = 1800.0
    timeout: float = 10.0
    pre_ping: bool = True


@dataclass(frozen=True)
class DatabaseConfig:
    """One conditions database, reachable under ``alias``.

    ``url`` is a SQLAlchemy URL *without* password; ``user`` (when set)
    replaces the URL's user name, and the password comes from
    ``password_env`` or ``password_file`` (see :meth:`password`).
    """

    alias: str
    url: str
    description: str = ""
    user: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    #: Owner of the tables (Oracle account, PostgreSQL schema): queries read OWNER.TABLE.
    schema: str | None = None
    pool: PoolConfig = field(default_factory=PoolConfig)
    #: Rows per fetch round trip on Oracle (``None``: python-oracledb's default, 100).
    arraysize: int | None = None
    #: Rows per fetch round trip for IOV lists, which run to tens of thousands of rows.
    iov_arraysize: int = 10_000

    @property
    def sqlite_path(self) -> Path | None:
        """The file of a SQLite database, ``None`` for server databases."""
        prefix = "sqlite:///"
        return Path(self.url[len(prefix) :]) if self.url.startswith(prefix) else None

    @property
    def backend(self) -> str:
        """The SQLAlchemy backend name: ``sqlite``, ``postgresql``, ``oracle``, ..."""
        return make_url(self.url).get_backend_name()

    def password(self) -> str | None:
        """The password, read now from its variable or file (``None``: none configured).

        Read at every new connection rather than once, so a rotated secret
        is used as soon as the old connections are recycled.  A missing
        variable or unreadable file is a :class:`ConfigError` that names the
        alias and the variable or file, never the secret.
        """
        return read_secret(self.password_env, self.password_file, f"database {self.alias!r}")

    def connect_url(self) -> URL:
        """The URL to connect with: the configured user, still without password."""
        url = make_url(self.url)
        return url.set(username=self.user) if self.user is not None else url


def parse_database(alias: str, entry: Any, base_dir: Path, where: str) -> DatabaseConfig:
    """Validate one ``[databases.ALIAS]`` table; every mistake is named."""
    what = f"{where}: [databases.{alias}]"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{what} must be a table")
    reject_unknown(entry, DB_KEYS | set(_POOL_KEYS), f"[databases.{alias}]", where)
    given = [k for k in _LOCATION_KEYS if k in entry]
    if len(given) != 1:
        raise ConfigError(f"{what} needs exactly one of 'url', 'path' or 'dsn'")
    strings = {k: _string(entry, k, what) for k in entry if k in _STRING_KEYS}
    url = _location(given[0], strings[given[0]], base_dir, what, alias)
    if url.startswith("sqlite") and set(entry) & (_CREDENTIAL_KEYS | {"schema"} | set(_POOL_KEYS)):
        raise ConfigError(
            f"{what} is a SQLite file: user, password, schema and pool keys apply "
            "to server databases only"
        )
    if "password_env" in entry and "password_file" in entry:
        raise ConfigError(f"{what} give one of 'password_env' or 'password_file', not both")
    password_file = strings.get("password_file")
    return DatabaseConfig(
        alias=alias,
        url=url,
        description=strings.get("description", ""),
        user=strings.get("user"),
        password_env=strings.get("password_env"),
        password_file=(base_dir / Path(password_file).expanduser()) if password_file else None,
        schema=strings.get("schema"),
        pool=_pool(entry, what),
        arraysize=_count(entry, "arraysize", what),
        iov_arraysize=_count(entry, "iov_arraysize", what) or DatabaseConfig.iov_arraysize,
    )


def _string(entry: Mapping[str, Any], key: str, what: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or (not value and key != "description"):
        raise ConfigError(f"{what} {key} must be a non-empty string, not {value!r}")
    return value


def _location(key: str, value: str, base_dir: Path, what: str, alias: str) -> str:
    """The SQLAlchemy URL of ``path``, ``url`` or ``dsn`` — refused if it holds a password."""
    if key == "path":
        # Not resolved: a symlink stays a symlink, so pointing it at a new
        # file later is seen by the server (base_dir is already absolute).
        return f"sqlite:///{base_dir / Path(value).expanduser()}"
    if key == "dsn":
        # python-oracledb takes the DSN as is: host:port/service, a TNS alias or a descriptor.
        return URL.create("oracle+oracledb", query={"dsn": value}).render_as_string()
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError(
            f"{what} url is not a database URL (expected e.g. "
            "postgresql+psycopg://reader@host:5432/conddb)"
        ) from None
    if url.password is not None or _PASSWORD_QUERY_KEYS & {k.lower() for k in url.query}:
        hidden = _PASSWORD_QUERY_KEYS
        masked = {k: "***" if k.lower() in hidden else v for k, v in url.query.items()}
        shown = url.set(query=masked).render_as_string(hide_password=True)
        raise ConfigError(
            f"{what} url {shown} carries a password: "
            f'remove it from the URL and set user = "..." with password_env = "VARIABLE" '
            f'(or password_file = "/run/secrets/{alias}") in [databases.{alias}]'
        )
    return url.render_as_string(hide_password=False)


def _pool(entry: Mapping[str, Any], what: str) -> PoolConfig:
    """Pool keys of an alias; sizes whole numbers, times positive seconds, pre-ping a boolean."""
    values: dict[str, Any] = {}
    for key, name in _POOL_KEYS.items():
        if key not in entry:
            continue
        value = entry[key]
        if key == "pool_pre_ping":
            if not isinstance(value, bool):
                raise ConfigError(f"{what} {key} must be true or false, not {value!r}")
        elif key in ("pool_size", "max_overflow"):
            lowest = 1 if key == "pool_size" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ConfigError(f"{what} {key} must be a whole number >= {lowest}, not {value!r}")
        else:
            bad = isinstance(value, bool) or not isinstance(value, int | float)
            if bad or not math.isfinite(value) or value <= 0:
                raise ConfigError(f"{what} {key} must be positive seconds, not {value!r}")
            value = float(value)
        values[name] = value
    return PoolConfig(**values)


def _count(entry: Mapping[str, Any], key: str, what: str) -> int | None:
    if key not in entry:
        return None
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{what} {key} must be a whole number >= 1, not {value!r}")
    return int(value)
