"""Declared payload layouts and the numpy decoder/encoder (no I/O here).

Two kinds of layout: CMSSW archive layouts (:class:`ArchiveLayout`, real CMS
payloads: C++ classes written by boost::serialization) and flat layouts
(:class:`PayloadSchema`, fixed-width fields for formats of one's own).
"""

from inspector.payload.archive.layout import (
    ArchiveLayout,
    load_archive_layout,
    parse_archive_layout,
)
from inspector.payload.archive.streamer import StreamerInfo, parse_streamer_info, streamer_info_text
from inspector.payload.bits import pack_bits, unpack_bits
from inspector.payload.decoded import DecodedPayload, FieldSummary
from inspector.payload.decoder import decode
from inspector.payload.encoder import encode
from inspector.payload.registry import Layout, SchemaRegistry, builtin_schema_dir
from inspector.payload.schema import Field, Member, PayloadSchema, load_schema, parse_schema

__all__ = [
    "ArchiveLayout",
    "DecodedPayload",
    "Field",
    "FieldSummary",
    "Layout",
    "Member",
    "PayloadSchema",
    "SchemaRegistry",
    "StreamerInfo",
    "builtin_schema_dir",
    "decode",
    "encode",
    "load_archive_layout",
    "load_schema",
    "pack_bits",
    "parse_archive_layout",
    "parse_schema",
    "parse_streamer_info",
    "streamer_info_text",
    "unpack_bits",
]
