"""The job schemas and the operation of ``/api/v1/jobs/{ident}`` (docs/jobs.md)."""

from __future__ import annotations

from typing import Final

from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import responses
from inspector.web.openapi.schema import INT, STR, Schema, obj, resource, single

__all__ = ["GET_JOB", "schemas"]


def schemas() -> dict[str, Schema]:
    """``JobResource`` and ``JobDocument``."""
    moment: Schema = {"type": ["string", "null"], "format": "date-time"}
    error = obj(
        {
            "status": INT,
            "title": STR,
            "detail": STR,
            "drawer": {"type": ["string", "null"], "description": "the drawer that failed"},
            "payload": {"type": ["string", "null"], "description": "hash of the payload to blame"},
        }
    )
    progress = obj(
        {
            "done": {"type": "integer", "minimum": 0},
            "total": {"type": "integer", "minimum": 0},
            "unit": {"const": "payloads"},
        }
    )
    attributes = obj(
        {
            "status": {"enum": ["queued", "running", "done", "failed"]},
            "drawer": STR,
            "request": {"type": "string", "description": "drawer?pinned data query string"},
            "progress": progress,
            "created": {"type": "string", "format": "date-time"},
            "started": moment,
            "finished": moment,
            "error": {"oneOf": [error, {"type": "null"}]},
        }
    )
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
