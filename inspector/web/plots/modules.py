"""The modules a map page lists under the map, and the history each one links to.

A map of 16,588 modules is read by its exceptions: the modules the drawer
flags (``DetectorMap.flagged``, e.g. dead) and the outliers of its values
(:meth:`~inspector.plots.DetectorMap.flags`).  They are listed with their
names and values, each linking to the history of that one module: the
history drawer of the same payload type that takes the module parameter
(:data:`inspector.drawers.MODULE`), with the map's parameters of the same
name carried over (``coordinate``, ``quantity``), over the map's first tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.drawers import MODULE, Drawer
from inspector.errors import InspectorError
from inspector.geometry import GeometryRegistry, readable_names
from inspector.plots import DetectorMap
from inspector.plots.detector_map import HIGH, LOW
from inspector.plots.numbers import format_significant
from inspector.request import PlotRequest

__all__ = ["MAX_LISTED", "FlaggedModule", "ModuleList", "module_history", "module_list"]

#: Rows listed under a map; the page says how many more there are (all are in the CSV).
MAX_LISTED: Final = 300


@dataclass(frozen=True)
class FlaggedModule:
    """One row of the list: what the module is, why it is listed, its value."""

    detid: int
    name: str
    flag: str
    value: float
    text: str  # the value, three significant digits


@dataclass(frozen=True)
class ModuleList:
    """The listed modules (at most :data:`MAX_LISTED`) and how many are flagged in all."""

    rows: tuple[FlaggedModule, ...]
    total: int
    counts: tuple[tuple[str, int], ...]  # per flag, in the order listed


def module_history(
    drawers: list[Drawer], object_type: str, query: PlotRequest
) -> tuple[Drawer, str] | None:
    """The per-module history drawer for ``object_type`` and its URL query up to ``detid=``.

    The page appends the module's detid; ``None`` when no installed drawer
    draws one module of this payload type.
    """
    for candidate in drawers:
        if (
            candidate.kind == "history"
            and candidate.per_module
            and candidate.applies_to(object_type)
        ):
            carried = {
                p.name: str(query.params[p.name])
                for p in candidate.params
                if p.name != MODULE and p.name in query.params
            }
            target = PlotRequest(
                drawer=candidate.name,
                tag=query.tag,
                db=query.db,
                snapshot=query.snapshot,
                params=carried,
            )
            return candidate, target.query_string() + f"&{MODULE}="
    return None


def module_list(plot: DetectorMap, geometry: GeometryRegistry) -> ModuleList:
    """The flagged modules of ``plot``: the drawer's flags first, then high and low outliers.

    Within a flag, the furthest from the median value come first.
    """
    flags = plot.flags()
    chosen = np.flatnonzero(flags != "")
    order = [*plot.flagged, HIGH, LOW]
    rank = np.array([order.index(f) for f in flags[chosen]], dtype=np.int64)
    finite = plot.values[np.isfinite(plot.values)]
    median = float(np.median(finite)) if finite.size else 0.0
    distance = np.nan_to_num(np.abs(plot.values[chosen] - median), nan=0.0)
    chosen = chosen[np.lexsort((-distance, rank))]
    counts = tuple((f, int(np.count_nonzero(flags == f))) for f in order)
    listed = chosen[:MAX_LISTED]
    names = _names(plot, geometry, listed)
    values = plot.values[listed]
    texts = format_significant(values)
    rows = tuple(
        FlaggedModule(int(plot.ids[i]), names[k], str(flags[i]), float(values[k]), texts[k])
        for k, i in enumerate(listed.tolist())
    )
    return ModuleList(rows, int(chosen.size), tuple((f, n) for f, n in counts if n))


def _names(plot: DetectorMap, geometry: GeometryRegistry, rows: npt.NDArray[np.int64]) -> list[str]:
    """Readable names of the modules at ``rows``, as the map's hover shows them.

    From the ids alone when the layout cannot be read: the drawing then
    says what is wrong, and the list still names the modules.
    """
    ids = plot.ids[rows]
    try:
        layout = geometry.get(plot.geometry)
        names = geometry.module_names(plot.geometry)
    except InspectorError:
        return list(readable_names(ids))
    positions = layout.positions(ids)
    return [names[p] if p >= 0 else str(i) for p, i in zip(positions, ids.tolist(), strict=True)]
