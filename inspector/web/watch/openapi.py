"""The watch schemas and the operation of ``/api/v1/watch``."""

from __future__ import annotations

from typing import Final

from inspector.watch import Status
from inspector.web.openapi import Operation
from inspector.web.openapi.operation import responses
from inspector.web.openapi.schema import (
    STR,
    Schema,
    array,
    model_schema,
    obj,
    ref,
    resource,
    units,
)
from inspector.web.watch.models import WatchedTagAttributes

__all__ = ["HOUR_ATTRIBUTES", "WATCH", "schemas"]

#: The attributes counted in hours.
HOUR_ATTRIBUTES: Final = ("max_latency_hours", "stale_after_hours", "lag_hours")


def schemas() -> dict[str, Schema]:
    """``WatchedTag`` and ``WatchDocument`` (``FoundIov`` is the runs area's)."""
    attributes = model_schema(WatchedTagAttributes, components=["FoundIov"])
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
