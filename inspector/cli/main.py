"""The ``inspector`` command: a thin edge over the core.

Every :class:`~inspector.errors.InspectorError` becomes one line on stderr and
the exit code its class declares (2 for bad input), never a traceback.
"""

from __future__ import annotations

from typing import Any

import click

from inspector import __version__
from inspector.cli.context import CliContext
from inspector.cli.copy import copy_db
from inspector.cli.decode import decode_command
from inspector.cli.demo import demo_db
from inspector.cli.listing import list_group, show_group, summary
from inspector.cli.plot import plot_command
from inspector.cli.plugins import plugins_command
from inspector.cli.serve import serve_command
from inspector.cli.worker import worker_command
from inspector.errors import InspectorError

__all__ = ["cli", "main"]


class InspectorGroup(click.Group):
    """A click group that reports product errors cleanly."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InspectorError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        finally:
            if isinstance(ctx.obj, CliContext):
                ctx.obj.close()


@click.group(cls=InspectorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="INSPECTOR_CONFIG",
    help="Configuration file (default: ./inspector.toml, else the built-in demo alias).",
)
@click.version_option(__version__, prog_name="inspector")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Payload Inspector: browse and plot calibration payloads of a conditions database."""
    ctx.obj = CliContext(config_path=config_path)


cli.add_command(demo_db)
cli.add_command(copy_db)
cli.add_command(list_group)
cli.add_command(show_group)
cli.add_command(decode_command)
cli.add_command(summary)
cli.add_command(plugins_command)
cli.add_command(plot_command)
cli.add_command(serve_command)
cli.add_command(worker_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="inspector")
