"""What every command shares: the configuration, databases and schemas.

Loaded lazily, so ``inspector --help`` works without a configuration and a
bad configuration fails only the commands that need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from inspector.conddb import ConditionsDB, open_database
from inspector.conddb.timetypes import parse_snapshot
from inspector.config import Config, load_config
from inspector.payload import SchemaRegistry
from inspector.plugin import Plugins, load_plugins

__all__ = ["CliContext", "db_option", "parse_snapshot", "pass_cli"]  # parse_snapshot re-exported


@dataclass
class CliContext:
    """Lazily opened resources of one command-line invocation."""

    config_path: str | None = None
    _config: Config | None = None
    _databases: dict[str, ConditionsDB] = field(default_factory=dict)
    _plugins: Plugins | None = None

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
            plugins = load_plugins()
            plugins.add_layouts(self.config.layout_folders)
            self._plugins = plugins
        return self._plugins

    @property
    def schemas(self) -> SchemaRegistry:
        """The payload schemas registered by plugins."""
        return self.plugins.schemas

    def close(self) -> None:
        """Release database connections."""
        for db in self._databases.values():
            db.close()


pass_cli = click.make_pass_decorator(CliContext, ensure=True)

db_option = click.option(
    "--db",
    "db_alias",
    metavar="ALIAS",
    default=None,
    help="Database alias from the configuration (default: the configured default).",
)
