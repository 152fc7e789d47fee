"""What every command shares: the configuration, databases, schemas and engine.

:class:`CliContext` is the core :class:`inspector.context.Context` (shared
with the notebook API, :func:`inspector.open`) under the name click passes
to the commands.  Loaded lazily, so ``inspector --help`` works without a
configuration and a bad configuration fails only the commands that need it.
"""

from __future__ import annotations

import click

from inspector.conddb.timetypes import parse_snapshot
from inspector.context import Context
from inspector.plugin import Plugins, load_plugins

__all__ = ["CliContext", "db_option", "parse_snapshot", "pass_cli"]  # parse_snapshot re-exported


class CliContext(Context):
    """Lazily opened resources of one command-line invocation."""

    def _load_plugins(self) -> Plugins:
        # This module's name, looked up at each call: tests and launchers
        # replace ``inspector.cli.context.load_plugins`` to bring a command
        # plugins of their own.
        return load_plugins()


pass_cli = click.make_pass_decorator(CliContext, ensure=True)

db_option = click.option(
    "--db",
    "db_alias",
    metavar="ALIAS",
    default=None,
    help="Database alias from the configuration (default: the configured default).",
)
