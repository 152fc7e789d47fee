"""Configuration as data: a TOML file naming the databases by alias.

Looked up, first match wins: an explicit path (``--config``), the
``INSPECTOR_CONFIG`` environment variable, ``./inspector.toml``.  With none of
them the built-in configuration has one alias, ``demo``, pointing at the demo
SQLite file in the user data folder (``$XDG_DATA_HOME/payload-inspector``).

Example::

    default_database = "demo"

    [databases.demo]
    path = "var/demo.sqlite"        # SQLite file, relative to this file
    description = "Demo conditions"

    [databases.online]               # server databases: see inspector.database_config
    url = "postgresql+psycopg://reader@db.example.org/conddb"
    password_env = "CONDDB_PASSWORD"  # never a password in the URL

    [engine]                        # optional; every key optional
    drawer_timeout = 30             # seconds a drawer may run (its own `timeout` wins)
    workers = 4

    [cache]                         # optional: a Redis cache shared by server processes
    redis_url = "redis://127.0.0.1:6379/0"

    [[watch]]                       # optional, repeatable: the calibration watch
    db = "demo"                     # optional: the default database
    tag = "BeamSpotObjects_PCL_byLumi_v1"
    max_latency_hours = 48          # expected within 48 h of a run's end
    stale_after_hours = 168         # optional: beyond this, STALE instead of LATE

    [watch_clock]                   # optional: archived databases (the demo)
    after_newest_run_hours = 72     # "now" = 72 h after the newest run's end

    [web]                           # optional: absolute links use this, never the Host header
    public_url = "https://inspector.example.org"
    [ops]                           # optional: who may read /metrics and /_stats
    access = "loopback"             # "open" (default), "loopback" or "token"

    [payloads]                      # optional: payload layouts of your own
    layouts = ["layouts"]           # folders of *.archive.toml / *.v<N>.toml, beside the plugins'

Unknown keys are rejected with their name, so a typo never silently falls
back to a default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from inspector.annotations.settings import (
    DEFAULT_FILENAME as ANNOTATIONS_FILENAME,
)
from inspector.annotations.settings import (
    AnnotationsConfig,
    AuthConfig,
    parse_annotations_table,
    parse_auth_table,
)
from inspector.certification import Certifications, load_certification, parse_certification_table
from inspector.config_tables import check_table
from inspector.database_config import DatabaseConfig, PoolConfig
from inspector.database_config import parse_database as _parse_database
from inspector.engine.cache_settings import CacheConfig
from inspector.engine.settings import EngineSettings
from inspector.errors import ConfigError, NotFound
from inspector.jobs.settings import JobSettings
from inspector.ops_settings import OpsSettings
from inspector.rate_limits import RateLimits
from inspector.render.png_settings import PngSettings
from inspector.watch.settings import WatchConfig, WatchedTag, parse_watch_tables
from inspector.web_settings import WebSettings

__all__ = [
    "CacheConfig",
    "Config",
    "DatabaseConfig",
    "PoolConfig",
    "WatchConfig",
    "WatchedTag",
    "check_table",
    "default_data_dir",
    "load_config",
]

CONFIG_ENV: Final = "INSPECTOR_CONFIG"
CONFIG_FILENAME: Final = "inspector.toml"
DEMO_FILENAME: Final = "demo.sqlite"
DEMO_GOLDEN_FILENAME: Final = "demo-golden.json"
DEMO_CERTIFICATION: Final = "golden_2024"

_TOP_KEYS: Final = frozenset(
    {
        "default_database",
        "databases",
        "engine",
        "cache",
        "certification",
        "annotations",
        "auth",
        "watch",
        "watch_clock",
        "payloads",
        "jobs",
        "png",
        "web",
        "ops",
        "limits",
    }
)


@dataclass(frozen=True)
class Config:
    """The whole configuration; built by :func:`load_config`."""

    databases: Mapping[str, DatabaseConfig]
    default_database: str
    source: Path | None = None
    #: ``[engine]``: limits and cache budgets, checked when the file loads
    engine: EngineSettings = field(default_factory=EngineSettings)
    cache: CacheConfig = field(default_factory=CacheConfig)
    #: ``[jobs]``: background jobs for heavy plots (docs/jobs.md), checked when the file loads
    jobs: JobSettings = field(default_factory=JobSettings)
    #: ``[png]``: the browser that draws PNG exports, checked when the file loads
    png: PngSettings = field(default_factory=PngSettings)
    #: ``[web]``: the public URL absolute links are built on (none: links are relative)
    web: WebSettings = field(default_factory=WebSettings)
    #: ``[ops]``: who may read ``/metrics`` and ``/_stats``, checked when the file loads
    ops: OpsSettings = field(default_factory=OpsSettings)
    #: ``[limits]``: per-client rate limits of expensive routes (off when empty)
    limits: RateLimits = field(default_factory=RateLimits)
    #: ``[certification]``: golden JSON files by name (docs/certification.md).
    certifications: Certifications = field(default_factory=Certifications)
    #: ``[annotations]``: the notes database; ``None`` keeps notes in memory only.
    annotations: AnnotationsConfig | None = None
    #: ``[auth]``: who may write notes (docs/annotations.md).
    auth: AuthConfig = field(default_factory=AuthConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    #: ``[payloads] layouts``: folders of payload layouts loaded beside the plugins'
    #: (docs/payload-schemas.md, "Writing payloads of your own type").
    layout_folders: tuple[Path, ...] = ()

    def database(self, alias: str | None = None) -> DatabaseConfig:
        """The database of ``alias`` (default: the configured default)."""
        name = alias or self.default_database
        try:
            return self.databases[name]
        except KeyError:
            known = ", ".join(sorted(self.databases)) or "none"
            raise NotFound(f"unknown database alias {name!r} (configured: {known})") from None


def default_data_dir() -> Path:
    """Per-user folder for the demo database when no config file says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "payload-inspector"


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Find and parse the configuration (see the module docstring for the order)."""
    chosen = path or os.environ.get(CONFIG_ENV)
    if chosen is None and Path(CONFIG_FILENAME).is_file():
        chosen = CONFIG_FILENAME
    if chosen is None:
        return _builtin_config()
    file = Path(chosen)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {file}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    return parse_config(data, base_dir=file.resolve().parent, source=file)


def parse_config(data: Mapping[str, Any], *, base_dir: Path, source: Path | None = None) -> Config:
    """Validate a parsed TOML document; relative SQLite paths use ``base_dir``."""
    where = str(source) if source else "configuration"
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    raw_dbs = data.get("databases", {})
    if not isinstance(raw_dbs, Mapping) or not raw_dbs:
        raise ConfigError(f"{where}: [databases] must name at least one database")
    databases = {
        alias: _parse_database(alias, entry, base_dir, where) for alias, entry in raw_dbs.items()
    }
    default = data.get("default_database", "demo" if "demo" in databases else next(iter(databases)))
    if default not in databases:
        raise ConfigError(f"{where}: default_database {default!r} is not in [databases]")
    engine = EngineSettings.from_table(data.get("engine", {}), where)
    cache = CacheConfig.from_table(data.get("cache", {}), base_dir, where)
    watch = parse_watch_tables(
        data.get("watch", []), data.get("watch_clock", {}), databases, default, where
    )
    return Config(
        databases=databases,
        default_database=default,
        source=source,
        engine=engine,
        cache=cache,
        jobs=JobSettings.from_table(data.get("jobs"), where),
        png=PngSettings.from_table(data.get("png"), where),
        web=WebSettings.from_table(data.get("web"), where),
        ops=OpsSettings.from_table(data.get("ops"), where),
        limits=RateLimits.from_table(data.get("limits"), where),
        certifications=parse_certification_table(data.get("certification", {}), base_dir, where),
        annotations=(
            parse_annotations_table(data["annotations"], base_dir, where)
            if "annotations" in data
            else _default_annotations()
        ),
        auth=parse_auth_table(data.get("auth", {}), where),
        watch=watch,
        layout_folders=_parse_payloads(data.get("payloads", {}), base_dir, where),
    )


def _parse_payloads(entry: Any, base_dir: Path, where: str) -> tuple[Path, ...]:
    """``[payloads] layouts``: existing folders, relative to the configuration file."""
    entry = check_table(entry, "payloads", ["layouts"], where)
    folders = entry.get("layouts", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) and f for f in folders):
        raise ConfigError(f"{where}: [payloads] layouts must be a list of folder paths")
    out = []
    for text in folders:
        folder = base_dir / Path(text).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"{where}: [payloads] layouts: {folder} is not a folder")
        out.append(folder)
    return tuple(out)


def _builtin_config() -> Config:
    demo = default_data_dir() / DEMO_FILENAME
    db = DatabaseConfig("demo", f"sqlite:///{demo}", "Demo conditions database")
    golden = demo.with_name(DEMO_GOLDEN_FILENAME)
    certifications = Certifications(
        {
            DEMO_CERTIFICATION: load_certification(
                DEMO_CERTIFICATION, golden, "Certified runs of the demo database"
            )
        }
        if golden.is_file()
        else {}
    )
    return Config(
        databases={"demo": db},
        default_database="demo",
        source=None,
        certifications=certifications,
        annotations=_default_annotations(),
    )


def _default_annotations() -> AnnotationsConfig:
    """Notes go to the user data folder unless ``[annotations]`` says otherwise."""
    return AnnotationsConfig(f"sqlite:///{default_data_dir() / ANNOTATIONS_FILENAME}")
