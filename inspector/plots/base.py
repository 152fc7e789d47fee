"""What every plot object shares: provenance, validation, JSON envelope, registry.

A plot object is a frozen dataclass of numpy arrays, labels and units, made
by a drawer and consumed by a renderer (Bokeh in the web layer, CSV or JSON
for downloads).  It knows nothing about either end, so a plot can be cached
as bytes, shipped to a browser, saved next to a paper, and read back.

Construction normalises and checks every field (``__post_init__``): arrays
get their one documented dtype and become read-only views (no copy when the
input already has that dtype), and anything inconsistent raises
:class:`PlotError` naming the plot type, the field and the problem.  A plot
that exists is therefore always one the renderers can draw.

The JSON form is an envelope common to all types, with the type's own
fields under ``data`` (see docs/plot-objects.md)::

    {"schema": "payload-inspector/plot", "version": 1, "type": "History",
     "title": ..., "provenance": {...}, "notes": [...], "data": {...}}

Types are found by name in a :class:`~inspector.plots.registry.PlotTypeRegistry`
that plugins fill through the ``register_plot_types`` hook, exactly as the
built-in types are registered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import types
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, NamedTuple, NoReturn, Self

import numpy as np
import numpy.typing as npt

from inspector.conddb.timetypes import TimeType
from inspector.errors import InvalidParameter, PlotError
from inspector.plots import serialize as ser

__all__ = [
    "SCHEMA",
    "VERSION",
    "CsvColumn",
    "JsonReader",
    "JsonScalar",
    "PlotError",
    "PlotObject",
    "Provenance",
    "as_datetime_array",
    "as_edges",
    "as_float_array",
    "as_str_array",
    "as_uint_array",
    "check_length",
    "fields_equal",
    "load_document",
    "plots_equal",
    "readonly",
]

#: The ``schema`` value every plot document carries.
SCHEMA: Final = "payload-inspector/plot"
#: The version of the JSON form written by this code (and the only one read).
VERSION: Final = 1

#: A parameter value as JSON holds it.
JsonScalar = str | int | float | bool | None


# -- array normalisation --------------------------------------------------------------------


def readonly(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A read-only view: plots are shared between threads and caches.

    A view, not a copy, so big arrays cost nothing; the caller's own array
    stays writable, and callers must not change it after building the plot.
    """
    view = array.view()
    view.flags.writeable = False
    return view


def _fail(owner: str, field_name: str, problem: str) -> NoReturn:
    raise PlotError(owner, f"{field_name} {problem}", field=field_name)


def _asarray(owner: str, field_name: str, values: Any) -> npt.NDArray[Any]:
    if values is None:
        _fail(owner, field_name, "is required")
    try:
        return np.asarray(values)
    except (TypeError, ValueError) as exc:
        _fail(owner, field_name, f"is not an array ({exc})")


def _check_ndim(owner: str, field_name: str, array: npt.NDArray[Any], ndim: int) -> None:
    if array.ndim != ndim:
        _fail(owner, field_name, f"must be {ndim}-dimensional, got shape {array.shape}")


def _empty_as(raw: npt.NDArray[Any], dtype: npt.DTypeLike) -> npt.NDArray[Any] | None:
    """``[]`` arrives as float64: let an empty input take the wanted dtype."""
    if raw.size == 0 and raw.dtype.kind in "fO":
        return np.zeros(raw.shape, dtype=dtype)
    return None


def as_float_array(
    owner: str, field_name: str, values: Any, *, ndim: int = 1
) -> npt.NDArray[np.float64]:
    """Numbers as a read-only float64 array of ``ndim`` dimensions.

    float32 input keeps its decimal value (``228.975`` stays ``228.975``, see
    :func:`inspector.plots.serialize.to_float64`); ``None`` in a list means
    NaN.  Booleans, strings and complex numbers are refused.
    """
    raw = _asarray(owner, field_name, values)
    kind = raw.dtype.kind
    if kind == "f":
        array = ser.to_float64(raw)
    elif kind in "iu":
        array = raw.astype(np.float64)
    elif kind == "O":
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            _fail(owner, field_name, "must hold numbers")
    else:
        _fail(owner, field_name, f"must hold numbers, not {raw.dtype}")
    _check_ndim(owner, field_name, array, ndim)
    return readonly(array)


def as_uint_array(
    owner: str, field_name: str, values: Any, dtype: type[np.unsignedinteger[Any]]
) -> npt.NDArray[Any]:
    """Non-negative integers as a read-only 1-D array of an unsigned ``dtype``.

    Floats are accepted only when every value is a whole number (so a NaN
    ``since`` is caught here rather than cast to 0); negative or too large
    values are refused rather than wrapped.
    """
    raw = _asarray(owner, field_name, values)
    empty = _empty_as(raw, dtype)
    if empty is not None:
        _check_ndim(owner, field_name, empty, 1)
        return readonly(empty)
    if raw.dtype.kind == "f" and not isinstance(values, np.ndarray):
        # numpy turns a list holding ints beyond int64 into float64, losing
        # digits; Python ints are exact, so keep them as objects instead.
        boxed = np.array(values, dtype=object)
        if all(isinstance(v, int) for v in boxed.ravel().tolist()):
            raw = boxed
    _check_ndim(owner, field_name, raw, 1)
    kind = raw.dtype.kind
    if kind == "f":
        _check_whole(owner, field_name, raw)
        too_big = raw.max() >= 2.0 ** (8 * np.dtype(dtype).itemsize) if raw.size else False
    elif kind == "O":
        # Python ints beyond int64 (or mixed with negatives) arrive as objects.
        items = raw.tolist()
        if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in items):
            _fail(owner, field_name, "must hold integers")
        raw = np.array([int(v) for v in items], dtype=object)
        too_big = raw.size > 0 and raw.max() > np.iinfo(dtype).max
    elif kind in "iu":
        too_big = raw.size > 0 and raw.max() > np.iinfo(dtype).max
    else:
        _fail(owner, field_name, f"must hold integers, not {raw.dtype}")
    if too_big or (raw.size and raw.min() < 0):
        _fail(owner, field_name, f"must hold integers from 0 to {np.iinfo(dtype).max}")
    return readonly(raw.astype(dtype))


def _check_whole(owner: str, field_name: str, raw: npt.NDArray[Any]) -> None:
    bad = np.flatnonzero(~np.isfinite(raw))
    if bad.size:
        _fail(owner, field_name, f"must not be NaN or infinite (index {bad[0]})")
    bad = np.flatnonzero(raw != np.floor(raw))
    if bad.size:
        _fail(
            owner, field_name, f"must hold whole numbers (index {bad[0]}: {raw[bad[0]].item()!r})"
        )


def _naive_utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def as_datetime_array(owner: str, field_name: str, values: Any) -> npt.NDArray[np.datetime64]:
    """UTC date-times as a read-only 1-D datetime64[us] array (NaT = unknown).

    Accepts datetime64 arrays of any unit, ISO strings (a trailing ``Z`` is
    fine) and ``datetime`` objects (aware ones are converted to UTC).
    """
    raw = _asarray(owner, field_name, values)
    empty = _empty_as(raw, "datetime64[us]")
    if empty is not None:
        raw = empty
    kind = raw.dtype.kind
    try:
        if kind == "O":
            raw = np.array([_naive_utc(v) for v in raw.ravel().tolist()], dtype="datetime64[us]")
        elif kind == "U":
            raw = ser.datetimes_from_json(raw.ravel().tolist())
        elif kind != "M":
            _fail(owner, field_name, f"must hold date-times, not {raw.dtype}")
    except (TypeError, ValueError) as exc:
        _fail(owner, field_name, f"must hold date-times ({exc})")
    _check_ndim(owner, field_name, raw, 1)
    return readonly(raw.astype("datetime64[us]"))


def as_str_array(owner: str, field_name: str, values: Any) -> npt.NDArray[np.str_]:
    """Strings as a read-only 1-D unicode array."""
    raw = _asarray(owner, field_name, values)
    empty = _empty_as(raw, np.str_)
    if empty is not None:
        raw = empty
    if raw.dtype.kind == "O" and all(isinstance(v, str) for v in raw.ravel().tolist()):
        raw = raw.astype(np.str_)
    if raw.dtype.kind != "U":
        _fail(owner, field_name, f"must hold strings, not {raw.dtype}")
    _check_ndim(owner, field_name, raw, 1)
    return readonly(raw)


def as_edges(owner: str, field_name: str, values: Any) -> npt.NDArray[np.float64]:
    """Bin edges: at least two, finite and strictly increasing."""
    edges = as_float_array(owner, field_name, values)
    if edges.size < 2:
        _fail(owner, field_name, f"needs at least 2 values (one bin), got {edges.size}")
    bad = np.flatnonzero(~np.isfinite(edges))
    if bad.size:
        _fail(
            owner, field_name, f"must be finite ({field_name}[{bad[0]}] = {edges[bad[0]].item()!r})"
        )
    bad = np.flatnonzero(~(np.diff(edges) > 0))
    if bad.size:
        i = int(bad[0]) + 1
        after, before = edges[i].item(), edges[i - 1].item()
        _fail(
            owner,
            field_name,
            f"must increase strictly ({field_name}[{i}] = {after!r} after {before!r})",
        )
    return edges


def check_length(
    owner: str, field_name: str, array: npt.NDArray[Any], expected: int, of: str
) -> None:
    """Raise ``<owner>: <field> has 9 values for 10 <of>`` when lengths differ."""
    if len(array) != expected:
        _fail(owner, field_name, f"has {len(array)} values for {expected} {of}")


def _text(owner: str, field_name: str, value: Any) -> str:
    if not isinstance(value, str):
        _fail(owner, field_name, f"must be a string, not {type(value).__name__}")
    return value


def _texts(owner: str, field_name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        _fail(owner, field_name, "must be a sequence of strings")
    items = tuple(values)
    for i, item in enumerate(items):
        _text(owner, f"{field_name}[{i}]", item)
    return items


# -- provenance -----------------------------------------------------------------------------


def _json_int(value: int) -> int | str:
    return value if abs(value) <= ser.EXACT_INT_LIMIT else str(value)


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where a plot's numbers come from, so that anyone can make it again.

    ``iovs`` are the ``since`` values of the IOVs read (in input order: for a
    comparison, first then second) and ``payload_hashes`` the payloads
    decoded; ``snapshot`` is the ISO UTC time the tag contents were frozen at
    (``None`` = latest).  ``labels`` name the two sides of a comparison,
    first then second, e.g. ``("IOV 379100", "IOV 380200")``; empty for a
    single input.  ``certification`` names the certification file that
    filtered a history (``{"name", "file", "sha256"}``), ``None`` when none
    did; it is written to JSON only when set, and documents without it
    (older ones included) read as ``None``.  Drawers leave provenance
    empty; the engine fills it in with :meth:`PlotObject.with_provenance`.
    """

    db: str = ""
    tags: tuple[str, ...] = ()
    iovs: tuple[int, ...] = ()
    payload_hashes: tuple[str, ...] = ()
    snapshot: str | None = None
    drawer: str = ""
    parameters: Mapping[str, JsonScalar] = field(default_factory=dict)
    time_type: str | None = None
    labels: tuple[str, ...] = ()
    #: The canonical data query string of the view the plot was made for
    #: (``db=…&tag=…&since=…&snapshot=…&bins=50``; ``""`` when unknown), so
    #: an export alone reproduces the permalink ``/plot/<drawer>?<query>``.
    query: str = ""
    certification: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        owner = "Provenance"
        put = self._put
        put("db", _text(owner, "db", self.db))
        put("query", _text(owner, "query", self.query))
        put("drawer", _text(owner, "drawer", self.drawer))
        put("tags", _texts(owner, "tags", self.tags))
        put("payload_hashes", _texts(owner, "payload_hashes", self.payload_hashes))
        put("labels", _texts(owner, "labels", self.labels))
        if any(not label for label in self.labels):
            _fail(owner, "labels", "must not be empty strings")
        put("iovs", _since_tuple(self.iovs))
        put("snapshot", _snapshot(self.snapshot))
        put("parameters", _parameters(self.parameters))
        if self.time_type is not None:
            try:
                put("time_type", TimeType.parse(_text(owner, "time_type", self.time_type)).value)
            except InvalidParameter as exc:
                _fail(owner, "time_type", exc.reason)
        if self.certification is not None:
            put("certification", _certification(self.certification))

    def _put(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    def to_json_dict(self) -> dict[str, Any]:
        """The ``provenance`` object of the JSON form."""
        return {
            "db": self.db,
            "tags": list(self.tags),
            "iovs": [_json_int(i) for i in self.iovs],
            "payload_hashes": list(self.payload_hashes),
            "snapshot": self.snapshot,
            "drawer": self.drawer,
            "parameters": dict(self.parameters),
            "time_type": self.time_type,
            "labels": list(self.labels),
            "query": self.query,
            **({"certification": dict(self.certification)} if self.certification else {}),
        }

    @classmethod
    def from_json_dict(cls, document: Any) -> Provenance:
        """Rebuild from :meth:`to_json_dict` output.

        Missing keys take their defaults and unknown keys are ignored, as
        everywhere in version 1 of the JSON form (keys may be added to it).
        """
        if not isinstance(document, Mapping):
            raise PlotError("plot JSON", "'provenance' must be an object")
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in document.items() if key in known}
        for key in ("tags", "payload_hashes", "labels", "iovs"):
            if key in values and isinstance(values[key], list):
                values[key] = tuple(values[key])
        try:
            if isinstance(values.get("iovs"), tuple):
                # Since values beyond 2**53 are written as decimal strings.
                values["iovs"] = tuple(int(i) if isinstance(i, str) else i for i in values["iovs"])
            return cls(**values)
        except PlotError as exc:
            raise PlotError("plot JSON", f"provenance: {exc.message}") from None
        except ValueError as exc:
            raise PlotError("plot JSON", f"provenance: {exc}") from None

    def csv_lines(self) -> list[str]:
        """The provenance lines of a CSV comment block (lists written as JSON)."""

        def js(value: Any) -> str:
            return json.dumps(value, ensure_ascii=False)

        lines = [
            f"db: {self.db}",
            f"tags: {js(list(self.tags))}",
            f"iovs: {js(list(self.iovs))}",
            f"payload_hashes: {js(list(self.payload_hashes))}",
        ]
        if self.labels:
            lines.append(f"labels: {js(list(self.labels))}")
        lines += [
            f"snapshot: {self.snapshot or 'latest'}",
            f"drawer: {self.drawer}",
            f"parameters: {js(dict(self.parameters))}",
        ]
        if self.time_type is not None:
            lines.append(f"time_type: {self.time_type}")
        if self.query:
            lines.append(f"query: {self.query}")
        if self.certification:
            c = self.certification
            lines.append(f"certification: {c['name']} ({c['file']}, sha256 {c['sha256']})")
        return lines


#: The keys of ``Provenance.certification``, all strings.
CERTIFICATION_KEYS: Final = ("name", "file", "sha256")


def _certification(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or set(value) != set(CERTIFICATION_KEYS):
        _fail(
            "Provenance",
            "certification",
            f"must be an object with exactly the keys {', '.join(CERTIFICATION_KEYS)}",
        )
    if not all(isinstance(value[k], str) and value[k] for k in CERTIFICATION_KEYS):
        _fail("Provenance", "certification", "values must be non-empty strings")
    return types.MappingProxyType({k: str(value[k]) for k in CERTIFICATION_KEYS})


def _since_tuple(values: Any) -> tuple[int, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        _fail("Provenance", "iovs", "must be a sequence of integers")
    items = []
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            _fail("Provenance", "iovs", f"must hold integers (iovs[{i}] = {value!r})")
        number = int(value)
        if not 0 <= number < 2**64:
            _fail("Provenance", "iovs", f"must hold unsigned 64-bit values (iovs[{i}])")
        items.append(number)
    return tuple(items)


def _snapshot(value: Any) -> str | None:
    if value is None:
        return None
    text = _text("Provenance", "snapshot", value)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _fail("Provenance", "snapshot", f"{text!r} is not an ISO 8601 date-time")
    offset = when.utcoffset()
    if offset is not None and offset != dt.timedelta(0):
        _fail("Provenance", "snapshot", f"{text!r} must be in UTC")
    return text


def _parameters(values: Any) -> Mapping[str, JsonScalar]:
    if not isinstance(values, Mapping):
        _fail("Provenance", "parameters", "must be a mapping of name to JSON scalar")
    clean: dict[str, JsonScalar] = {}
    for key, value in values.items():
        if not isinstance(key, str):
            _fail("Provenance", "parameters", f"names must be strings, not {key!r}")
        if isinstance(value, np.generic):
            value = value.item()
        if value is not None and not isinstance(value, str | int | float | bool):
            _fail("Provenance", "parameters", f"{key!r} must be a JSON scalar, not {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            _fail("Provenance", "parameters", f"{key!r} must be finite")
        clean[key] = value
    return types.MappingProxyType(clean)


# -- JSON reading ---------------------------------------------------------------------------


class JsonReader:
    """Typed access to one JSON object, naming plot and key in every error.

    Plot types read their ``data`` through it, so a malformed document says
    ``History: JSON data.since is malformed: integers (or decimal strings)
    expected`` instead of a bare numpy exception.
    """

    def __init__(self, plot_type: str, document: Any, path: str = "data") -> None:
        if not isinstance(document, Mapping):
            raise PlotError(plot_type, f"JSON {path} must be an object")
        self.plot_type = plot_type
        self.document: Mapping[str, Any] = document
        self.path = path

    def _error(self, key: str, reason: str) -> PlotError:
        return PlotError(self.plot_type, f"JSON {self.path}.{key} {reason}", field=key)

    def _convert(self, key: str, convert: Callable[[Any], Any], required: bool) -> Any:
        if key not in self.document:
            if required:
                raise self._error(key, "is missing")
            return None
        value = self.document[key]
        if value is None:
            return None
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            raise self._error(key, f"is malformed: {exc}") from None

    def text(self, key: str, default: str = "") -> str:
        """A string (labels, units); missing or null gives ``default``."""
        value = self._convert(key, _expect(str), required=False)
        return default if value is None else str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean; missing gives ``default``."""
        value = self._convert(key, _expect(bool), required=False)
        return default if value is None else bool(value)

    def number(self, key: str, default: float = 0.0) -> float:
        """A number; missing gives ``default``, null gives NaN."""
        if key in self.document and self.document[key] is None:
            return math.nan
        value = self._convert(key, _number, required=False)
        return default if value is None else float(value)

    def floats(self, key: str, ndim: int = 1, *, required: bool = True) -> Any:
        """A float64 array (nulls read as NaN); ``None`` if optional and absent."""
        return self._convert(key, lambda v: ser.floats_from_json(v, ndim), required)

    def ints(self, key: str, dtype: npt.DTypeLike) -> Any:
        """An integer array of ``dtype`` (numbers or decimal strings)."""
        return self._convert(key, lambda v: ser.ints_from_json(v, dtype), required=True)

    def datetimes(self, key: str, *, required: bool = False) -> Any:
        """A datetime64[us] array from ISO strings; ``None`` if absent or null."""
        return self._convert(key, ser.datetimes_from_json, required)

    def strings(self, key: str, *, required: bool = False) -> Any:
        """A unicode array; ``None`` if absent or null."""
        return self._convert(key, ser.strings_from_json, required)

    def items(self, key: str) -> list[JsonReader]:
        """A required array of objects, each wrapped in its own reader."""
        values = self._convert(key, _expect(list), required=True)
        if values is None:
            raise self._error(key, "must be an array of objects")
        return [
            JsonReader(self.plot_type, item, f"{self.path}.{key}[{i}]")
            for i, item in enumerate(values)
        ]

    def raw(self, key: str) -> Any:
        """The value as JSON holds it, or ``None``."""
        return self.document.get(key)


def _expect(kind: type) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return check


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


# -- the plot object base class ------------------------------------------------------------


class CsvColumn(NamedTuple):
    """One CSV column: header name, values, and what the comment block says."""

    name: str
    values: npt.NDArray[Any]
    label: str = ""
    unit: str = ""


@dataclass(frozen=True, kw_only=True, eq=False)
class PlotObject:
    """Base of all plot types (abstract: build one of the subclasses).

    Subclasses are frozen, keyword-only dataclasses that implement
    ``_validate`` (normalise and check their fields), ``data_to_json`` and
    ``data_from_json`` (their ``data`` object) and ``csv_columns``; they
    are made known by name through the ``register_plot_types`` hook.
    """

    plot_type: ClassVar[str] = "PlotObject"
    #: Label and unit fields of the type: checked, written to and read from
    #: the JSON ``data`` object by the base class, so no type repeats them.
    text_fields: ClassVar[tuple[str, ...]] = ()

    title: str = ""
    provenance: Provenance = field(default_factory=Provenance)
    notes: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "plot_type" not in cls.__dict__:
            cls.plot_type = cls.__name__

    def __post_init__(self) -> None:
        if type(self) is PlotObject:
            raise TypeError("PlotObject is abstract: build a Histogram1D, History, ...")
        owner = self.plot_type
        self.set_field("title", _text(owner, "title", self.title))
        self.set_field("notes", _texts(owner, "notes", self.notes))
        if not isinstance(self.provenance, Provenance):
            _fail(owner, "provenance", f"must be a Provenance, not {type(self.provenance)}")
        self.check_texts(*self.text_fields)
        self.validate()

    def validate(self) -> None:
        """Normalise and check this type's own fields (override)."""

    def set_field(self, name: str, value: object) -> None:
        """Store a normalised value in a field of this frozen dataclass."""
        object.__setattr__(self, name, value)

    def check_texts(self, *names: str) -> None:
        """Check that the named fields (labels, units) are strings."""
        for name in names:
            _text(self.plot_type, name, getattr(self, name))

    def check_count(self, name: str) -> None:
        """Normalise a non-negative number of entries (under/overflow) to float."""
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            self.fail(name, f"must be a number, not {value!r}")
        number = float(value)
        if not (math.isfinite(number) and number >= 0):
            self.fail(name, f"must be finite and not negative, got {number!r}")
        self.set_field(name, number)

    def fail(self, field_name: str, problem: str) -> NoReturn:
        """Raise the :class:`PlotError` naming this plot type and ``field_name``."""
        _fail(self.plot_type, field_name, problem)

    # -- derived copies --

    def with_provenance(self, provenance: Provenance) -> Self:
        """The same plot with ``provenance`` (what the engine attaches)."""
        return dataclasses.replace(self, provenance=provenance)

    def with_notes(self, *notes: str) -> Self:
        """The same plot with ``notes`` appended."""
        return dataclasses.replace(self, notes=(*self.notes, *notes))

    # -- equality --

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlotObject):
            return NotImplemented
        return plots_equal(self, other)

    __hash__ = None  # type: ignore[assignment]  # arrays inside: not hashable

    # -- JSON --

    def to_json_dict(self) -> dict[str, Any]:
        """The documented JSON form as plain lists and dicts (see module docstring)."""
        return {
            "schema": SCHEMA,
            "version": VERSION,
            "type": self.plot_type,
            "title": self.title,
            "provenance": self.provenance.to_json_dict(),
            "notes": list(self.notes),
            "data": {
                **self.data_to_json(),
                **{name: getattr(self, name) for name in self.text_fields},
            },
        }

    def to_json(self) -> bytes:
        """Compact UTF-8 JSON bytes, ready to cache, gzip and serve."""
        return ser.dumps(self.to_json_dict())

    @classmethod
    def from_json(cls, document: bytes | str | Mapping[str, Any]) -> Self:
        """Rebuild a plot of this type from its JSON form.

        The document must describe this type; to read a document of any
        registered type, use :meth:`PlotTypeRegistry.from_json
        <inspector.plots.registry.PlotTypeRegistry.from_json>` (or
        :func:`inspector.plots.from_json` for the built-in types).  Raises
        :class:`PlotError` for a wrong schema, an unknown version or type, or
        malformed data.
        """
        doc = load_document(document)
        name = doc.get("type")
        if cls is PlotObject or name != cls.plot_type:
            raise PlotError(cls.plot_type, f"the JSON describes a {name!r}, not a {cls.plot_type}")
        notes = doc.get("notes", [])
        if not isinstance(notes, list):
            raise PlotError("plot JSON", "'notes' must be an array")
        common = {
            "title": doc.get("title", ""),
            "provenance": Provenance.from_json_dict(doc.get("provenance", {})),
            "notes": tuple(notes),
        }
        reader = JsonReader(cls.plot_type, doc.get("data"))
        common.update({name: reader.text(name) for name in cls.text_fields})
        return cls.data_from_json(reader, common)

    def data_to_json(self) -> dict[str, Any]:
        """This type's ``data`` object (override)."""
        raise NotImplementedError

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        """Build from ``data`` plus the common fields (override)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The JSON document as Python data: exactly what :meth:`to_json` writes, parsed."""
        parsed: dict[str, Any] = json.loads(self.to_json())
        return parsed

    # -- notebooks (the work is done elsewhere: this module stays free of pandas and Bokeh) --

    def to_pandas(self) -> Any:
        """The CSV columns as a pandas DataFrame (see :mod:`inspector.frames`; needs pandas)."""
        from inspector.frames import plot_frame

        return plot_frame(self)

    def _repr_mimebundle_(
        self, include: Container[str] | None = None, exclude: Container[str] | None = None
    ) -> dict[str, str]:
        """Jupyter display: the Bokeh drawing, offline (see :mod:`inspector.notebook.display`)."""
        from inspector.notebook.display import mimebundle

        return mimebundle(self, include, exclude)

    # -- CSV --

    def to_csv(self) -> str:
        """CSV text for downloads and spreadsheets (see docs/plot-objects.md).

        A ``#`` comment block (type, title, provenance, units), a header row,
        then one row per bin, cell, module, IOV, point or table row.
        """
        columns = self.csv_columns()
        described = [
            f"column {c.name}: {c.label or c.name}" + (f" [{c.unit}]" if c.unit else "")
            for c in columns
            if c.label or c.unit
        ]
        body = [
            f"type: {self.plot_type}",
            f"title: {self.title}",
            *self.provenance.csv_lines(),
            *(f"note: {note}" for note in self.notes),
            *self.csv_comments(),
            *described,
        ]
        first = f"payload-inspector/plot CSV version {VERSION}; {len(body) + 1} comment lines"
        return ser.csv_text(
            [first, *body], [c.name for c in columns], [ser.csv_cells(c.values) for c in columns]
        )

    def csv_columns(self) -> list[CsvColumn]:
        """The CSV columns in order (override)."""
        raise NotImplementedError

    def csv_comments(self) -> list[str]:
        """Extra comment lines for this type, e.g. under/overflow (override)."""
        return []


def load_document(document: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    """A plot document as a mapping, its ``schema`` and ``version`` checked."""
    if isinstance(document, bytes | bytearray | memoryview):
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlotError("plot JSON", f"not UTF-8: {exc}") from None
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise PlotError("plot JSON", f"not valid JSON: {exc}") from None
    if not isinstance(document, Mapping):
        raise PlotError("plot JSON", "the document must be a JSON object")
    schema = document.get("schema")
    if schema != SCHEMA:
        raise PlotError("plot JSON", f"'schema' is {schema!r}, expected {SCHEMA!r}")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise PlotError("plot JSON", f"'version' must be an integer, got {version!r}")
    if version != VERSION:
        newer = " (written by a newer Payload Inspector?)" if version > VERSION else ""
        raise PlotError(
            "plot JSON", f"version {version} is not supported{newer}; this reader knows {VERSION}"
        )
    return document


# -- equality -------------------------------------------------------------------------------


def _arrays_equal(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> bool:
    if a.shape != b.shape:
        return False
    if a.dtype != b.dtype and not (a.dtype.kind == b.dtype.kind == "U"):
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.kind == "M":
        nat = np.isnat(a)
        return bool(np.array_equal(nat, np.isnat(b)) and np.array_equal(a[~nat], b[~nat]))
    return bool(np.array_equal(a, b))


def _values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        both = isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
        return both and _arrays_equal(a, b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_values_equal(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_values_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def fields_equal(a: Any, b: Any) -> bool:
    """Dataclass equality that compares numpy arrays element-wise (NaN == NaN)."""
    if type(a) is not type(b):
        return False
    return all(_values_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))


def plots_equal(a: PlotObject, b: PlotObject) -> bool:
    """Whether two plots are the same: type, labels, provenance and every array.

    Arrays must have equal shape and dtype (any width of unicode counts as
    one dtype) and equal values, NaN/NaT positions included.  ``a == b`` on
    plot objects means the same.
    """
    return fields_equal(a, b)
