"""``GET /api/v1/jobs/{ident}``: poll a background plot job."""

from __future__ import annotations

from flask import Response, request

from inspector.web.jobs.openapi import GET_JOB
from inspector.web.jobs.service import find_job, job_response
from inspector.web.routing import Routes
from inspector.web.state import state

__all__ = ["api"]

api = Routes("api")


@api.get("/jobs/<ident>", GET_JOB)
def get_job(ident: str) -> Response:
    """A background plot job: status, progress, and its result link once done."""
    return job_response(find_job(ident, request.args, state().config.default_database))
