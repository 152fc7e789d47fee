"""``inspector decode HASH``: what wrote a payload, and every field or member decoded."""

from __future__ import annotations

import json
from typing import Any

import click

from inspector.cli.context import CliContext, db_option, pass_cli
from inspector.cli.output import echo_table, human_bytes, number
from inspector.conddb import Payload
from inspector.payload import DecodedPayload, decode
from inspector.payload.registry import Layout

__all__ = ["decode_command"]


@click.command("decode")
@click.argument("payload_hash", metavar="HASH")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--values",
    is_flag=True,
    help="With --json: also print every decoded value, nested as in the class, and the "
    "views plugins register for its type (a JER object as its text file rows).",
)
@db_option
@pass_cli
def decode_command(
    cli: CliContext, payload_hash: str, as_json: bool, values: bool, db_alias: str | None
) -> None:
    """Decode payload HASH with its declared layout and summarise every field.

    CMSSW payloads show the release, technology and boost version that wrote
    them (PAYLOAD.STREAMER_INFO) and one line per member path.
    """
    if values and not as_json:
        raise click.UsageError("--values prints JSON: add --json")
    db = cli.database(db_alias)
    payload = db.payload(payload_hash)
    schema = cli.schemas.get(payload.object_type, payload.version)
    decoded = decode(
        payload.data, schema, payload_hash=payload.hash, streamer_info=payload.streamer_info
    )
    if as_json:
        doc = _json_document(cli, payload, schema, decoded, values)
        click.echo(json.dumps(doc, indent=None if values else 2))
    else:
        _print_summary(payload, decoded)


def _json_document(
    cli: CliContext, payload: Payload, schema: Layout, decoded: DecodedPayload, values: bool
) -> dict[str, Any]:
    """``--json``: the payload's metadata, field summaries and (``--values``) every value."""
    doc: dict[str, Any] = {
        "hash": payload.hash,
        "object_type": payload.object_type,
        "layout": _layout_name(decoded),
        "version": schema.version,
        "size": len(payload.data),
        "streamer_info": decoded.streamer.as_dict(),
        "fields": [s.__dict__ | {"shape": list(s.shape)} for s in decoded.summaries()],
    }
    if decoded.library_version is not None:
        doc["boost_library_version"] = decoded.library_version
    if values:
        doc["values"] = decoded.plain()
        views = cli.plugins.payload_views(decoded)
        if views:
            doc["views"] = views
    return doc


def _print_summary(payload: Payload, decoded: DecodedPayload) -> None:
    """The human form: what wrote the payload, then one row per field or member path."""
    click.echo(
        f"{payload.object_type} ({_layout_name(decoded)})  {payload.hash}  "
        f"{human_bytes(len(payload.data))} stored, {human_bytes(decoded.nbytes)} decoded"
    )
    info = decoded.streamer
    if info.release or info.technology:
        lib = f", archive library version {decoded.library_version}" if decoded.is_archive else ""
        click.echo(
            f"written by {info.release or 'an unknown release'} ({info.architecture or '?'}) "
            f"with {info.technology or '?'} {info.boost_version or info.tech_version}{lib}"
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
        for s in decoded.summaries()
    ]
    echo_table(("field", "kind", "dtype", "shape", "unit", "min", "max", "mean", "std"), rows)


def _layout_name(decoded: DecodedPayload) -> str:
    if decoded.is_archive:
        return "CMSSW archive"
    return f"flat v{decoded.schema.version}"
