"""``inspector list ...``, ``inspector show ...`` and ``inspector summary``."""

from __future__ import annotations

from typing import Any

import click
import numpy as np

from inspector.cli.context import CliContext, db_option, parse_snapshot, pass_cli
from inspector.cli.output import echo_table, human_bytes
from inspector.conddb import Page, RangeResolver, format_since
from inspector.conddb.models import IovList

__all__ = ["list_group", "show_group", "summary"]

_page_options = [
    click.option("--page", default=1, show_default=True, help="Page number."),
    click.option("--page-size", default=50, show_default=True, help="Rows per page."),
]


def _paging(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_page_options):
        func = option(func)
    return func


def _footer(page: Page[Any], what: str) -> None:
    if page.total == 0:
        click.echo(f"no {what}")
        return
    first = (page.page - 1) * page.page_size + 1
    last = first + len(page.items) - 1
    click.echo(f"{what} {first}-{last} of {page.total} (page {page.page} of {page.pages})")


@click.group("list")
def list_group() -> None:
    """List tags, IOVs or global tags."""


@list_group.command("tags")
@click.argument("pattern", required=False)
@click.option("--object-type", help="Only tags of this payload type.")
@click.option("--time-type", help="Only tags of this time type (run, lumi, time, ...).")
@_paging
@db_option
@pass_cli
def list_tags(
    cli: CliContext,
    pattern: str | None,
    object_type: str | None,
    time_type: str | None,
    page: int,
    page_size: int,
    db_alias: str | None,
) -> None:
    """List tags whose name contains PATTERN (or matches it, with * and ?)."""
    result = cli.database(db_alias).search_tags(
        pattern, object_type=object_type, time_type=time_type, page=page, page_size=page_size
    )
    result.require_exists("tags")
    rows = [(t.name, t.time_type.value, t.object_type, t.synchronization) for t in result.items]
    if rows:
        echo_table(("tag", "time type", "object type", "synchronization"), rows)
    _footer(result, "tags")


@list_group.command("iovs")
@click.argument("tag")
@click.option("--since", help="Start of the range (run, run:lumi, ISO time or raw integer).")
@click.option("--until", help="End of the range (inclusive), same forms as --since.")
@click.option("--snapshot", help="Ignore IOVs inserted after this UTC time (ISO 8601).")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many IOVs.")
@db_option
@pass_cli
def list_iovs(
    cli: CliContext,
    tag: str,
    since: str | None,
    until: str | None,
    snapshot: str | None,
    limit: int | None,
    db_alias: str | None,
) -> None:
    """List the IOVs of TAG (until is exclusive: the next IOV's since)."""
    db = cli.database(db_alias)
    meta = db.tag(tag)
    when = parse_snapshot(snapshot)
    lo, hi = RangeResolver(db, meta, when).range(since, until)
    iovs = db.iovs(tag, since=lo, until=hi, snapshot=when)
    shown = len(iovs) if limit is None else min(limit, len(iovs))
    rows = [_iov_row(iovs, i) for i in range(shown)]
    if rows:
        echo_table(("since", "until", "payload hash", "inserted (UTC)"), rows)
    note = f", showing the first {shown} (--limit)" if shown < len(iovs) else ""
    click.echo(f"{len(iovs)} IOVs in tag {tag}{note}")


def _iov_row(iovs: IovList, i: int) -> tuple[str, str, str, str]:
    tt = iovs.time_type
    inserted = np.datetime_as_string(iovs.insertion_time[i], unit="s")
    return (
        format_since(int(iovs.since[i]), tt),
        format_since(int(iovs.until[i]), tt),
        iovs.hash_at(i),
        inserted,
    )


@list_group.command("globaltags")
@click.argument("pattern", required=False)
@_paging
@db_option
@pass_cli
def list_globaltags(
    cli: CliContext, pattern: str | None, page: int, page_size: int, db_alias: str | None
) -> None:
    """List global tags whose name contains PATTERN."""
    result = cli.database(db_alias).global_tags(pattern, page=page, page_size=page_size)
    result.require_exists("global tags")
    rows = [(g.name, g.release, g.snapshot_time.isoformat(), g.description) for g in result.items]
    if rows:
        echo_table(("global tag", "release", "snapshot (UTC)", "description"), rows)
    _footer(result, "global tags")


@click.group("show")
def show_group() -> None:
    """Show one tag or global tag in detail."""


@show_group.command("tag")
@click.argument("tag")
@click.option("--snapshot", help="Describe the tag as it was at this UTC time.")
@db_option
@pass_cli
def show_tag(cli: CliContext, tag: str, snapshot: str | None, db_alias: str | None) -> None:
    """Show the metadata and IOV overview of TAG."""
    db = cli.database(db_alias)
    meta = db.tag(tag)
    iovs = db.iovs(tag, snapshot=parse_snapshot(snapshot))
    tt = meta.time_type
    fields = [
        ("name", meta.name),
        ("object type", meta.object_type),
        ("time type", tt.value),
        ("synchronization", meta.synchronization),
        ("description", meta.description),
        ("inserted", meta.insertion_time.isoformat()),
        ("modified", meta.modification_time.isoformat()),
        ("end of validity", format_since(meta.end, tt)),
        ("IOVs", str(len(iovs))),
        ("distinct payloads", str(len(iovs.distinct_hashes()[0]))),
    ]
    if len(iovs):
        fields.append(("first since", format_since(int(iovs.since[0]), tt)))
        fields.append(("last since", format_since(int(iovs.since[-1]), tt)))
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        click.echo(f"{key.ljust(width)}  {value}")


@show_group.command("globaltag")
@click.argument("name")
@db_option
@pass_cli
def show_globaltag(cli: CliContext, name: str, db_alias: str | None) -> None:
    """Show the records, labels and tags of global tag NAME."""
    db = cli.database(db_alias)
    gt = db.global_tag(name)
    click.echo(f"{gt.name}  release {gt.release or '-'}  snapshot {gt.snapshot_time.isoformat()}")
    if gt.description:
        click.echo(gt.description)
    entries = db.global_tag_map(name)
    echo_table(("record", "label", "tag"), [(e.record, e.label, e.tag_name) for e in entries])
    click.echo(f"{len(entries)} records")


@click.command("summary")
@db_option
@pass_cli
def summary(cli: CliContext, db_alias: str | None) -> None:
    """Summarise a database: row counts, payload types, tags and runs."""
    db = cli.database(db_alias)
    counts = db.summary()
    click.echo(f"database {db.alias}: {db.location}")
    for table in ("tag", "iov", "payload", "global_tag", "global_tag_map", "run_info", "run_fill"):
        if table in counts:
            click.echo(f"  {table:<15} {counts[table]:>8,d} rows")
    click.echo(f"  payload data    {human_bytes(counts['payload_bytes']):>12}")
    others = sorted(db.tables() - set(counts))
    if others:
        click.echo(f"  other tables    {', '.join(others)}")
    click.echo("payload types:")
    for object_type, n in db.object_types():
        click.echo(f"  {object_type:<28} {n} tag(s)")
    if not db.has_runs():
        click.echo("runs: no run information (the database has no RUN_INFO table)")
        return
    runs = db.run_timeline()
    if len(runs):
        first, last = runs[0], runs[len(runs) - 1]
        click.echo(
            f"runs {first.run_number}-{last.run_number}: "
            f"{first.start_time:%Y-%m-%d} to {last.end_time:%Y-%m-%d}"
        )
    else:
        click.echo("runs: none (RUN_INFO is empty)")
    if not db.has_fills():
        click.echo("fills: no fill information (no run_fill table)")
