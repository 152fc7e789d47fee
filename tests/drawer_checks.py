"""Helpers for the built-in drawer tests: pick IOVs and decode independently."""

from __future__ import annotations

import numpy as np

from inspector.cmssw.strips import decode_noises
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


def strip_modules(payload: DecodedPayload) -> dict[str, np.ndarray]:
    """A SiStripNoises payload's modules with ``ibegin``/``iend`` as strip (not byte) ranges."""
    indexes = payload["indexes"]
    _, counts = decode_noises(payload["v_noises"], indexes["ibegin"], indexes["iend"])
    end = np.cumsum(counts)
    return {"detid": np.asarray(indexes["detid"]), "ibegin": end - counts, "iend": end}


def strip_codes(payload: DecodedPayload) -> np.ndarray:
    """Every strip's 9-bit noise code, module after module (SiStripNoises::decode)."""
    indexes = payload["indexes"]
    return decode_noises(payload["v_noises"], indexes["ibegin"], indexes["iend"])[0]


def alignment_modules(payload: DecodedPayload) -> dict[str, np.ndarray]:
    """An Alignments payload's DetIds and positions, read from the AlignTransform members."""
    align = payload["m_align"]
    shift = align["m_translation"]
    return {"detid": align["m_rawId"], "x": shift["dx"], "y": shift["dy"], "z": shift["dz"]}
