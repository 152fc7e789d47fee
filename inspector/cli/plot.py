"""``inspector plot DRAWER``: any drawer to JSON, CSV, HTML or PNG, without the server.

Like CMS ``getPayloadData.py``, but one command for every kind of drawer.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from inspector.cli.context import CliContext, db_option, parse_snapshot, pass_cli
from inspector.cli.progress import TerminalProgress
from inspector.engine import Engine, EngineSettings, PlotRequest
from inspector.engine.fills import fill_view_options
from inspector.errors import InvalidParameter
from inspector.plots import PlotObject
from inspector.plots.cmspi import to_cmspi_bytes
from inspector.render import RendererRegistry, standalone_html
from inspector.render.png import DEFAULT_SIZE, PngRenderer, PngSettings, png_html

__all__ = ["plot_command"]

FORMATS = ("json", "csv", "html", "png", "cmspi")


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidParameter("param", f"{pair!r} is not KEY=VALUE")
        params[key.strip()] = value
    return params


def render(
    plot: PlotObject,
    fmt: str,
    renderers: RendererRegistry,
    options: Mapping[str, Any] | None = None,
) -> bytes:
    """The plot in one of the export formats (``options``: view options of drawings)."""
    if fmt == "json":
        return plot.to_json()
    if fmt == "csv":
        return plot.to_csv().encode("utf-8")
    return standalone_html(plot, renderers, options).encode("utf-8")


@click.command("plot")
@click.argument("drawer")
@click.option("--tag", required=True, help="Tag to read.")
@click.option("--iov", help="IOV (a since inside it) for single and compare drawers.")
@click.option("--tag2", help="Second tag, for a two-tag comparison.")
@click.option("--iov2", help="Second IOV, for a comparison.")
@click.option("--since", help="Start of a history's range.")
@click.option("--until", help="End of a history's range (inclusive).")
@click.option("--snapshot", help="Ignore IOVs inserted after this UTC time.")
@click.option(
    "--cert",
    metavar="NAME",
    help="History: keep only IOVs overlapping data certified by this [certification] file.",
)
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
    type=click.Choice(FORMATS),
    default="json",
    show_default=True,
    help="cmspi: the JSON of the CMS Payload Inspector (docs/export-formats.md).",
)
@click.option("--series", help="cmspi: the History series to write (when it has several).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--width",
    type=click.IntRange(100, 4000),
    default=DEFAULT_SIZE[0],
    show_default=True,
    help="PNG width in pixels.",
)
@click.option(
    "--height",
    type=click.IntRange(100, 4000),
    default=DEFAULT_SIZE[1],
    show_default=True,
    help="PNG height in pixels.",
)
@db_option
@pass_cli
def plot_command(
    cli: CliContext,
    drawer: str,
    tag: str,
    iov: str | None,
    tag2: str | None,
    iov2: str | None,
    since: str | None,
    until: str | None,
    snapshot: str | None,
    cert: str | None,
    param_pairs: tuple[str, ...],
    fmt: str,
    series: str | None,
    output: Path | None,
    width: int,
    height: int,
    db_alias: str | None,
) -> None:
    """Run DRAWER on a tag and print the plot object (JSON, CSV, standalone HTML or PNG)."""
    request = PlotRequest(
        drawer=drawer,
        db=db_alias,
        tag=tag,
        iov=iov,
        tag2=tag2,
        iov2=iov2,
        since=since,
        until=until,
        snapshot=parse_snapshot(snapshot),
        params=_params(param_pairs),
        cert=cert,
    )
    png = PngRenderer(PngSettings.from_table(cli.config.extra.get("png"))) if fmt == "png" else None
    if png is not None:
        png.check()  # no browser: say so before any work
        if output is None and sys.stdout.isatty():
            raise InvalidParameter("output", "a PNG goes to a file: give -o FILE.png")
    engine = Engine(cli.config, cli.plugins, EngineSettings(**cli.config.engine.settings_kwargs()))
    try:
        plot = engine.plot(request, progress=TerminalProgress())
        database = engine.database(db_alias)
        payload_type = database.tag(tag).object_type
        # Drawings shade the LHC fills, as the web pages do (run context, not plot data).
        drawn = fill_view_options(database, plot) if fmt in ("html", "png") else {}
    finally:
        engine.close()
    renderers = RendererRegistry(cli.plugins.renderers)
    if png is not None:
        try:
            data = png.render(png_html(plot, renderers, drawn, (width, height)), (width, height))
        finally:
            png.close()
    elif fmt == "cmspi":
        data = to_cmspi_bytes(plot, payload_type, series=series)
    else:
        data = render(plot, fmt, renderers, drawn)
    if output is None and png is not None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    elif output is None:
        click.echo(data.decode("utf-8"), nl=not data.endswith(b"\n"))
    else:
        output.write_bytes(data)
        click.echo(f"{plot.plot_type} written to {output} ({len(data):,} bytes)", err=True)
