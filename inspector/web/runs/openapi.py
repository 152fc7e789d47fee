"""The run, fill and readiness schemas and the operations of ``/api/v1/runs``."""

from __future__ import annotations

from typing import Final

from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import DB, paging, responses
from inspector.web.openapi.schema import (
    STR,
    Schema,
    listing,
    model_schema,
    obj,
    ref,
    resource,
    single,
)
from inspector.web.runs.context import MAX_RUN
from inspector.web.runs.models import (
    FoundIov,
    ReadinessAttributes,
    ReadinessListMeta,
    RunAttributes,
    RunDetailAttributes,
    RunListMeta,
    RunMeta,
    RunReadinessAttributes,
)

__all__ = [
    "GET_RUN",
    "LIST_READINESS",
    "LIST_RUNS",
    "READINESS_ARGUMENTS",
    "RUN_FILTERS",
    "RUN_READINESS",
    "schemas",
]


def schemas() -> dict[str, Schema]:
    """``Run`` and its documents, ``FoundIov``, ``Readiness`` and its document."""
    run_links = {"self": STR, "html": {"type": "string", "description": "the run page"}}
    detail = resource("runs", model_schema(RunDetailAttributes), links=run_links)
    nullable_link: Schema = {"type": ["string", "null"]}
    detail_document = obj(
        {
            "data": detail,
            "links": obj({"self": STR, "prev": nullable_link, "next": nullable_link}),
            "meta": model_schema(RunMeta),
            "jsonapi": ref("JsonApi"),
        }
    )
    return {
        "Run": resource("runs", model_schema(RunAttributes), links=run_links),
        "RunListDocument": listing("Run", model_schema(RunListMeta)),
        "RunDocument": detail_document,
        "FoundIov": model_schema(FoundIov),
        **_readiness_schemas(),
    }


def _readiness_schemas() -> dict[str, Schema]:
    attributes = model_schema(ReadinessAttributes, components=["FoundIov"])
    row_links = {
        "self": {"type": "string", "description": "the run's readiness in this global tag"},
        "html": {"type": "string", "description": "the run page, showing this global tag"},
    }
    row = resource("runreadiness", model_schema(RunReadinessAttributes), links=row_links)
    return {
        "Readiness": resource("readiness", attributes, links={"self": STR}),
        "ReadinessDocument": single("Readiness"),
        "RunReadiness": row,
        "RunReadinessListDocument": listing("RunReadiness", model_schema(ReadinessListMeta)),
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
#: The filters of ``/api/v1/runs/readiness``: the run filters and ``filter[ready]``.
READINESS_ARGUMENTS: Final = (*RUN_FILTERS, "filter[ready]")

LIST_READINESS: Final = Operation(
    "Runs × records of a global tag: which runs are ready, which records they wait for",
    "runs",
    [
        DB,
        Param(
            "globaltag",
            description="the global tag to judge the runs against (default: the newest)",
        ),
        *[p for p in LIST_RUNS.parameters if p.name in RUN_FILTERS],
        Param(
            "filter[ready]",
            {"type": "string", "enum": ["true", "false", "yes", "no"]},
            "true: ready runs only; false: runs not ready only",
        ),
        *paging("readiness"),
    ],
    responses("RunReadinessListDocument", 400, 404, 503),
)
