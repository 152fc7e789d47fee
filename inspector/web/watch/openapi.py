"""The watch schemas and the operation of ``/api/v1/watch``."""

from __future__ import annotations

from typing import Final

from inspector.conddb.timetypes import TimeType
from inspector.watch import Status
from inspector.web.openapi import Operation
from inspector.web.openapi.operation import responses
from inspector.web.openapi.schema import (
    DATE_TIME,
    INT,
    STR,
    Schema,
    array,
    obj,
    ref,
    resource,
    units,
)

__all__ = ["HOUR_ATTRIBUTES", "WATCH", "schemas"]

#: The attributes counted in hours.
HOUR_ATTRIBUTES: Final = ("max_latency_hours", "stale_after_hours", "lag_hours")


def schemas() -> dict[str, Schema]:
    """``WatchedTag`` and ``WatchDocument`` (``FoundIov`` is the runs area's)."""
    hours: Schema = {"type": ["number", "null"], "minimum": 0}
    newest_run = obj({"run_number": INT, "end_time": DATE_TIME})
    attributes = obj(
        {
            "db": STR,
            "tag": STR,
            "status": {"enum": [s.value for s in Status]},
            "reason": STR,
            "now": {**DATE_TIME, "description": "the moment the status refers to"},
            "max_latency_hours": {"type": "number"},
            "stale_after_hours": hours,
            "time_type": {"enum": [*(t.value for t in TimeType), None]},
            "newest_iov": {"oneOf": [ref("FoundIov"), {"type": "null"}]},
            "newest_run": {"oneOf": [newest_run, {"type": "null"}]},
            "lag_runs": {"type": ["integer", "null"], "minimum": 0},
            "lag_hours": {
                **hours,
                "description": "how long the oldest waiting run has waited since its end",
            },
            "first_waiting_run": {"type": ["integer", "null"]},
        }
    )
    meta = obj(
        {
            "total": {"type": "integer", "minimum": 0},
            "statuses": obj({s.value: {"type": "integer", "minimum": 0} for s in Status}),
            "clock_after_newest_run_hours": {"type": ["number", "null"]},
            "units": units({k: {"const": "h"} for k in HOUR_ATTRIBUTES}),
        }
    )
    document = obj(
        {
            "data": array(ref("WatchedTag")),
            "links": ref("SelfLinks"),
            "meta": meta,
            "jsonapi": ref("JsonApi"),
        }
    )
    return {
        "WatchedTag": resource("watch", attributes, links={"tag": STR}),
        "WatchDocument": document,
    }


WATCH: Final = Operation(
    "Calibration watch: each watched tag's newest IOV, lag and status",
    "watch",
    [],
    responses("WatchDocument", 400),
)
