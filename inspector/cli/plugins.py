"""``inspector plugins``: what is installed and which drawers it brings."""

from __future__ import annotations

import json

import click

from inspector.cli.context import CliContext, pass_cli
from inspector.cli.output import echo_table
from inspector.geometry.loaders import layout_name

__all__ = ["plugins_command"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print plugins and drawers as JSON.")
@pass_cli
def plugins_command(cli: CliContext, as_json: bool) -> None:
    """List installed plugins, their drawers, detector layouts and the payload types they read."""
    loaded = cli.plugins
    layouts = [
        (plugin, layout_name(path), str(path))
        for plugin, paths in loaded.layouts_of.items()
        for path in paths
    ]
    if as_json:
        doc = {
            "plugins": [p.__dict__ for p in loaded.info],
            "drawers": [d.describe() for d in loaded.drawers],
            "layouts": [{"plugin": p, "name": n, "file": f} for p, n, f in layouts],
            "payload_types": loaded.schemas.object_types(),
        }
        click.echo(json.dumps(doc, indent=2))
        return
    echo_table(
        ("plugin", "module", "distribution"),
        [(p.name, p.module, f"{p.distribution} {p.version}".strip()) for p in loaded.info],
    )
    click.echo()
    rows = [(d.name, d.kind, ", ".join(d.payload_types), d.plugin, d.title) for d in loaded.drawers]
    if rows:
        echo_table(("drawer", "kind", "payload types", "plugin", "title"), rows)
    if layouts:
        click.echo()
        echo_table(("plugin", "layout", "file"), layouts)
    click.echo(
        f"{len(loaded.info)} plugins, {len(loaded.drawers)} drawers, "
        f"{len(layouts)} plugin layouts, {len(loaded.schemas)} payload schemas"
    )
