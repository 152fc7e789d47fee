"""Where to write layer and disk names on a layout: one label per (partition, layer) group.

A tracker map is read by finding "TOB L4" or "TEC+ W3" among 16,588
polygons; the groups are known from the detid alone (sided partition and
layer or wheel, :mod:`inspector.geometry.detid`), so every layout gets its
labels from the same rule.  Pixel ids whose layer cannot be decoded (the
Phase-0 pixels of the tracker map, layer 0) are labelled by partition only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inspector.geometry import detid as topo
from inspector.geometry.registry import SIDED_PARTITIONS, partition_index
from inspector.geometry.shipped import Layout

__all__ = ["GroupLabels", "group_labels"]

#: The letter before a group's number: layers of the barrels, wheels of the endcaps.
_LAYER_WORD = {"TIB": "L", "TOB": "L", "BPix": "L", "TID": "W", "TEC": "W", "FPix": "D"}


@dataclass(frozen=True, eq=False)
class GroupLabels:
    """One label per group: its text and the top centre of its modules' bounding box."""

    text: tuple[str, ...]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]  # the top (largest y) of the group

    def __len__(self) -> int:
        return len(self.text)


def _label(partition: int, layer: int) -> str:
    name = SIDED_PARTITIONS[partition]
    return f"{name} {_LAYER_WORD[name.rstrip('+-')]}{layer}" if layer else name


def group_labels(layout: Layout, *, transpose: bool = False) -> GroupLabels:
    """Labels of every (sided partition, layer) group of ``layout``; none outside the tracker.

    ``transpose`` places them for a drawing with x and y swapped (a tall
    layout drawn in landscape), so that a label still sits above its group.

    Vectorised: one ``unique`` over the groups, then min/max of the vertex
    coordinates per group with ``np.minimum.at`` / ``np.maximum.at``.
    """
    ids = np.asarray(layout.ids)
    part = partition_index(ids, sides=True).astype(np.int64)
    keep = part >= 0
    if not keep.any():
        return GroupLabels((), np.zeros(0), np.zeros(0))
    layer = np.asarray(topo.layer(ids), dtype=np.int64)
    key = np.where(keep, part * 64 + np.clip(layer, 0, 63), -1)
    groups, group_of = np.unique(key[keep], return_inverse=True)
    offsets = np.asarray(layout.offsets, dtype=np.int64)
    counts = offsets[1:] - offsets[:-1]
    vertex_group = np.repeat(np.where(keep, 0, -1), counts)  # -1: vertex outside the tracker
    vertex_group[vertex_group == 0] = np.repeat(group_of, counts[keep])
    inside = vertex_group >= 0
    across, up = (layout.y, layout.x) if transpose else (layout.x, layout.y)
    x = np.asarray(across, dtype=np.float64)[inside]
    y = np.asarray(up, dtype=np.float64)[inside]
    g = vertex_group[inside]
    n = groups.size
    x0, x1, y1 = np.full(n, np.inf), np.full(n, -np.inf), np.full(n, -np.inf)
    np.minimum.at(x0, g, x)
    np.maximum.at(x1, g, x)
    np.maximum.at(y1, g, y)
    text = tuple(_label(int(k) // 64, int(k) % 64) for k in groups)
    return GroupLabels(text, (x0 + x1) / 2, y1)
