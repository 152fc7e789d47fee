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

import copy
import dataclasses
import json
import math
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Final, NamedTuple, NoReturn, Self

import numpy as np
import numpy.typing as npt
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from inspector.errors import PlotError
from inspector.memory import fields_nbytes
from inspector.plots import serialize as ser

__all__ = [
    "SCHEMA",
    "VERSION",
    "CsvColumn",
    "JsonReader",
    "JsonScalar",
    "PlotError",
    "PlotJson",
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

from inspector.plots.arrays import (  # noqa: E402  (re-exported: the plot types' helpers)
    _fail,
    _text,
    _texts,
    as_datetime_array,
    as_edges,
    as_float_array,
    as_str_array,
    as_uint_array,
    check_length,
    readonly,
)
from inspector.plots.json_reader import JsonReader  # noqa: E402
from inspector.plots.provenance import Provenance  # noqa: E402
from inspector.plots.provenance_json import JsonScalar, ProvenanceJson  # noqa: E402


@with_config(ConfigDict(extra="allow"))  # version 1 of the JSON form may gain keys
class PlotJson(TypedDict):
    """The plot object JSON, exactly as the JSON export."""

    schema: Annotated[str, Field(json_schema_extra={"const": SCHEMA})]
    version: Annotated[int, Field(json_schema_extra={"const": VERSION})]
    type: Annotated[str, Field(description="History, Histogram1D, DetectorMap, ...")]
    title: str
    provenance: ProvenanceJson
    notes: list[str]
    data: Annotated[
        dict[str, Any], Field(description="the plot type's own fields (docs/plot-objects.md)")
    ]


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
    ``validate`` (normalise and check their fields), ``data_to_json`` and
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

    @property
    def nbytes(self) -> int:
        """Memory held by every field, arrays included (what the plot cache charges)."""
        return fields_nbytes(self)

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
        if not isinstance(provenance, Provenance):
            self.fail("provenance", f"must be a Provenance, not {type(provenance)}")
        return self._with_field("provenance", provenance)

    def with_notes(self, *notes: str) -> Self:
        """The same plot with ``notes`` appended."""
        return self._with_field("notes", _texts(self.plot_type, "notes", (*self.notes, *notes)))

    def _with_field(self, name: str, value: object) -> Self:
        """A copy with one field replaced, the others shared as they are.

        Not ``dataclasses.replace``: that builds the plot again, and so checks
        and normalises every array again, to change one field the others do
        not depend on (the engine attaches provenance to every plot it draws).
        """
        clone = copy.copy(self)
        object.__setattr__(clone, name, value)
        return clone

    # -- equality --

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlotObject):
            return NotImplemented
        return plots_equal(self, other)

    __hash__ = None  # type: ignore[assignment]  # arrays inside: not hashable

    # -- JSON --

    def to_json_dict(self) -> PlotJson:
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

    def to_csv(self, columns: Sequence[CsvColumn] | None = None) -> str:
        """CSV text for downloads and spreadsheets (see docs/plot-objects.md).

        A ``#`` comment block (type, title, provenance, units), a header row,
        then one row per bin, cell, module, IOV, point or table row.
        ``columns`` replaces :meth:`csv_columns` (the export passes a
        history's columns with the run context it looked up).
        """
        columns = self.csv_columns() if columns is None else list(columns)
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
