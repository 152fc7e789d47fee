"""Compact encodings for detector maps: geometry once, values per IOV.

A full tracker map is 16,588 polygons.  Its geometry never changes, so the
web layer serves it once under a content-addressed URL (cached by the
browser for good) and each plot sends only values.  Both are quantised to
16 bits over their range (0.05 map pixels for coordinates; 1/65,534 of the
value range, far below any colour step) and sent as base64 buffers.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.geometry import Layout

__all__ = ["NAN_CODE", "EncodedGeometry", "encode_geometry", "quantise_values"]

NAN_CODE: Final = 65535
_LEVELS: Final = 65534


def _b64(array: npt.NDArray[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _quantise(
    values: npt.NDArray[np.floating[Any]], lo: float, hi: float
) -> npt.NDArray[np.uint16]:
    span = hi - lo if hi > lo else 1.0
    scaled = np.rint((np.clip(values, lo, hi) - lo) / span * _LEVELS)
    codes = np.where(np.isfinite(values), scaled, NAN_CODE)
    return codes.astype("<u2")


def quantise_values(values: npt.NDArray[np.float64]) -> tuple[str, float, float]:
    """(base64 of <u2 codes, lo, hi); NaN becomes 65535 and decodes to NaN."""
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    return _b64(_quantise(values, lo, hi)), lo, hi


@dataclass(frozen=True)
class EncodedGeometry:
    """The JSON bytes of a layout and the digest that versions its URL."""

    name: str
    body: bytes
    digest: str


def encode_geometry(layout: Layout, names: tuple[str, ...] | None) -> EncodedGeometry:
    """A layout as compact JSON (see the module docstring); deterministic bytes."""
    x = np.asarray(layout.x, dtype=np.float64)
    y = np.asarray(layout.y, dtype=np.float64)
    counts = np.diff(np.asarray(layout.offsets, dtype=np.int64))
    count_dtype = "<u1" if counts.size == 0 or counts.max() < 256 else "<u2"
    doc = {
        "name": layout.name,
        "count": len(layout),
        "ids": _b64(np.asarray(layout.ids, dtype="<u4")),
        "counts": _b64(counts.astype(count_dtype)),
        "counts_dtype": "uint8" if count_dtype == "<u1" else "uint16",
        "x": _b64(_quantise(x, float(x.min()), float(x.max()))) if x.size else "",
        "y": _b64(_quantise(y, float(y.min()), float(y.max()))) if y.size else "",
        "x_range": [float(x.min()), float(x.max())] if x.size else [0.0, 1.0],
        "y_range": [float(y.min()), float(y.max())] if y.size else [0.0, 1.0],
        "names": list(names) if names is not None else [],
    }
    body = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    return EncodedGeometry(layout.name, body, hashlib.sha256(body).hexdigest()[:16])
