"""Sub-detector partitions shared by the built-in tracker drawers."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.drawers import Param
from inspector.geometry import partition_mask
from inspector.geometry.detid import SUBDETECTORS, subdetector

STRIP_PARTITIONS: Final = ("TIB", "TID", "TOB", "TEC")
PIXEL_PARTITIONS: Final = ("BPix", "FPix")
_CODES: Final = {name: code for code, name in SUBDETECTORS.items()}


def partition_param(names: tuple[str, ...], default: str = "all") -> Param:
    """A choice of ``all`` or one sub-detector."""
    return Param.choice("partition", ("all", *names), default, help="restrict to one sub-detector")


def codes(detids: npt.ArrayLike) -> npt.NDArray[np.int32]:
    """Sub-detector code of each id (vectorised)."""
    return np.asarray(subdetector(np.asarray(detids, dtype="<u4")), dtype=np.int32)


def mask(detids: npt.ArrayLike, partition: str) -> npt.NDArray[np.bool_]:
    """Which ids belong to ``partition`` (``all``: every id); the geometry layer decides."""
    return partition_mask(np.asarray(detids, dtype="<u4"), partition)


def module_row(detids: npt.ArrayLike, detid: int) -> int | None:
    """Where module ``detid`` is in a payload's ids, ``None`` when the payload lacks it.

    A per-module history then shows no value for that IOV (a gap) rather
    than failing the whole history.
    """
    rows = np.flatnonzero(np.asarray(detids) == detid)
    return int(rows[0]) if rows.size else None


def grouped_mean(
    values: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    groups: npt.NDArray[np.int32],
    names: tuple[str, ...],
) -> dict[str, float]:
    """Weighted mean of ``values`` per named sub-detector (NaN if empty)."""
    out = {}
    for name in names:
        sel = groups == _CODES[name]
        w = weights[sel]
        total = float(w.sum())
        out[name] = float((values[sel] * w).sum() / total) if total > 0 else float("nan")
    return out
