"""The job schemas and the operation of ``/api/v1/jobs/{ident}`` (docs/jobs.md)."""

from __future__ import annotations

from typing import Final

from inspector.web.jobs.models import JobAttributes
from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import responses
from inspector.web.openapi.schema import STR, Schema, model_schema, obj, resource, single

__all__ = ["GET_JOB", "schemas"]


def schemas() -> dict[str, Schema]:
    """``JobResource`` and ``JobDocument``."""
    attributes = model_schema(JobAttributes)
    links = obj(
        {"self": STR, "html": STR, "result": STR},
        required=["self", "html"],
        description="result: the plot resource, once the job is done",
    )
    job = resource("jobs", attributes)
    job["properties"]["links"] = links
    job["required"].append("links")
    meta = obj({"poll_after_seconds": {"type": "integer", "minimum": 0}})
    return {"JobResource": job, "JobDocument": single("JobResource", meta)}


#: A job URL: its id plus the pinned request (any server process can answer it).
GET_JOB: Final = Operation(
    "A background plot job: status, progress, result link",
    "plots",
    [
        Param("ident", where="path", description="job id: digest of the pinned request"),
        Param("drawer", description="the drawer (with the pinned query, lets any process rejoin)"),
        Param(
            "pinned_query",
            {"type": "object", "additionalProperties": STR},
            "db, tag, since, until, snapshot and drawer parameters of the "
            "pinned request, exactly as in the job's links.self",
            free_form=True,
        ),
    ],
    responses("JobDocument", 400, 404, 422, 500, 503),
)
