"""Helpers for the built-in drawer tests: pick IOVs and decode independently."""

from __future__ import annotations

from inspector.engine import Engine
from inspector.payload import DecodedPayload, SchemaRegistry, decode

SCHEMAS = SchemaRegistry.builtin()


def iov_sinces(engine: Engine, tag: str) -> list[int]:
    """Every since of a demo tag."""
    return [int(s) for s in engine.iovs("demo", tag).since]


def payload_at(engine: Engine, tag: str, since: int) -> DecodedPayload:
    """Decode the payload valid at ``since`` directly, bypassing the engine cache."""
    iov = engine.database("demo").iovs(tag).covering(since)
    payload = engine.database("demo").payload(iov.payload_hash)
    schema = SCHEMAS.get(payload.object_type, payload.version)
    return decode(payload.data, schema, streamer_info=payload.streamer_info)
