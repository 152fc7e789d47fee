"""``inspector decode HASH``: fields, dtypes, shapes and statistics of a payload."""

from __future__ import annotations

import json

import click

from inspector.cli.context import CliContext, db_option, pass_cli
from inspector.cli.output import echo_table, human_bytes, number
from inspector.payload import decode

__all__ = ["decode_command"]


@click.command("decode")
@click.argument("payload_hash", metavar="HASH")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@db_option
@pass_cli
def decode_command(cli: CliContext, payload_hash: str, as_json: bool, db_alias: str | None) -> None:
    """Decode payload HASH with its declared schema and summarise every field."""
    db = cli.database(db_alias)
    payload = db.payload(payload_hash)
    schema = cli.schemas.get(payload.object_type, payload.version)
    decoded = decode(payload.data, schema, payload_hash=payload.hash)
    summaries = decoded.summaries()
    if as_json:
        doc = {
            "hash": payload.hash,
            "object_type": payload.object_type,
            "version": schema.version,
            "size": len(payload.data),
            "fields": [s.__dict__ | {"shape": list(s.shape)} for s in summaries],
        }
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(
        f"{payload.object_type} v{schema.version}  {payload.hash}  "
        f"{human_bytes(len(payload.data))} stored, {human_bytes(decoded.nbytes)} decoded"
    )
    rows = [
        (
            s.name,
            s.kind,
            s.dtype,
            "x".join(map(str, s.shape)) or "scalar",
            s.unit,
            number(s.min),
            number(s.max),
            number(s.mean),
            number(s.std),
        )
        for s in summaries
    ]
    echo_table(("field", "kind", "dtype", "shape", "unit", "min", "max", "mean", "std"), rows)
