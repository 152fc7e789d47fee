"""The members of a watched tag, declared once.

:func:`inspector.web.watch.routes.watch_attributes` fills them (mypy checks
it fills exactly these) and :mod:`inspector.web.watch.openapi` derives the
published schema.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from inspector.watch import Status
from inspector.web.openapi.schema import DateTime, TimeTypeName, one_of
from inspector.web.runs.models import FoundIov

__all__ = ["NewestRun", "WatchedTagAttributes"]

_HOURS = Annotated[float | None, Field(ge=0)]


class NewestRun(TypedDict):
    """The newest run the database knows."""

    run_number: int
    end_time: DateTime


class WatchedTagAttributes(TypedDict):
    """A watched tag's newest IOV, how far it lags the runs, and its status."""

    db: str
    tag: str
    status: Annotated[str, one_of(s.value for s in Status)]
    reason: str
    now: Annotated[DateTime, Field(description="the moment the status refers to")]
    max_latency_hours: float
    stale_after_hours: _HOURS
    time_type: TimeTypeName | None
    newest_iov: FoundIov | None
    newest_run: NewestRun | None
    lag_runs: Annotated[int | None, Field(ge=0)]
    lag_hours: Annotated[
        _HOURS, Field(description="how long the oldest waiting run has waited since its end")
    ]
    first_waiting_run: int | None
