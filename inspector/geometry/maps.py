"""Joining per-module values to a detector layout: :func:`detector_map`.

Payloads list their modules in their own order, may hold modules a map has
no polygon for (Phase-1 pixel ids on the old tracker map) and may lack
modules the map draws (a strip payload has no pixels). A drawer should not
have to care: it hands :func:`detector_map` the ids and values it has, and
gets a :class:`~inspector.plots.DetectorMap` that holds **every module of the
layout, in the layout's own (ascending id) order**, NaN where there is no
value, so the renderer draws those grey. What did not fit is not dropped in
silence: notes on the plot say how many ids had no polygon and how many
modules no value, because a map that quietly hides half the detector reads
as "all fine".

This is the one place that matches ids to polygons, so every map drawer
counts, reports and rejects things the same way. The match is one
``searchsorted`` over the layout's sorted ids (no Python loop over modules):
about a millisecond for the 16,588 modules of the tracker map.

Importing this module does not import :mod:`inspector.plots` (which pulls in
the database layer): ``import inspector.geometry`` stays light for tools that
only need polygons. The plot class is imported on the first call.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from inspector.geometry.registry import ALL, GeometryRegistry, partition_mask
from inspector.geometry.shipped import ID_DTYPE, Layout

if TYPE_CHECKING:
    from inspector.plots import DetectorMap

__all__ = ["Joined", "checked_ids", "default_registry", "detector_map", "join_values"]

VALUE_DTYPE: Final[np.dtype[np.float64]] = np.dtype("<f8")
POSITION_DTYPE: Final[np.dtype[np.int64]] = np.dtype("<i8")
MAX_ID: Final = int(np.iinfo(ID_DTYPE).max)
#: How many of the ids without a polygon a note names, so they can be looked up.
EXAMPLES: Final = 3

_default: GeometryRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> GeometryRegistry:
    """The registry of the shipped layouts only, created on first use and then shared.

    Lazy because building a registry reads the shipped file's list of names,
    and importing this module must read no file. Drawers that map onto
    plugin-registered layouts pass their own registry instead.
    """
    global _default
    registry = _default
    if registry is None:
        with _default_lock:
            if _default is None:
                _default = GeometryRegistry()
            registry = _default
    return registry


def checked_ids(ids: npt.ArrayLike, *, what: str = "ids") -> npt.NDArray[np.uint32]:
    """``ids`` as a 1-d ``<u4`` array, after checking they are usable detector ids.

    They must be integers (floats would round silently), within 0 to
    2**32 - 1 (negative or too large values would wrap to another module),
    and unique: with a repeated id it is undefined which value a polygon
    shows, so that is an error naming the id rather than a coin toss.
    ``what`` names the array in messages (e.g. ``"ids of the first input"``).
    """
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(f"{what} must be 1-dimensional, got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=ID_DTYPE)
    if array.dtype.kind not in "ui":
        raise TypeError(f"{what} must be integers, not {array.dtype}")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high > MAX_ID:
        bad = low if low < 0 else high
        raise ValueError(f"{what} must be detector ids from 0 to {MAX_ID}, got {bad}")
    result = array.astype(ID_DTYPE)
    ordered = np.sort(result)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if repeated.size:
        distinct = np.unique(repeated)
        first = int(distinct[0])
        times = int(np.count_nonzero(result == distinct[0]))
        more = f" (and {distinct.size - 1:,} more ids repeat)" if distinct.size > 1 else ""
        raise ValueError(f"{what} must be unique: id {first} appears {times} times{more}")
    return result


@dataclass(frozen=True, eq=False)
class Joined:
    """Values placed on a layout: what :func:`join_values` found.

    ``values`` has one entry per polygon of ``layout`` in its order, NaN
    where no value was given; ``unplaced`` lists (ascending) the given ids
    the layout has no polygon for.
    """

    layout: Layout
    values: npt.NDArray[np.floating[Any]]
    unplaced: npt.NDArray[np.uint32]

    @property
    def missing(self) -> int:
        """How many polygons have no value (NaN)."""
        return int(np.count_nonzero(np.isnan(self.values)))


def join_values(layout: Layout, ids: npt.ArrayLike, values: npt.ArrayLike) -> Joined:
    """Place ``values`` (one per id) onto the polygons of ``layout`` by id.

    Float values keep their precision (float32 stays float32, so the plot
    can keep its short decimals) in little-endian order, whatever the
    payload's; integer values become float64. Values
    must be finite or NaN: an infinity has no colour and would turn into
    "no value" in the JSON form, so it is refused here, naming the id, and
    the drawer decides what it means (a division by a dead module, say).
    """
    checked = checked_ids(ids)
    given = np.asarray(values)
    if given.ndim != 1 or given.size != checked.size:
        raise ValueError(
            f"values must be 1-d with one value per id ({checked.size:,}), got shape {given.shape}"
        )
    if given.size and given.dtype.kind not in "uif":
        raise TypeError(f"values must be numbers, not {given.dtype}")
    dtype = given.dtype.newbyteorder("<") if given.dtype.kind == "f" else VALUE_DTYPE
    given = given.astype(dtype, copy=False)
    infinite = np.flatnonzero(np.isinf(given))
    if infinite.size:
        raise ValueError(
            f"values must be finite or NaN: id {int(checked[infinite[0]])} has "
            f"{float(given[infinite[0]])} ({infinite.size:,} infinite in all)"
        )
    rows = layout.positions(checked).astype(POSITION_DTYPE, copy=False)
    placed = rows >= 0
    out = np.full(len(layout), np.nan, dtype=dtype)
    out[rows[placed]] = given[placed]
    unplaced = np.sort(checked[~placed])
    return Joined(layout, out, unplaced)


def detector_map(
    geometry: str,
    ids: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    title: str,
    value_label: str,
    value_unit: str,
    value_range: tuple[float, float] | None = None,
    diverging: bool = False,
    partition: str = ALL,
    notes: Sequence[str] = (),
    flagged: Mapping[str, npt.ArrayLike] | None = None,
    registry: GeometryRegistry | None = None,
) -> DetectorMap:
    """A map of ``values`` (one per entry of ``ids``) on layout ``geometry``.

    The result holds every module of the layout in the layout's order;
    modules without a value are NaN (drawn grey). ``partition`` (``"all"``
    or any name :func:`~inspector.geometry.partition_mask` knows, e.g.
    ``"TIB"`` or ``"TEC+"``) keeps the whole map but greys the modules
    outside it, so the selection is seen in its place in the detector.
    ``value_range`` fixes the colour scale (finite, lo < hi); ``diverging``
    asks for a colour map centred on zero (differences). ``flagged`` names
    modules the drawer knows to be bad (``{"dead": ids}``); of them, those on
    the layout and inside the partition are kept (pages list them under the
    map). ``notes`` from the drawer come first, then the join's own:

    - ``"37 ids have a value but no polygon in tracker_map (e.g. ...)"``;
    - ``"1,440 of 16,588 modules have no value (grey)"``;
    - ``"13,864 modules outside TIB (grey)"`` when a partition is chosen.

    Raises :class:`~inspector.errors.NotFound` for an unknown layout,
    :class:`~inspector.errors.InvalidParameter` for an unknown partition, and
    ``ValueError`` / ``TypeError`` for repeated or malformed ids, values or
    range (a drawer bug or a broken payload: the engine reports it as the
    drawer's failure).
    """
    from inspector.plots import DetectorMap

    checked_range = _checked_range(value_range)
    layout = (registry if registry is not None else default_registry()).get(geometry)
    joined = join_values(layout, ids, values)
    kept = partition_mask(layout.ids, partition)
    out = np.where(kept, joined.values, np.nan).astype(joined.values.dtype, copy=False)
    missing = int(np.count_nonzero(kept & np.isnan(joined.values)))
    outside = len(layout) - int(np.count_nonzero(kept))
    all_notes = [*notes, *_join_notes(joined, geometry, partition, missing, outside)]
    return DetectorMap(
        title=title,
        geometry=geometry,
        ids=layout.ids,
        values=out,
        value_label=value_label,
        value_unit=value_unit,
        value_range=checked_range,
        diverging=diverging,
        flagged=_flagged_on(layout, kept, flagged or {}),
        notes=tuple(all_notes),
    )


def _flagged_on(
    layout: Layout, kept: npt.NDArray[np.bool_], flagged: Mapping[str, npt.ArrayLike]
) -> dict[str, npt.NDArray[np.uint32]]:
    """Each flag's ids that the map draws, ascending (a flag with none is left out)."""
    shown = layout.ids[kept]
    out = {
        name: np.intersect1d(checked_ids(ids, what=f"{name} ids"), shown)
        for name, ids in flagged.items()
    }
    return {name: ids for name, ids in out.items() if ids.size}


def _checked_range(value_range: tuple[float, float] | None) -> tuple[float, float] | None:
    """``(lo, hi)`` as floats, finite with lo < hi; ``None`` (automatic) passes."""
    if value_range is None:
        return None
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be a pair (lo, hi), not {value_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"value_range must be finite with lo < hi, got ({lo!r}, {hi!r})")
    return lo, hi


def _join_notes(
    joined: Joined, geometry: str, partition: str, missing: int, outside: int
) -> list[str]:
    """What the reader of the map must know about the join, counted (none if all fit)."""
    notes: list[str] = []
    unplaced = joined.unplaced.size
    if unplaced:
        examples = ", ".join(str(i) for i in joined.unplaced[:EXAMPLES].tolist())
        more = ", ..." if unplaced > EXAMPLES else ""
        have = "id has" if unplaced == 1 else "ids have"
        notes.append(
            f"{unplaced:,} {have} a value but no polygon in {geometry} (e.g. {examples}{more})"
        )
    total = len(joined.layout)
    inside = total - outside
    if missing:
        scope = f"{inside:,} modules in {partition}" if partition != ALL else f"{total:,} modules"
        has = "has" if missing == 1 else "have"
        notes.append(f"{missing:,} of {scope} {has} no value (grey)")
    if outside:
        notes.append(f"{outside:,} modules outside {partition} (grey)")
    return notes
