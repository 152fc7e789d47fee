"""Plot objects in the JSON shape of the CMS Payload Inspector (CMSSW).

CMSSW's ``CondCore/Utilities/interface/PayloadInspector.h`` serialises every
plot as::

    {"version": "1.0",
     "annotations": {"payload_type": ..., "title": ..., "type": ...,
                     "x_label": ..., "y_label": ..., ["z_label": ...], ["info": ...]},
     "data": [{"x": ..., "y": ...[, "y_err": ...][, "z": ...]}, ...]}

(``serializeAnnotations`` writes ``version`` and the ``annotations`` map,
whose values are all strings, keys in ``std::map`` order; ``serialize``
writes one ``{"x", "y"[, "z"]}`` object per point, an error bar as
``y_err``).  This module maps the plot types that have such a form:

=============  ==========  ===================================================
ours           ``type``    ``data``
=============  ==========  ===================================================
History        History     one point per IOV: ``x`` = since, ``y`` (+ ``y_err``)
Histogram1D    Histo1D     one point per bin: ``x`` = low edge, ``y`` = count
Histogram2D    Histo2D     one per cell, y outer, x inner: low edges, ``z``
Scatter        Scatter     one per point: ``x``, ``y``
=============  ==========  ===================================================

Table and DetectorMap have no CMSSW JSON form (CMSSW draws maps as images):
asking for them raises :class:`UnsupportedExport` naming the supported
types.  Nothing is dropped silently: CMSSW leaves out points that have no
value, and so does this module, but ``annotations.info`` says how many,
together with the permalink of the view and everything else the CMSSW form
cannot hold (under/overflow, a scatter's colour).  See docs/export-formats.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.errors import InvalidParameter, UnsupportedExport
from inspector.plots.base import PlotObject
from inspector.plots.histogram import Histogram1D, Histogram2D
from inspector.plots.history import History
from inspector.plots.scatter import Scatter
from inspector.plots.serialize import dumps

__all__ = [
    "CMSPI_SCHEMA",
    "FORMAT_VERSION",
    "SUPPORTED",
    "UnsupportedExport",
    "to_cmspi",
    "to_cmspi_bytes",
]

#: ``JSON_FORMAT_VERSION`` of CMSSW's PayloadInspector.h.
FORMAT_VERSION: Final = "1.0"

_Doc = dict[str, Any]


def _label(text: str, unit: str) -> str:
    return f"{text} [{unit}]" if unit else text


def _finite(*columns: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    keep = np.ones(columns[0].shape, dtype=bool)
    for column in columns:
        keep &= np.isfinite(column)
    return keep


def _points(keys: tuple[str, ...], columns: tuple[list[Any], ...]) -> list[dict[str, Any]]:
    """``[{"x": .., "y": ..}, ...]`` from parallel columns (``tolist`` does the conversion)."""
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


def _history(plot: History, series: str | None) -> tuple[_Doc, list[_Doc], list[str]]:
    names = list(plot.series)
    if series is None:
        if len(names) > 1:
            raise InvalidParameter(
                "series",
                f"this History has {len(names)} series ({', '.join(names)}) and the CMS Payload "
                "Inspector form holds one y per point: choose one with series=NAME",
            )
        series = names[0]
    if series not in plot.series:
        raise InvalidParameter("series", f"{series!r} is not one of {', '.join(names)}")
    chosen = plot.series[series]
    keep = _finite(chosen.values)
    x = plot.since[keep].tolist()
    y = chosen.values[keep].tolist()
    if chosen.errors is None:
        data = _points(("x", "y"), (x, y))
    else:
        errors = chosen.errors[keep]
        data = [
            {"x": a, "y": b, "y_err": e} if math.isfinite(e) else {"x": a, "y": b}
            for a, b, e in zip(x, y, errors.tolist(), strict=True)
        ]
    y_label = _label(chosen.label or plot.y_label or series, chosen.unit)
    info = [f"series: {series}"] + ([f"other series: {', '.join(names)}"] if len(names) > 1 else [])
    info += _left_out(int(keep.size - keep.sum()), "IOV(s) without a value")
    return {"type": "History", "x_label": "iov_since", "y_label": y_label}, data, info


def _histo1d(plot: Histogram1D, series: str | None) -> tuple[_Doc, list[_Doc], list[str]]:
    keep = _finite(plot.counts)
    data = _points(("x", "y"), (plot.edges[:-1][keep].tolist(), plot.counts[keep].tolist()))
    info = [
        f"bins: {plot.counts.size} from {plot.edges[0]!r} to {plot.edges[-1]!r} (x = low edge)",
        f"underflow: {plot.underflow!r}",
        f"overflow: {plot.overflow!r}",
    ]
    if plot.errors is not None:
        info.append("bin errors are not part of the CMSSW Histo1D form")
    info += _left_out(int(keep.size - keep.sum()), "bin(s) without a value")
    annotations = {
        "type": "Histo1D",
        "x_label": _label(plot.x_label, plot.x_unit),
        "y_label": _label(plot.y_label, plot.y_unit),
    }
    return annotations, data, info


def _histo2d(plot: Histogram2D, series: str | None) -> tuple[_Doc, list[_Doc], list[str]]:
    nx, ny = plot.values.shape
    # CMSSW fills y bins in the outer loop, x bins in the inner one.
    x = np.tile(plot.x_edges[:-1], ny)
    y = np.repeat(plot.y_edges[:-1], nx)
    z = plot.values.T.ravel()
    keep = _finite(z)
    data = _points(("x", "y", "z"), (x[keep].tolist(), y[keep].tolist(), z[keep].tolist()))
    info = [f"bins: {nx} x {ny} (x, y = low edges)", f"outside: {plot.outside!r}"]
    info += _left_out(int(keep.size - keep.sum()), "cell(s) without a value")
    annotations = {
        "type": "Histo2D",
        "x_label": _label(plot.x_label, plot.x_unit),
        "y_label": _label(plot.y_label, plot.y_unit),
        "z_label": _label(plot.z_label, plot.z_unit),
    }
    return annotations, data, info


def _scatter(plot: Scatter, series: str | None) -> tuple[_Doc, list[_Doc], list[str]]:
    keep = _finite(plot.x, plot.y)
    data = _points(("x", "y"), (plot.x[keep].tolist(), plot.y[keep].tolist()))
    info = _left_out(int(keep.size - keep.sum()), "point(s) without a value")
    if plot.colour is not None:
        what = _label(plot.colour_label, plot.colour_unit) or "colour"
        info.append(f"{what} (point colour) is not part of the CMSSW Scatter form")
    annotations = {
        "type": "Scatter",
        "x_label": _label(plot.x_label, plot.x_unit),
        "y_label": _label(plot.y_label, plot.y_unit),
    }
    return annotations, data, info


def _left_out(count: int, what: str) -> list[str]:
    return [f"{count} {what} left out, as CMSSW does"] if count else []


_Mapper = Callable[[Any, str | None], tuple[_Doc, list[_Doc], list[str]]]
_MAPPERS: Final[Mapping[type[PlotObject], _Mapper]] = {
    History: _history,
    Histogram1D: _histo1d,
    Histogram2D: _histo2d,
    Scatter: _scatter,
}
#: Plot types with a CMS Payload Inspector form, by name.
SUPPORTED: Final = tuple(t.plot_type for t in _MAPPERS)


def _provenance_info(plot: PlotObject) -> list[str]:
    prov = plot.provenance
    info = []
    if prov.drawer:
        where = f"/plot/{prov.drawer}?{prov.query}" if prov.query else prov.drawer
        info.append(f"made by Payload Inspector: {where}")
    if prov.payload_hashes:
        info.append(f"payloads: {', '.join(prov.payload_hashes)}")
    info.append(f"snapshot: {prov.snapshot or 'latest'}")
    return info + [f"note: {note}" for note in plot.notes]


def to_cmspi(plot: PlotObject, payload_type: str, *, series: str | None = None) -> _Doc:
    """The CMS Payload Inspector document of ``plot``.

    ``payload_type`` is the tag's object type (CMSSW writes the payload's
    C++ class name, which CondDB stores as the object type).  ``series``
    picks one series of a History (required when it has several).
    """
    mapper = _MAPPERS.get(type(plot))
    if mapper is None:
        raise UnsupportedExport(
            f"a {plot.plot_type} has no CMS Payload Inspector form (supported: "
            f"{', '.join(SUPPORTED)}); export it as JSON or CSV instead"
        )
    if series is not None and not isinstance(plot, History):
        raise InvalidParameter("series", f"only a History has series, not a {plot.plot_type}")
    own, data, info = mapper(plot, series)
    annotations = {
        "title": plot.title,
        "payload_type": payload_type,
        **own,
        "info": "; ".join([*_provenance_info(plot), *info]),
    }
    return {
        "version": FORMAT_VERSION,
        "annotations": dict(sorted(annotations.items())),
        "data": data,
    }


def to_cmspi_bytes(plot: PlotObject, payload_type: str, *, series: str | None = None) -> bytes:
    """:func:`to_cmspi` as compact UTF-8 JSON."""
    return dumps(to_cmspi(plot, payload_type, series=series))


def _point(required: list[str], optional: tuple[str, ...] = (), **kinds: str) -> dict[str, Any]:
    """A point object: numbers under the given keys (``kinds`` narrows one, e.g. to integer)."""
    return {
        "type": "object",
        "properties": {k: {"type": kinds.get(k, "number")} for k in [*required, *optional]},
        "required": required,
        "additionalProperties": False,
    }


def _shape(plot_type: str, point: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    """What a document of ``plot_type`` holds: its labels and the keys of each point."""
    return {
        "if": {"properties": {"annotations": {"properties": {"type": {"const": plot_type}}}}},
        "then": {
            "properties": {
                "annotations": {"required": labels},
                "data": {"type": "array", "items": point},
            }
        },
    }


_TEXT_KEYS: Final = ("type", "title", "payload_type", "info", "x_label", "y_label", "z_label")

#: JSON Schema (2020-12) of the documents written here, after CMSSW's
#: serialisation: string annotations, ``version`` "1.0", and per plot type
#: the keys of each point (``x`` of a History is the raw since, an integer).
CMSPI_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CMS Payload Inspector plot (CondCore/Utilities PayloadInspector.h)",
    "type": "object",
    "required": ["version", "annotations", "data"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": FORMAT_VERSION},
        "annotations": {
            "type": "object",
            "required": ["type", "title", "payload_type", "x_label", "y_label"],
            "properties": {key: {"type": "string"} for key in _TEXT_KEYS}
            | {"type": {"enum": ["History", "Histo1D", "Histo2D", "Scatter"]}},
            "additionalProperties": False,
        },
        "data": {"type": "array"},
    },
    "allOf": [
        _shape("History", _point(["x", "y"], ("y_err",), x="integer"), ["x_label", "y_label"]),
        _shape("Histo1D", _point(["x", "y"]), ["x_label", "y_label"]),
        _shape("Histo2D", _point(["x", "y", "z"]), ["x_label", "y_label", "z_label"]),
        _shape("Scatter", _point(["x", "y"]), ["x_label", "y_label"]),
    ],
}
