"""What a plot is asked for, declared once: the fields of PlotRequest and PlotView.

A plot is addressed by a readable query string::

    /plot/beamspot.position_x?db=demo&tag=BeamSpotObjects_PCL_byLumi_v1
        &since=379100&until=380000&snapshot=2024-10-01T12:00:00Z&xaxis=time

Each field is declared here, once, as a dataclass field whose metadata is a
:class:`FieldSpec` (help, OpenAPI schema, parser).  Everything else is derived
from these two classes: URL parsing (:meth:`PlotRequest.from_query`) and
writing (:meth:`PlotRequest.query_string`: permalinks, job URLs, exports),
the options of ``inspector plot`` (:mod:`inspector.cli.plot`), the plot
parameters of the OpenAPI document (:mod:`inspector.web.plots.openapi`) and the
names a drawer parameter may not take (:func:`reserved_names`).

Two roles:

* *data* fields (:class:`PlotRequest`) pin what is plotted: a link with a
  ``snapshot`` in the past always shows the same plot;
* *view* fields (:class:`PlotView`) change only the output (axis, size, the
  x range a history is zoomed to, the annotation fingerprint, the series of
  a CMS export); they are not part of the data's cache key.

Every other name in a query is a drawer parameter, validated by the engine.
This module is pure: no Flask, no click (the edges adapt it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal
from urllib.parse import urlencode

from inspector.conddb.timetypes import format_snapshot, parse_snapshot
from inspector.errors import InvalidParameter

__all__ = [
    "MAX_VALUE",
    "FieldSpec",
    "PlotRequest",
    "PlotView",
    "RequestField",
    "request_fields",
    "reserved_names",
    "zoom_bounds",
]

#: Longest value any query argument may have.
MAX_VALUE: Final = 500
#: Names that are not fields but still never drawer parameters: the drawer of a
#: job URL, and the export format of the API and the command line.
NOT_PARAMETERS: Final = ("drawer", "format")
#: Smallest and largest drawing size, pixels.
SIZE_RANGE: Final = (100, 4000)

_STRING: Final = {"type": "string"}
#: A since as users write it: run, run:lumisection, ISO time or raw integer.
SINCE_SCHEMA: Final = {"type": "string", "examples": ["379100", "379100:12", "2024-06-01T12:00"]}


@dataclass(frozen=True)
class FieldSpec:
    """How one field is written, checked and explained (the metadata of its dataclass field).

    ``parse`` turns the text of a URL or option into the field's value, raising
    :class:`~inspector.errors.InvalidParameter` naming the field; ``schema`` is
    the OpenAPI schema of that text; ``cli`` says whether ``inspector plot``
    has an option for it (``db`` is every command's ``--db``); ``option`` is
    the drawing option a view field sets.
    """

    help: str
    schema: Mapping[str, Any] = field(default_factory=lambda: dict(_STRING))
    parse: Callable[[str, str], Any] | None = None
    required: bool = False
    cli: bool = True
    option: str | None = None
    #: what the drawing option holds, from the field's (parsed) text
    option_value: Callable[[str], Any] = str


def _spec(help: str, **kwargs: Any) -> dict[str, FieldSpec]:
    return {"request": FieldSpec(help, **kwargs)}


def _snapshot(name: str, text: str) -> dt.datetime | None:
    return parse_snapshot(text, parameter=name)


def _size(name: str, text: str) -> str:
    try:
        size = int(text)
    except ValueError:
        raise InvalidParameter(name, f"{text!r} is not a whole number") from None
    lo, hi = SIZE_RANGE
    if not lo <= size <= hi:
        raise InvalidParameter(name, f"{size} is not within {lo}..{hi} pixels")
    return text


def _x_axis(name: str, text: str) -> str:
    if text not in ("since", "time"):
        raise InvalidParameter(name, f"{text!r} is not 'since' or 'time'")
    return text


def _fingerprint(name: str, text: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{1,16}", text):
        raise InvalidParameter(name, f"{text!r} is not a notes fingerprint")
    return text


def _zoom(name: str, text: str) -> str:
    """``start,end`` on the history's x axis, start before end; written back canonically.

    Canonical (shortest exact float text, no ``.0``) so that one range is one cache key.
    """
    bounds = text.split(",")
    try:
        start, end = float(bounds[0]), float(bounds[-1])
    except ValueError:
        start = end = math.nan
    if len(bounds) != 2 or math.isnan(start) or math.isnan(end):
        raise InvalidParameter(name, f"{text!r} is not two numbers 'start,end'")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise InvalidParameter(name, f"{text!r} is not two finite numbers")
    if not start < end:
        raise InvalidParameter(name, f"start {start:g} is not before end {end:g}")
    return f"{_number(start)},{_number(end)}"


def _number(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def zoom_bounds(text: str) -> tuple[float, float]:
    """The (start, end) of a canonical ``zoom`` text."""
    start, end = text.split(",")
    return float(start), float(end)


_SIZE_SCHEMA: Final = {"type": "integer", "minimum": SIZE_RANGE[0], "maximum": SIZE_RANGE[1]}


@dataclass(frozen=True)
class PlotView:
    """How a plot is drawn or exported; never part of the data's identity."""

    xaxis: str | None = field(
        default=None,
        metadata=_spec(
            "history x axis of drawings: since (default) or time",
            schema={"enum": ["since", "time"]},
            parse=_x_axis,
            option="x_axis",
        ),
    )
    width: str | None = field(
        default=None,
        metadata=_spec(
            "drawing width in pixels (HTML, PNG)",
            schema=_SIZE_SCHEMA,
            parse=_size,
            option="width",
            option_value=int,
        ),
    )
    height: str | None = field(
        default=None,
        metadata=_spec(
            "drawing height in pixels (HTML, PNG)",
            schema=_SIZE_SCHEMA,
            parse=_size,
            option="height",
            option_value=int,
        ),
    )
    zoom: str | None = field(
        default=None,
        metadata=_spec(
            "history drawings: the x range shown, 'start,end' on the x axis (run number, "
            "run + lumisection/10000 for lumi tags, or UTC milliseconds on a time axis), "
            "drawn at the detail that range needs",
            schema={"type": "string", "pattern": "^[^,]+,[^,]+$", "examples": ["379100,379400"]},
            parse=_zoom,
            option="zoom",
            option_value=zoom_bounds,
        ),
    )
    notes: str | None = field(
        default=None,
        metadata=_spec(
            "fingerprint of the annotation markers drawn (the plot page adds it so that "
            "browsers refetch a drawing when its notes change)",
            schema={"type": "string", "pattern": "^[0-9a-f]{1,16}$"},
            parse=_fingerprint,
            cli=False,
        ),
    )
    series: str | None = field(
        default=None,
        metadata=_spec("cmspi export: the History series to write (when it has several)"),
    )

    def items(self) -> tuple[tuple[str, str], ...]:
        """The fields given, sorted by name: the view part of a query string."""
        given = ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        return tuple(sorted((name, value) for name, value in given if value is not None))

    def options(self) -> dict[str, str | int]:
        """The drawing options the renderers take (``x_axis``, ``width``, ``height``, ``zoom``)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value, spec = getattr(self, f.name), f.metadata["request"]
            if value is not None and spec.option is not None:
                out[spec.option] = spec.option_value(value)
        return out


@dataclass(frozen=True)
class PlotRequest:
    """A drawer applied to IOVs of one or two tags (the data fields, in canonical order).

    ``iov``/``iov2``/``since``/``until`` are user-written ``since`` values,
    parsed with the tag's time type by the engine.  ``params`` are the
    drawer's parameters as given; ``view`` the output options.
    """

    # ``db`` comes first in links; keyword-only, so that ``PlotRequest(drawer, tag)`` reads well.
    db: str | None = field(
        default=None,
        kw_only=True,
        metadata=_spec("database alias (default: the configured one)", cli=False),
    )
    drawer: str
    tag: str = field(metadata=_spec("the tag to plot", required=True))
    iov: str | None = field(
        default=None,
        metadata=_spec(
            "single/compare: the IOV valid at this since (default: the latest)",
            schema=SINCE_SCHEMA,
        ),
    )
    tag2: str | None = field(default=None, metadata=_spec("compare: the second tag"))
    iov2: str | None = field(
        default=None, metadata=_spec("compare: the second IOV", schema=SINCE_SCHEMA)
    )
    since: str | None = field(
        default=None,
        metadata=_spec("history: the first IOV (the one valid here)", schema=SINCE_SCHEMA),
    )
    until: str | None = field(
        default=None,
        metadata=_spec("history: the last IOV (the one valid here)", schema=SINCE_SCHEMA),
    )
    cert: str | None = field(
        default=None,
        metadata=_spec(
            "history: keep only the IOVs overlapping data certified by this configured "
            "[certification] file (docs/certification.md)"
        ),
    )
    snapshot: dt.datetime | None = field(
        default=None,
        metadata=_spec(
            "ignore IOVs inserted after this UTC time (ISO date-time): pins the plot",
            schema={"type": "string", "format": "date-time"},
            parse=_snapshot,
        ),
    )
    params: Mapping[str, Any] = field(default_factory=dict)
    view: PlotView = field(default_factory=PlotView, compare=False)

    @classmethod
    def from_query(
        cls, drawer: str, pairs: Iterable[tuple[str, str]], default_db: str | None = None
    ) -> PlotRequest:
        """Parse query arguments (name, text); bad or repeated values are named."""
        single: dict[str, str] = {}
        for key, raw in pairs:
            if key in single:
                raise InvalidParameter(key, "is given more than once")
            value = raw.strip()
            if len(value) > MAX_VALUE:
                raise InvalidParameter(key, f"longer than {MAX_VALUE} characters")
            single[key] = value
        data: dict[str, Any] = {}
        view: dict[str, Any] = {}
        for spec in request_fields(cls):
            text = single.pop(spec.name, "")
            if not text:
                if spec.spec.required:
                    raise InvalidParameter(spec.name, f"is required ({spec.spec.help})")
                continue
            parse = spec.spec.parse
            value = parse(spec.name, text) if parse else text
            (data if spec.role == "data" else view)[spec.name] = value
        for key in NOT_PARAMETERS:
            single.pop(key, None)
        data.setdefault("db", default_db)
        view_type = _view_type(cls)
        return cls(
            drawer=drawer, params=dict(sorted(single.items())), view=view_type(**view), **data
        )

    def query_items(self, alias: str | None = None) -> list[tuple[str, str]]:
        """The canonical data query: data fields in declaration order, then parameters by name.

        ``alias`` replaces the request's ``db`` (the engine gives the resolved one).  The query
        string of the plot page's permalink, and what every export states in
        its provenance.
        """
        items: list[tuple[str, str]] = []
        for spec in request_fields(type(self)):
            if spec.role != "data":
                continue
            value = alias if spec.name == "db" and alias else getattr(self, spec.name)
            if isinstance(value, dt.datetime):
                items.append((spec.name, format_snapshot(value)))
            elif value:
                items.append((spec.name, str(value)))
        return items + sorted((k, str(v)) for k, v in self.params.items())

    def query_string(
        self, *, view: bool = True, alias: str | None = None, **overrides: str | None
    ) -> str:
        """Canonical query string; ``overrides`` replace or (with ``None``) drop keys.

        ``view=False`` leaves the view fields out (the data's identity);
        ``alias`` is as in :meth:`query_items`.  ``:``, ``*`` and ``,`` stay readable
        (times, run:lumisection, globs, zoom ranges).
        """
        items = self.query_items(alias) + (list(self.view.items()) if view else [])
        merged: dict[str, str] = dict(items)
        for key, value in overrides.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return urlencode(list(merged.items()), safe=":*,")

    @property
    def cache_key(self) -> str:
        """Identity of the data (view options excluded)."""
        return f"{self.drawer}?{self.query_string(view=False)}"

    def is_pinned(self, now: dt.datetime) -> bool:
        """A snapshot in the past fixes the data for good."""
        return self.snapshot is not None and self.snapshot <= now

    def pinned_at(self, when: dt.datetime) -> PlotRequest:
        """The same plot with the snapshot set (kept if already set)."""
        if self.snapshot is not None:
            return self
        return replace(self, snapshot=when.replace(microsecond=0))

    def with_params(self, params: Mapping[str, str]) -> PlotRequest:
        """The same plot with other drawer parameters."""
        return replace(self, params=dict(sorted(params.items())))


@dataclass(frozen=True)
class RequestField:
    """One declared field: its name, role and :class:`FieldSpec`."""

    name: str
    role: Literal["data", "view"]
    spec: FieldSpec


def _view_type(request_type: type[PlotRequest]) -> type[PlotView]:
    (view,) = [f for f in dataclasses.fields(request_type) if f.name == "view"]
    factory: Any = view.default_factory
    if not (isinstance(factory, type) and issubclass(factory, PlotView)):
        raise TypeError(f"{request_type.__name__}.view must default to a PlotView class")
    return factory


#: request class → its fields: read on every request, gathered once per class
_FIELDS: dict[type, tuple[RequestField, ...]] = {}


def request_fields(request_type: type[PlotRequest] = PlotRequest) -> tuple[RequestField, ...]:
    """Every declared field, data fields first, each in declaration order.

    Read on every request (parsing, writing the query, the cache key); a
    class's fields never change, so they are gathered once per class.
    """
    known = _FIELDS.get(request_type)
    if known is None:
        known = _FIELDS[request_type] = _gather_fields(request_type)
    return known


def _gather_fields(request_type: type[PlotRequest]) -> tuple[RequestField, ...]:
    data = [
        RequestField(f.name, "data", f.metadata["request"])
        for f in dataclasses.fields(request_type)
        if "request" in f.metadata
    ]
    view = [
        RequestField(f.name, "view", f.metadata["request"])
        for f in dataclasses.fields(_view_type(request_type))
    ]
    return (*data, *view)


def reserved_names(request_type: type[PlotRequest] = PlotRequest) -> frozenset[str]:
    """Names a drawer parameter may not take: they would never reach the drawer."""
    return frozenset(f.name for f in request_fields(request_type)) | set(NOT_PARAMETERS)
