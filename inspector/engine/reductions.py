"""The pure steps of the engine around drawers: ranges, parameters, labels, the history join.

No database, cache or thread here: what the engine computes from a request,
a tag and the drawer's answers, kept apart so each can be read (and tested)
on its own.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from inspector.conddb import ConditionsDB, RangeResolver, Tag, format_since
from inspector.drawers import MODULE, Drawer, ParamValue
from inspector.errors import DrawerError, InvalidParameter
from inspector.geometry import readable_names
from inspector.plots import Series
from inspector.request import PlotRequest

__all__ = [
    "check_applies",
    "history_range",
    "history_title",
    "join_series",
    "labels_of",
    "normalise",
    "reduction_params",
]


def history_range(
    db: ConditionsDB, request: PlotRequest, tag: Tag
) -> tuple[int | None, int | None]:
    """A history's ``since``/``until`` as the tag's values: runs, fills, dates, first/last too
    (:class:`~inspector.conddb.RangeResolver`)."""
    return RangeResolver(db, tag, request.snapshot).range(request.since, request.until)


def reduction_params(params: Mapping[str, ParamValue]) -> str:
    """The parameters' part of a reduction cache key."""
    return json.dumps(params, sort_keys=True)


def check_applies(drawer: Drawer, tag: Tag, parameter: str) -> None:
    if not drawer.applies_to(tag.object_type):
        raise InvalidParameter(
            parameter,
            f"drawer {drawer.name!r} reads {', '.join(drawer.payload_types)} payloads; "
            f"tag {tag.name!r} holds {tag.object_type}",
        )


def history_title(drawer: Drawer, params: Mapping[str, ParamValue]) -> str:
    """The drawer's title; a per-module history also names its module, as the map did."""
    if not drawer.per_module:
        return drawer.title
    detid = int(params[MODULE])
    return f"{drawer.title}: {readable_names([detid])[0]} ({detid})"


def labels_of(tag: Tag, since1: int, tag2: Tag, since2: int) -> tuple[str, str]:
    s1, s2 = format_since(since1, tag.time_type), format_since(since2, tag2.time_type)
    if tag2 is tag:
        return f"IOV {s1}", f"IOV {s2}"
    return f"{tag.name} @ {s1}", f"{tag2.name} @ {s2}"


def normalise(drawer: Drawer, value: Any, payload_hash: str) -> dict[str, Any]:
    """A history drawer's answer as {series: (value, error or NaN)}."""
    if isinstance(value, Mapping):
        items: list[tuple[Any, Any]] = list(value.items())
    else:
        items = [(drawer.series[0] if drawer.series else "value", value)]
    out: dict[str, Any] = {}
    for name, item in items:
        number, error = item if isinstance(item, tuple) else (item, math.nan)
        try:
            out[str(name)] = (float(number), float(error))
        except (TypeError, ValueError):
            raise DrawerError(
                drawer.name,
                f"returned {item!r} for series {name!r} of payload {payload_hash}; "
                "a history drawer returns numbers or (value, error) pairs",
            ) from None
    return out


def join_series(
    drawer: Drawer, results: list[dict[str, Any]], inverse: npt.NDArray[np.integer[Any]]
) -> dict[str, Series]:
    """Per-hash results → per-IOV series, in one indexing step per series."""
    names = list(drawer.series) or sorted({n for r in results for n in r})
    series: dict[str, Series] = {}
    for name in names:
        pairs = np.array(
            [r.get(name, (math.nan, math.nan)) for r in results], dtype=np.float64
        ).reshape(-1, 2)
        values, errors = pairs[:, 0][inverse], pairs[:, 1][inverse]
        has_errors = not bool(np.isnan(errors).all())
        series[name] = Series(
            values=values, errors=errors if has_errors else None, unit=drawer.unit, label=name
        )
    return series
