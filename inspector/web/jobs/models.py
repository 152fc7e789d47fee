"""The members of the job resource, declared once.

:func:`inspector.web.jobs.service.job_document` fills them (mypy checks it
fills exactly these) and :mod:`inspector.web.jobs.openapi` derives the
published schema from them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypedDict

from inspector.jobs import JobStatus
from inspector.web.openapi.schema import DateTime, one_of

__all__ = ["JobAttributes", "JobFailure", "JobProgress"]

_COUNT = Annotated[int, Field(ge=0)]


class JobFailure(TypedDict):
    """Why the job failed, as an error object of the API."""

    status: int
    title: str
    detail: str
    drawer: Annotated[str | None, Field(description="the drawer that failed")]
    payload: Annotated[str | None, Field(description="hash of the payload to blame")]


class JobProgress(TypedDict):
    """How many of the job's payloads are reduced."""

    done: _COUNT
    total: _COUNT
    unit: Literal["payloads"]


class JobAttributes(TypedDict):
    """Where a background plot job is, and how it ended."""

    status: Annotated[str, one_of(s.value for s in JobStatus)]
    drawer: str
    request: Annotated[str, Field(description="drawer?pinned data query string")]
    progress: JobProgress
    created: DateTime
    started: DateTime | None
    finished: DateTime | None
    error: JobFailure | None
