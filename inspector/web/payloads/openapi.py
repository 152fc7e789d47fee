"""The payload schemas and the operation of ``/api/v1/payloads/{payload_hash}``."""

from __future__ import annotations

from typing import Final

from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import DB, responses
from inspector.web.openapi.schema import (
    DATE_TIME,
    NUM_OR_NULL,
    STR,
    Schema,
    array,
    obj,
    ref,
    resource,
    single,
    units,
)

__all__ = ["GET_PAYLOAD", "schemas"]


def schemas() -> dict[str, Schema]:
    """``FieldSummary``, ``Payload`` and its document."""
    field = obj(
        {
            "name": {"type": "string", "description": "field, or record.member"},
            "kind": STR,
            "dtype": {"type": "string", "description": "numpy dtype with byte order, e.g. <f4"},
            "shape": array({"type": "integer", "minimum": 0}),
            "unit": STR,
            "min": NUM_OR_NULL,
            "max": NUM_OR_NULL,
            "mean": NUM_OR_NULL,
            "std": NUM_OR_NULL,
        },
        description="statistics in physical units; null when not numeric or empty",
    )
    streamer = obj(
        {
            "release": STR,
            "architecture": STR,
            "technology": STR,
            "tech_version": STR,
            "boost_version": STR,
        },
        description="PAYLOAD.STREAMER_INFO: what wrote the blob (empty strings "
        "where it says nothing)",
    )
    attributes = obj(
        {
            "object_type": STR,
            "version": STR,
            "size": {"type": "integer", "minimum": 0, "description": "blob size"},
            "insertion_time": DATE_TIME,
            "streamer_info": streamer,
            "fields": array(ref("FieldSummary")),
        }
    )
    field_units = {
        "type": "object",
        "additionalProperties": STR,
        "description": "field name → unit, for fields that have one",
    }
    meta = obj({"units": units({"size": {"const": "byte"}, "fields": field_units})})
    return {
        "FieldSummary": field,
        "Payload": resource("payloads", attributes, relationships=["drawers"], links={"self": STR}),
        "PayloadDocument": single("Payload", meta),
    }


GET_PAYLOAD: Final = Operation(
    "Payload metadata and decoded field summaries",
    "payloads",
    [DB, Param("payload_hash", where="path", description="sha1 hex of the payload")],
    responses("PayloadDocument", 400, 404, 422, 503),
)
