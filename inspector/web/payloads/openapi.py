"""The payload schemas and the operation of ``/api/v1/payloads/{payload_hash}``."""

from __future__ import annotations

from typing import Final

from inspector.web.openapi import Operation, Param
from inspector.web.openapi.operation import DB, responses
from inspector.web.openapi.schema import (
    STR,
    Schema,
    model_schema,
    obj,
    resource,
    single,
    units,
)
from inspector.web.payloads.models import FieldSummary, PayloadAttributes

__all__ = ["GET_PAYLOAD", "schemas"]


def schemas() -> dict[str, Schema]:
    """``FieldSummary``, ``Payload`` and its document."""
    field = model_schema(FieldSummary)
    attributes = model_schema(PayloadAttributes, components=["FieldSummary"])
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
