"""Run context routes of /api/v1 (see docs/runs-and-watch.md).

- ``/runs``: runs by number, fill and start-date range, paged by the database
  (an empty list, with ``meta.runs_available`` false and a ``meta.note``, for
  a database without RUN_INFO);
- ``/runs/<number>``: one run with its fill and that fill's other runs;
- ``/runs/<number>/readiness?globaltag=G``: whether every record of ``G``
  has conditions for the run (what a reconstruction system polls: a few
  indexed queries, cacheable for 30 s);
- ``/runs/readiness``: the same across runs, filtered and paged, as the
  ``/runs/readiness`` page shows it (:mod:`inspector.web.runs.table`).
"""

from __future__ import annotations

from typing import Any, Final

from flask import Response, url_for

from inspector.conddb import RunInfo
from inspector.conddb.timetypes import format_since
from inspector.errors import InvalidParameter, NotFound
from inspector.watch import READINESS_RULE, Readiness, RecordReadiness, RecordState
from inspector.watch import run_readiness as readiness_of
from inspector.web.args import api_args
from inspector.web.jsonapi import (
    document,
    iso,
    link_arguments,
    page_links,
    page_meta,
    resource,
    url,
)
from inspector.web.responses import send_document
from inspector.web.routing import Routes
from inspector.web.runs.context import (
    checked_run,
    fill_attributes,
    found_iov,
    run_attributes,
    run_filters,
)
from inspector.web.runs.models import (
    ReadinessAttributes,
    ReadinessListMeta,
    ReadinessRecord,
    RecordReadinessAttributes,
    RunAttributes,
    RunDetailAttributes,
    RunListMeta,
    RunMeta,
    RunReadinessAttributes,
    RunUnits,
)
from inspector.web.runs.openapi import (
    GET_RUN,
    LIST_READINESS,
    LIST_RUNS,
    READINESS_ARGUMENTS,
    RUN_FILTERS,
    RUN_READINESS,
)
from inspector.web.runs.table import ReadinessView, chosen_global_tag, readiness_view

__all__ = ["api"]

api = Routes("api")
_UNITS: Final[RunUnits] = {"duration_seconds": "s"}


def _run_links(run_number: int, alias: str) -> dict[str, str]:
    db_arg = [("db", alias)]
    return {
        "self": url(url_for("api.get_run", number=run_number), db_arg),
        "html": url(url_for("runs_pages.run_page", number=run_number), db_arg),
    }


def _run_resource(
    run: RunInfo, alias: str, attributes: RunAttributes | None = None
) -> dict[str, Any]:
    return resource(
        "runs",
        str(run.run_number),
        run_attributes(run) if attributes is None else attributes,
        links=_run_links(run.run_number, alias),
    )


@api.get("/runs", LIST_RUNS)
def list_runs() -> Response:
    """Runs with start/end time, duration and LHC fill, filtered and paged by the database."""
    args = api_args()
    paging = args.paging("runs")
    filters = run_filters(args, lambda key: f"filter[{key}]")
    db = args.database()
    result = db.runs(**filters, page=paging.number, page_size=paging.size)
    paging.require_exists(result.total, "runs")
    data = [_run_resource(r, db.alias) for r in result.items]
    links = page_links(
        url_for("api.list_runs"), link_arguments(args, db.alias, RUN_FILTERS), paging, result.total
    )
    counts = page_meta(paging, result.total)  # spelled out: mypy refuses ** with NotRequired
    meta: RunListMeta = {
        "total": counts["total"],
        "page": counts["page"],
        "page_size": counts["page_size"],
        "pages": counts["pages"],
        "units": _UNITS,
        "runs_available": db.has_runs(),
        "fills_available": db.has_fills(),
    }
    if not meta["runs_available"]:
        meta["note"] = f"database {db.alias!r} has no run information (no RUN_INFO table)"
    return send_document(document(data, links=links, meta=meta))


@api.get("/runs/<int:number>", GET_RUN)
def get_run(number: int) -> Response:
    """One run, its fill (with the fill's runs) and links to the runs before and after."""
    db = api_args().database()
    run = db.run(checked_run(number))
    fill = db.fill(run.fill_number) if run.fill_number is not None else None
    before, after = db.neighbour_runs(number)
    attributes: RunDetailAttributes = {
        **run_attributes(run),
        "fill": fill_attributes(fill) if fill is not None else None,
    }
    data = _run_resource(run, db.alias, attributes)
    links: dict[str, str | None] = {
        "self": data["links"]["self"],
        "prev": _run_links(before, db.alias)["self"] if before is not None else None,
        "next": _run_links(after, db.alias)["self"] if after is not None else None,
    }
    meta: RunMeta = {"units": _UNITS, "fills_available": db.has_fills()}
    return send_document(document(data, links=links, meta=meta))


def _readiness_record(record: RecordReadiness) -> RecordReadinessAttributes:
    position = record.position
    return {
        "record": record.record,
        "label": record.label,
        "tag": record.tag.name,
        "time_type": record.tag.time_type.value,
        "at": position,
        "at_text": None if position is None else format_since(position, record.tag.time_type),
        "covered": record.covered,
        "needs_upload": record.needs_upload,
        "state": record.state.value,
        "iov": found_iov(record.iov, record.tag.time_type),
    }


def _readiness_links(run_number: int, alias: str, global_tag: str) -> dict[str, str]:
    """A run's readiness in one global tag: the API resource and the run page showing it."""
    arguments = [("db", alias), ("globaltag", global_tag)]
    return {
        "self": url(url_for("api.run_readiness", number=run_number), arguments),
        "html": url(url_for("runs_pages.run_page", number=run_number), arguments),
    }


def _readiness_document(result: Readiness, alias: str) -> dict[str, Any]:
    run, gt = result.run, result.global_tag
    attributes: ReadinessAttributes = {
        "run_number": run.run_number,
        "global_tag": gt.name,
        "snapshot_time": iso(gt.snapshot_time),
        "ready": result.ready,
        "missing": [f"{r.record}/{r.label}" if r.label else r.record for r in result.missing],
        "records": [_readiness_record(r) for r in result.records],
    }
    link = _readiness_links(run.run_number, alias, gt.name)["self"]
    data = resource("readiness", f"{run.run_number}@{gt.name}", attributes, links={"self": link})
    return document(data, links={"self": link})


@api.get("/runs/<int:number>/readiness", RUN_READINESS)
def run_readiness(number: int) -> Response:
    """Whether every record of a global tag has an IOV for the run, and when it was inserted."""
    args = api_args()
    name = args.get("globaltag")
    if not name:
        raise InvalidParameter("globaltag", "is required (the global tag to check the run against)")
    db = args.database()
    readiness = readiness_of(db, checked_run(number), name)
    return send_document(_readiness_document(readiness, db.alias))


def _readiness_row(view: ReadinessView, index: int) -> RunReadinessAttributes:
    table = view.table
    row = table.rows[index]
    return {
        "run_number": row.run.run_number,
        "fill_number": row.run.fill_number,
        "start_time": iso(row.run.start_time),
        "end_time": iso(row.run.end_time),
        "ready": row.ready,
        "waiting": [r.name for r in table.not_ready(row, RecordState.WAITING)],
        "missing": [r.name for r in table.not_ready(row, RecordState.MISSING)],
    }


def _readiness_records(view: ReadinessView) -> list[ReadinessRecord]:
    return [
        {
            "record": r.record,
            "label": r.label,
            "tag": r.tag.name,
            "synchronization": r.tag.synchronization,
            "needs_upload": r.needs_upload,
            "newest_since_text": None
            if r.span is None
            else format_since(r.span[1], r.tag.time_type),
        }
        for r in view.table.records
    ]


@api.get("/runs/readiness", LIST_READINESS)
def list_readiness() -> Response:
    """Runs × records of a global tag (default: the newest): ready, waiting or missing, paged."""
    args = api_args()
    paging = args.paging("readiness")
    db = args.database()
    _, gt = chosen_global_tag(db, args.get("globaltag"))
    if gt is None:
        raise NotFound(f"database {db.alias!r} has no global tags to judge runs against")
    view = readiness_view(db, gt, args, lambda key: f"filter[{key}]", paging.number, paging.size)
    paging.require_exists(view.total, "readiness")
    data = [
        resource(
            "runreadiness",
            f"{row.run.run_number}@{gt.name}",
            _readiness_row(view, i),
            links=_readiness_links(row.run.run_number, db.alias, gt.name),
        )
        for i, row in enumerate(view.table.rows)
    ]
    kept = [("db", db.alias), ("globaltag", gt.name)]
    kept += [(k, args[k]) for k in READINESS_ARGUMENTS if args.get(k)]
    links = page_links(url_for("api.list_readiness"), kept, paging, view.total)
    counts = page_meta(paging, view.total)
    meta: ReadinessListMeta = {
        "total": counts["total"],
        "page": counts["page"],
        "page_size": counts["page_size"],
        "pages": counts["pages"],
        "global_tag": {
            "name": gt.name,
            "insertion_time": iso(gt.insertion_time),
            "snapshot_time": iso(gt.snapshot_time),
            "sees_every_upload": gt.sees_every_upload,
        },
        "records": _readiness_records(view),
        "runs": view.runs,
        "ready_runs": view.ready_runs,
        "not_ready_runs": view.not_ready_runs,
        "rule": READINESS_RULE,
    }
    return send_document(document(data, links=links, meta=meta))
