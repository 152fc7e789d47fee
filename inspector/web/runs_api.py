"""Run context and calibration watch routes of /api/v1 (see docs/runs-and-watch.md).

Registered on the :data:`~inspector.web.api.api` blueprint (this module is
imported at the end of :mod:`inspector.web.api`), so they share its
argument checks, error bodies, caching and ``api.*`` endpoint names.

- ``/runs``: runs by number, fill and start-date range, paged by the database
  (an empty list, with ``meta.runs_available`` false and a ``meta.note``, for
  a database without RUN_INFO);
- ``/runs/<number>``: one run with its fill and that fill's other runs;
- ``/runs/<number>/readiness?globaltag=G``: whether every record of ``G``
  has conditions for the run (what a reconstruction system polls: a few
  indexed queries, cacheable for 30 s);
- ``/watch``: every watched tag with its newest IOV, lag and status.
"""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from inspector.conddb import ConditionsDB, Iov, RunInfo
from inspector.conddb.timetypes import format_since
from inspector.errors import InvalidParameter
from inspector.watch import Readiness, RecordReadiness, Status, WatchReport
from inspector.watch import run_readiness as readiness_of
from inspector.watch import watch_reports as measure_watch
from inspector.web.api import api, api_args, api_database, api_paging, link_arguments, send_document
from inspector.web.jsonapi import (
    PAGE_NUMBER,
    PAGE_SIZE,
    document,
    iso,
    page_links,
    page_meta,
    resource,
    url,
)
from inspector.web.run_context import fill_attributes, run_attributes, run_filters, watch_clock
from inspector.web.state import state

__all__ = ["iov_attributes", "watch_attributes"]

_RUN_FILTERS = ("filter[first]", "filter[last]", "filter[fill]", "filter[from]", "filter[to]")
_UNITS = {"duration_seconds": "s"}


def _run_links(run_number: int, alias: str) -> dict[str, str]:
    db_arg = [("db", alias)]
    return {
        "self": url(url_for("api.get_run", number=run_number), db_arg),
        "html": url(url_for("runs_pages.run_page", number=run_number), db_arg),
    }


def _run_resource(run: RunInfo, alias: str) -> dict[str, Any]:
    return resource(
        "runs", str(run.run_number), run_attributes(run), links=_run_links(run.run_number, alias)
    )


@api.get("/runs")
def list_runs() -> Response:
    """Runs with start/end time, duration and LHC fill, filtered and paged by the database."""
    args = api_args("db", *_RUN_FILTERS, PAGE_NUMBER, PAGE_SIZE)
    paging = api_paging(args, "runs")
    filters = run_filters(args, lambda key: f"filter[{key}]")
    db = api_database(args)
    result = db.runs(**filters, page=paging.number, page_size=paging.size)
    paging.require_exists(result.total, "runs")
    data = [_run_resource(r, db.alias) for r in result.items]
    links = page_links(
        url_for("api.list_runs"), link_arguments(args, db.alias, _RUN_FILTERS), paging, result.total
    )
    meta: dict[str, Any] = {
        **page_meta(paging, result.total),
        "units": _UNITS,
        "runs_available": db.has_runs(),
        "fills_available": db.has_fills(),
    }
    if not meta["runs_available"]:
        meta["note"] = f"database {db.alias!r} has no run information (no RUN_INFO table)"
    return send_document(document(data, links=links, meta=meta))


@api.get("/runs/<int:number>")
def get_run(number: int) -> Response:
    """One run, its fill (with the fill's runs) and links to the runs before and after."""
    args = api_args("db")
    db = api_database(args)
    run = db.run(number)
    fill = db.fill(run.fill_number) if run.fill_number is not None else None
    before, after = db.neighbour_runs(number)
    data = _run_resource(run, db.alias)
    data["attributes"]["fill"] = fill_attributes(fill) if fill is not None else None
    links: dict[str, str | None] = {
        "self": data["links"]["self"],
        "prev": _run_links(before, db.alias)["self"] if before is not None else None,
        "next": _run_links(after, db.alias)["self"] if after is not None else None,
    }
    meta = {"units": _UNITS, "fills_available": db.has_fills()}
    return send_document(document(data, links=links, meta=meta))


def iov_attributes(iov: Iov | None, record: RecordReadiness) -> dict[str, Any] | None:
    """The IOV found for a record, with readable since (``None`` when there is none)."""
    if iov is None:
        return None
    return {
        "since": iov.since,
        "since_text": format_since(iov.since, record.tag.time_type),
        "payload_hash": iov.payload_hash,
        "insertion_time": iso(iov.insertion_time),
    }


def _readiness_record(record: RecordReadiness) -> dict[str, Any]:
    position = record.position
    return {
        "record": record.record,
        "label": record.label,
        "tag": record.tag.name,
        "time_type": record.tag.time_type.value,
        "at": position,
        "at_text": None if position is None else format_since(position, record.tag.time_type),
        "covered": record.covered,
        "iov": iov_attributes(record.iov, record),
    }


def _readiness_document(result: Readiness, alias: str) -> dict[str, Any]:
    run, gt = result.run, result.global_tag
    attributes = {
        "run_number": run.run_number,
        "global_tag": gt.name,
        "snapshot_time": iso(gt.snapshot_time),
        "ready": result.ready,
        "missing": [f"{r.record}/{r.label}" if r.label else r.record for r in result.missing],
        "records": [_readiness_record(r) for r in result.records],
    }
    link = url(
        url_for("api.run_readiness", number=run.run_number), [("db", alias), ("globaltag", gt.name)]
    )
    data = resource("readiness", f"{run.run_number}@{gt.name}", attributes, links={"self": link})
    return document(data, links={"self": link})


@api.get("/runs/<int:number>/readiness")
def run_readiness(number: int) -> Response:
    """Whether every record of a global tag has an IOV for the run, and when it was inserted."""
    args = api_args("db", "globaltag")
    name = args.get("globaltag")
    if not name:
        raise InvalidParameter("globaltag", "is required (the global tag to check the run against)")
    db = api_database(args)
    return send_document(_readiness_document(readiness_of(db, number, name), db.alias))


def watch_attributes(report: WatchReport) -> dict[str, Any]:
    """A watched tag's facts, lag and status (what the page and the API show)."""
    rule = report.rule
    newest, run, waiting = report.newest_iov, report.newest_run, report.waiting
    time_type = report.time_type
    return {
        "db": rule.db,
        "tag": rule.tag,
        "status": report.status.value,
        "reason": report.reason,
        "now": iso(report.now),
        "max_latency_hours": rule.max_latency_hours,
        "stale_after_hours": rule.stale_after_hours,
        "time_type": None if time_type is None else time_type.value,
        "newest_iov": None
        if newest is None or time_type is None
        else {
            "since": newest.since,
            "since_text": format_since(newest.since, time_type),
            "payload_hash": newest.payload_hash,
            "insertion_time": iso(newest.insertion_time),
        },
        "newest_run": None
        if run is None
        else {"run_number": run.run_number, "end_time": iso(run.end_time)},
        "lag_runs": report.lag_runs,
        "lag_hours": report.lag_hours,
        "first_waiting_run": None if waiting is None else waiting.first_run,
    }


def _open(alias: str) -> ConditionsDB:
    return state().engine.database(alias)


@api.get("/watch")
def watch() -> Response:
    """Every watched tag of the configuration with its newest IOV, lag and status."""
    api_args()
    web = state()
    reports = measure_watch(_open, web.config.watch, watch_clock())
    data = [
        resource(
            "watch",
            f"{r.rule.db}/{r.rule.tag}",
            watch_attributes(r),
            links={"tag": url(url_for("pages.tag_page", name=r.rule.tag), [("db", r.rule.db)])},
        )
        for r in reports
    ]
    counts = {s.value: sum(r.status is s for r in reports) for s in Status}
    meta = {
        "total": len(reports),
        "statuses": counts,
        "clock_after_newest_run_hours": web.config.watch.after_newest_run_hours,
        "units": {"max_latency_hours": "h", "stale_after_hours": "h", "lag_hours": "h"},
    }
    return send_document(document(data, links={"self": url_for("api.watch")}, meta=meta))
