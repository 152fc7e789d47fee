"""The run, fill and readiness schemas and the operations of ``/api/v1/runs``."""

from __future__ import annotations

from typing import Final

from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import DB, paging, responses
from inspector.web.openapi.schema import (
    DATE_TIME,
    INT,
    SINCE,
    STR,
    Schema,
    array,
    listing,
    obj,
    ref,
    resource,
    single,
    time_types,
    units,
)
from inspector.web.runs.context import MAX_RUN

__all__ = ["GET_RUN", "LIST_RUNS", "RUN_FILTERS", "RUN_READINESS", "schemas"]

_DURATION: Final[Schema] = {"type": "number", "minimum": 0}
_FILLS_INFO: Final[Schema] = {
    "type": "boolean",
    "description": "whether the database has fill information",
}


def schemas() -> dict[str, Schema]:
    """``Run`` and its documents, ``FoundIov``, ``Readiness`` and its document."""
    common = {
        "run_number": {"type": "integer", "minimum": 0},
        "start_time": DATE_TIME,
        "end_time": DATE_TIME,
        "duration_seconds": _DURATION,
        "fill_number": {
            "type": ["integer", "null"],
            "description": "LHC fill; null without fill information (see meta.fills_available)",
        },
    }
    run_links = {"self": STR, "html": {"type": "string", "description": "the run page"}}
    detail = resource(
        "runs",
        obj({**common, "fill": {"oneOf": [_fill(), {"type": "null"}]}}),
        links=run_links,
    )
    nullable_link: Schema = {"type": ["string", "null"]}
    detail_document = obj(
        {
            "data": detail,
            "links": obj({"self": STR, "prev": nullable_link, "next": nullable_link}),
            "meta": obj({"units": _units(), "fills_available": _FILLS_INFO}),
            "jsonapi": ref("JsonApi"),
        }
    )
    found_iov = obj(
        {
            "since": SINCE,
            "since_text": STR,
            "payload_hash": {"type": "string", "pattern": "^[0-9a-f]{40}$"},
            "insertion_time": DATE_TIME,
        }
    )
    return {
        "Run": resource("runs", obj(common), links=run_links),
        "RunListDocument": listing("Run", _list_meta()),
        "RunDocument": detail_document,
        "FoundIov": found_iov,
        **_readiness_schemas(),
    }


def _units() -> Schema:
    return units({"duration_seconds": {"const": "s"}})


def _fill() -> Schema:
    return obj(
        {
            "fill_number": INT,
            "start_time": {**DATE_TIME, "description": "start of the fill's first run"},
            "end_time": {**DATE_TIME, "description": "end of the fill's last run"},
            "duration_seconds": _DURATION,
            "runs": array(INT),
        }
    )


def _list_meta() -> Schema:
    runs_info = {
        "type": "boolean",
        "description": "whether the database has run information (a RUN_INFO table); "
        "without it the list is empty",
    }
    note = {"type": "string", "description": "why the list is empty, when there is no RUN_INFO"}
    return {
        "allOf": [ref("PageMeta")],
        **obj(
            {
                "units": _units(),
                "runs_available": runs_info,
                "fills_available": _FILLS_INFO,
                "note": note,
            },
            required=["units", "runs_available", "fills_available"],
            closed=False,
        ),
    }


def _readiness_schemas() -> dict[str, Schema]:
    found: Schema = {"oneOf": [ref("FoundIov"), {"type": "null"}]}
    record = obj(
        {
            "record": STR,
            "label": STR,
            "tag": STR,
            "time_type": time_types(),
            "at": {
                **SINCE,
                "type": ["integer", "null"],
                "description": "the since looked up: the run, its first lumisection or its "
                "start time; null for Hash/User tags (their newest IOV counts)",
            },
            "at_text": {"type": ["string", "null"]},
            "covered": {"type": "boolean"},
            "iov": found,
        }
    )
    attributes = obj(
        {
            "run_number": INT,
            "global_tag": STR,
            "snapshot_time": {
                **DATE_TIME,
                "description": "the global tag's snapshot: later insertions are ignored",
            },
            "ready": {"type": "boolean", "description": "every record has an IOV for the run"},
            "missing": {**array(STR), "description": "record or record/label without one"},
            "records": array(record),
        }
    )
    return {
        "Readiness": resource("readiness", attributes, links={"self": STR}),
        "ReadinessDocument": single("Readiness"),
    }


_RUN: Final[Schema] = {"type": "integer", "minimum": 0, "maximum": MAX_RUN}
_DATE: Final[Schema] = {"type": "string", "examples": ["2024-06-01", "2024-06-01T12:00:00Z"]}
_NUMBER: Final = Param("number", dict(_RUN), "run number", where="path")
#: The run filters of ``/api/v1/runs``.
RUN_FILTERS: Final = ("filter[first]", "filter[last]", "filter[fill]", "filter[from]", "filter[to]")

LIST_RUNS: Final = Operation(
    "Runs with start and end times, duration and LHC fill",
    "runs",
    [
        DB,
        Param("filter[first]", dict(_RUN), "lowest run number"),
        Param("filter[last]", dict(_RUN), "highest run number"),
        Param(
            "filter[fill]",
            dict(_RUN),
            "LHC fill number (no run matches without fill information)",
        ),
        Param(
            "filter[from]",
            dict(_DATE),
            "runs that started at or after this UTC date or time",
        ),
        Param(
            "filter[to]",
            dict(_DATE),
            "runs that started at or before this UTC time (a date: that day)",
        ),
        *paging("runs"),
    ],
    responses("RunListDocument", 400, 404, 503),
)
GET_RUN: Final = Operation(
    "One run with its fill and the fill's runs",
    "runs",
    [DB, _NUMBER],
    responses("RunDocument", 400, 404, 503),
)
RUN_READINESS: Final = Operation(
    "Whether every record of a global tag has conditions for the run",
    "runs",
    [
        DB,
        _NUMBER,
        Param("globaltag", description="the global tag to check the run against", required=True),
    ],
    responses("ReadinessDocument", 400, 404, 503),
)
