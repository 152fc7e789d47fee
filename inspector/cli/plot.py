"""``inspector plot DRAWER``: any drawer to any export format, without the server.

Like CMS ``getPayloadData.py``, but one command for every kind of drawer.
Its options are derived from the plot request's fields
(:mod:`inspector.request`) and the bytes come from the one export path
(:func:`inspector.render.exports.export`), so a file written here is the
file the server gives for the same request.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from inspector.cli.context import CliContext, db_option, pass_cli
from inspector.cli.progress import TerminalProgress
from inspector.engine import Engine
from inspector.errors import InvalidParameter
from inspector.render.exports import RenderTools, export, render_context
from inspector.render.png import PngRenderer
from inspector.request import PlotRequest, request_fields, reserved_names

__all__ = ["plot_command", "request_options"]


def _params(pairs: tuple[str, ...]) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    reserved = reserved_names()
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidParameter("param", f"{pair!r} is not KEY=VALUE")
        if key in reserved:
            raise InvalidParameter("param", f"{key!r} is not a drawer parameter: use --{key}")
        params.append((key, value))
    return params


def _option_type(schema: Any) -> Any:
    if "enum" in schema:
        return click.Choice(schema["enum"])
    if schema.get("type") == "integer":
        return click.IntRange(schema.get("minimum"), schema.get("maximum"))
    return str


def request_options(
    request_type: type[PlotRequest] = PlotRequest,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """One click option per field of the plot request that the command line takes."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for spec in reversed(request_fields(request_type)):
            if spec.spec.cli:
                command = click.option(
                    f"--{spec.name}",
                    spec.name,
                    type=_option_type(spec.spec.schema),
                    required=spec.spec.required,
                    help=spec.spec.help[:1].upper() + spec.spec.help[1:] + ".",
                )(command)
        return command

    return decorate


@click.command("plot")
@click.argument("drawer")
@request_options()
@click.option(
    "--param",
    "-p",
    "param_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A drawer parameter (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    default="json",
    show_default=True,
    metavar="FORMAT",
    help="json, csv, html, png, cmspi (docs/export-formats.md), or a plugin's format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@db_option
@pass_cli
def plot_command(
    cli: CliContext,
    /,
    drawer: str,
    param_pairs: tuple[str, ...],
    fmt: str,
    output: Path | None,
    db_alias: str | None,
    **fields: Any,
) -> None:
    """Run DRAWER on a tag and write the plot in an export format (JSON by default)."""
    given = [(name, str(value)) for name, value in fields.items() if value is not None]
    request = PlotRequest.from_query(drawer, [*given, *_params(param_pairs)], db_alias)
    png = PngRenderer(cli.config.png)
    tools = RenderTools.from_plugins(cli.plugins, png)
    chosen = tools.usable(fmt)  # unknown, or no browser for it: say so before any work
    binary = not chosen.media_type.startswith(("text/", "application/json"))
    if binary and output is None and sys.stdout.isatty():
        raise InvalidParameter("output", f"a {fmt} file goes to a file: give -o FILE")
    engine = Engine(cli.config, cli.plugins)  # its [engine] settings
    try:
        plot = engine.plot(request, progress=TerminalProgress())
        context = render_context(tools, engine.database(db_alias), plot, request)
        data = export(plot, fmt, context)
    finally:
        engine.close()
        tools.close()
    if output is None and binary:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    elif output is None:
        click.echo(data.decode("utf-8"), nl=not data.endswith(b"\n"))
    else:
        output.write_bytes(data)
        click.echo(f"{plot.plot_type} written to {output} ({len(data):,} bytes)", err=True)
