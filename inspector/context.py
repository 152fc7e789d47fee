"""What a command-line invocation and a notebook session share.

The configuration, the installed plugins (with the configuration's layout
folders), the opened databases and one engine, each made on first use.  The
``inspector`` command (:class:`inspector.cli.context.CliContext`) and the
notebook API (:func:`inspector.open`) are two edges over this one object, so
a notebook reads a database exactly as ``inspector plot`` does.

Loaded lazily, so ``inspector --help`` works without a configuration and a
bad configuration fails only the commands that need it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from inspector.conddb import ConditionsDB, open_database
from inspector.config import Config, DatabaseConfig, load_config
from inspector.engine import Engine
from inspector.errors import NotFound
from inspector.payload import SchemaRegistry
from inspector.plugin import Plugins, load_plugins

__all__ = ["Context", "resolve_database"]


@dataclass
class Context:
    """Lazily opened resources of one invocation or session."""

    config_path: str | None = None
    _config: Config | None = None
    _databases: dict[str, ConditionsDB] = field(default_factory=dict)
    _plugins: Plugins | None = None
    _engine: Engine | None = None

    @property
    def config(self) -> Config:
        """The configuration (see :func:`inspector.config.load_config`)."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def database(self, alias: str | None) -> ConditionsDB:
        """The database of ``alias`` (the configured default when ``None``)."""
        cfg = self.config.database(alias)
        if cfg.alias not in self._databases:
            self._databases[cfg.alias] = open_database(cfg)
        return self._databases[cfg.alias]

    @property
    def plugins(self) -> Plugins:
        """Every installed plugin's registrations (loaded on first use).

        The configuration's ``[payloads] layouts`` folders are registered too.
        """
        if self._plugins is None:
            plugins = self._load_plugins()
            plugins.add_layouts(self.config.layout_folders)
            self._plugins = plugins
        return self._plugins

    def _load_plugins(self) -> Plugins:
        """Every installed plugin (an edge may load them its own way)."""
        return load_plugins()

    @property
    def schemas(self) -> SchemaRegistry:
        """The payload schemas registered by plugins."""
        return self.plugins.schemas

    @property
    def engine(self) -> Engine:
        """The engine, with the limits of the configuration's ``[engine]`` table.

        Made once: its caches (decoded payloads, reductions, IOV lists) last
        as long as this context, which is what a notebook wants between cells.
        """
        if self._engine is None:
            settings = self.config.engine
            self._engine = Engine(self.config, self.plugins, settings)
        return self._engine

    def close(self) -> None:
        """Release database connections and the engine's workers."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        for db in self._databases.values():
            db.close()
        self._databases.clear()


def resolve_database(
    config: Config, source: str | os.PathLike[str]
) -> tuple[Config, DatabaseConfig]:
    """A configured alias, else an existing SQLite file, as a database of ``config``.

    A file is added to the configuration under an alias of its own (its file
    name, or its absolute path when that name is already an alias), so the
    engine, provenance and permalinks name it like any configured database.
    Neither: :class:`NotFound` naming ``source`` and the configured aliases.
    """
    text = str(source)
    if text in config.databases:
        return config, config.databases[text]
    path = Path(source).expanduser()
    if not path.is_file():
        known = ", ".join(sorted(config.databases)) or "none"
        raise NotFound(f"{text!r} is neither a configured alias ({known}) nor a SQLite file")
    alias = path.name if path.name not in config.databases else str(path.absolute())
    db = DatabaseConfig(alias, f"sqlite:///{path.absolute()}", f"SQLite file {path}")
    return dataclasses.replace(config, databases={**config.databases, alias: db}), db
