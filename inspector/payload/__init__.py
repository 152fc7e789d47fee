"""Declared payload layouts and the numpy decoder/encoder (no I/O here)."""

from inspector.payload.bits import pack_bits, unpack_bits
from inspector.payload.decoded import DecodedPayload, FieldSummary
from inspector.payload.decoder import decode
from inspector.payload.encoder import encode
from inspector.payload.registry import SchemaRegistry, builtin_schema_dir
from inspector.payload.schema import Field, Member, PayloadSchema, load_schema, parse_schema

__all__ = [
    "DecodedPayload",
    "Field",
    "FieldSummary",
    "Member",
    "PayloadSchema",
    "SchemaRegistry",
    "builtin_schema_dir",
    "decode",
    "encode",
    "load_schema",
    "pack_bits",
    "parse_schema",
    "unpack_bits",
]
