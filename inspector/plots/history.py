"""Values along a tag's IOV timeline: :class:`History` and its :class:`Series`.

A history has one row per IOV (``since``/``until`` as CondDB stores them,
uint64, meaning fixed by ``time_type``) and one or more named series of
values with optional errors.  The optional per-IOV payload hash, insertion
time and wall-clock time are what the web layer shows on hover, so they
travel with the plot instead of being looked up again.  Hashes are held
once each (``payload_hashes``) with a code per IOV (``payload_codes``), as
:class:`~inspector.conddb.IovList` holds them: a million IOVs of ten
thousand payloads keep 4 MiB of codes, not 150 MiB of strings.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Self

import numpy as np
import numpy.typing as npt

from inspector.conddb.runs import Fill
from inspector.conddb.timetypes import TimeType
from inspector.distinct import compact_codes, distinct_codes
from inspector.errors import InvalidParameter
from inspector.plots.base import (
    CsvColumn,
    JsonReader,
    PlotError,
    PlotObject,
    as_datetime_array,
    as_float_array,
    as_str_array,
    as_uint_array,
    check_length,
    fields_equal,
    readonly,
)
from inspector.plots.run_columns import RUN_COLUMNS, run_columns
from inspector.plots.serialize import datetimes_to_json, floats_to_json, ints_to_json

__all__ = ["History", "Series", "hash_columns"]

#: Names of the per-IOV columns; series may not take them (CSV headers must be unique).
RESERVED_NAMES: Final = ("since", "until", *RUN_COLUMNS, "time", "payload_hash", "insertion_time")


def hash_columns(per_iov: Any) -> dict[str, Any]:
    """A :class:`History`'s two hash fields from one hash per IOV.

    ``History(..., **hash_columns(per_iov))``: each hash kept once, a code per IOV.
    """
    hashes, codes = distinct_codes(np.asarray(per_iov))
    return {"payload_hashes": hashes, "payload_codes": codes}


@dataclass(frozen=True, eq=False)
class Series:
    """One named quantity along the timeline: a value (and error) per IOV.

    ``label`` is the legend text (the series name when empty); ``errors``,
    when given, must not be negative (NaN = unknown).
    """

    values: npt.NDArray[Any]  # float64 (n,), NaN = no value
    errors: npt.NDArray[Any] | None = None  # float64 (n,), not negative
    unit: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("unit", "label"):
            if not isinstance(getattr(self, name), str):
                raise PlotError("Series", f"{name} must be a string", field=name)
        values = as_float_array("Series", "values", self.values)
        object.__setattr__(self, "values", values)
        if self.errors is not None:
            errors = as_float_array("Series", "errors", self.errors)
            if errors.size != values.size:
                raise PlotError(
                    "Series",
                    f"errors has {errors.size} values for {values.size} values",
                    field="errors",
                )
            negative = np.flatnonzero(errors < 0)
            if negative.size:
                raise PlotError(
                    "Series", f"errors must not be negative (index {negative[0]})", field="errors"
                )
            object.__setattr__(self, "errors", errors)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Series):
            return NotImplemented
        return fields_equal(self, other)

    __hash__ = None  # type: ignore[assignment]  # arrays inside: not hashable


@dataclass(frozen=True, kw_only=True, eq=False)
class History(PlotObject):
    """Named series over IOVs: ``series[name].values[i]`` holds for IOV i.

    ``since`` increases strictly (one row per IOV, as in a tag) and
    ``until[i] >= since[i]``; both are raw CondDB values of ``time_type``
    (a :class:`~inspector.conddb.timetypes.TimeType` spelling).  Optional
    per-IOV columns: the payload hash (``payload_hashes[payload_codes[i]]``,
    both or neither given; :func:`~inspector.distinct.distinct_codes` makes
    them from one string per IOV), ``insertion_time`` and ``time`` (the
    wall-clock start, e.g. of a run), datetimes in UTC, NaT where unknown.
    """

    text_fields: ClassVar[tuple[str, ...]] = ("y_label",)

    since: npt.NDArray[Any]  # uint64 (n,), strictly increasing
    until: npt.NDArray[Any]  # uint64 (n,), until >= since
    time_type: str
    series: Mapping[str, Series]
    payload_hashes: npt.NDArray[Any] | None = None  # str (distinct, sorted)
    payload_codes: npt.NDArray[Any] | None = None  # int32 (n,): index into payload_hashes
    insertion_time: npt.NDArray[Any] | None = None  # datetime64[us] (n,), UTC
    time: npt.NDArray[Any] | None = None  # datetime64[us] (n,), UTC
    y_label: str = ""

    @property
    def iov_count(self) -> int:
        """Number of IOVs (rows)."""
        return int(self.since.size)

    @property
    def payload_hash(self) -> npt.NDArray[np.str_] | None:
        """One hash per IOV (``None``: no hashes), built on each call: prefer the codes."""
        if self.payload_hashes is None or self.payload_codes is None:
            return None
        per_iov: npt.NDArray[np.str_] = self.payload_hashes[self.payload_codes]
        return per_iov

    def validate(self) -> None:
        owner = self.plot_type
        self.check_texts("time_type")
        try:
            self.set_field("time_type", TimeType.parse(self.time_type).value)
        except InvalidParameter as exc:
            self.fail("time_type", exc.reason)
        since = as_uint_array(owner, "since", self.since, np.uint64)
        until = as_uint_array(owner, "until", self.until, np.uint64)
        check_length(owner, "until", until, since.size, "IOVs")
        self._check_order(since, until)
        self.set_field("since", since)
        self.set_field("until", until)
        self.set_field("series", self._checked_series(since.size))
        self._check_hashes(since.size)
        for name in ("insertion_time", "time"):
            if getattr(self, name) is not None:
                when = as_datetime_array(owner, name, getattr(self, name))
                check_length(owner, name, when, since.size, "IOVs")
                self.set_field(name, when)

    def _check_hashes(self, iovs: int) -> None:
        """Both hash fields or neither; codes index the hashes; stored sorted and each used."""
        owner = self.plot_type
        if (self.payload_hashes is None) != (self.payload_codes is None):
            self.fail("payload_codes", "must come with payload_hashes (both or neither)")
        if self.payload_hashes is None:
            return
        hashes = as_str_array(owner, "payload_hashes", self.payload_hashes)
        codes = as_uint_array(owner, "payload_codes", self.payload_codes, np.uint32)
        check_length(owner, "payload_codes", codes, iovs, "IOVs")
        if codes.size and int(codes.max()) >= hashes.size:
            self.fail(
                "payload_codes", f"must index the {hashes.size} hashes (found {int(codes.max())})"
            )
        hashes, coded = compact_codes(hashes, codes.astype(np.int32))
        self.set_field("payload_hashes", readonly(hashes))
        self.set_field("payload_codes", readonly(coded))

    def _check_order(self, since: npt.NDArray[np.uint64], until: npt.NDArray[np.uint64]) -> None:
        bad = np.flatnonzero(since[1:] <= since[:-1])
        if bad.size:
            i = int(bad[0]) + 1
            self.fail("since", f"must increase strictly (IOV {i}: {since[i]} after {since[i - 1]})")
        bad = np.flatnonzero(until < since)
        if bad.size:
            i = int(bad[0])
            self.fail("until", f"must not be before since (IOV {i}: {until[i]} < {since[i]})")

    def _checked_series(self, iovs: int) -> Mapping[str, Series]:
        if not isinstance(self.series, Mapping) or not self.series:
            self.fail("series", "must map at least one name to a Series")
        columns = list(RESERVED_NAMES)
        for name, series in self.series.items():
            if not isinstance(name, str) or not name.strip() or "\n" in name or "\r" in name:
                self.fail("series", f"names must be non-empty one-line strings, not {name!r}")
            if name in RESERVED_NAMES:
                self.fail("series", f"name {name!r} is reserved for the IOV columns")
            if not isinstance(series, Series):
                self.fail("series", f"{name!r} must be a Series, not {type(series).__name__}")
            if series.values.size != iovs:
                self.fail("series", f"{name!r} has {series.values.size} values for {iovs} IOVs")
            columns += [name, f"{name}_error"] if series.errors is not None else [name]
        if len(set(columns)) != len(columns):
            self.fail("series", "names clash with each other's '_error' columns")
        return types.MappingProxyType(dict(self.series))

    def data_to_json(self) -> dict[str, Any]:
        return {
            "time_type": self.time_type,
            "since": ints_to_json(self.since),
            "until": ints_to_json(self.until),
            "time": None if self.time is None else datetimes_to_json(self.time),
            "insertion_time": (
                None if self.insertion_time is None else datetimes_to_json(self.insertion_time)
            ),
            "payload_hash": None if (h := self.payload_hash) is None else h.tolist(),
            "series": [
                {
                    "name": name,
                    "label": s.label,
                    "unit": s.unit,
                    "values": floats_to_json(s.values),
                    "errors": None if s.errors is None else floats_to_json(s.errors),
                }
                for name, s in self.series.items()
            ],
        }

    @classmethod
    def data_from_json(cls, data: JsonReader, common: dict[str, Any]) -> Self:
        items = data.items("series")
        series = {
            item.text("name"): Series(
                item.floats("values"),
                item.floats("errors", required=False),
                unit=item.text("unit"),
                label=item.text("label"),
            )
            for item in items
        }
        if len(series) != len(items):
            raise PlotError(cls.plot_type, "JSON data.series: a series name appears twice")
        per_iov = data.strings("payload_hash")
        return cls(
            time_type=data.text("time_type"),
            since=data.ints("since", np.uint64),
            until=data.ints("until", np.uint64),
            series=series,
            **({} if per_iov is None else hash_columns(per_iov)),
            insertion_time=data.datetimes("insertion_time"),
            time=data.datetimes("time"),
            **common,
        )

    def csv_columns(self, fills: Sequence[Fill] | None = None) -> list[CsvColumn]:
        """The IOV columns, then each series (and its errors).

        Beside the raw ``since``/``until``: the run (and lumisection) decoded
        from the time type, and with ``fills`` (the run context of the range,
        which the CSV export passes) each IOV's LHC fill
        (:func:`~inspector.plots.run_columns.run_columns`).
        """
        columns = [
            CsvColumn("since", self.since, "IOV start", self.time_type),
            CsvColumn("until", self.until, "IOV end", self.time_type),
            *run_columns(self.since, self.time_type, self.time, fills),
        ]
        if self.time is not None:
            columns.append(CsvColumn("time", self.time, "wall-clock time", "UTC"))
        if (hashes := self.payload_hash) is not None:
            columns.append(CsvColumn("payload_hash", hashes))
        if self.insertion_time is not None:
            columns.append(
                CsvColumn("insertion_time", self.insertion_time, "IOV insertion time", "UTC")
            )
        for name, s in self.series.items():
            columns.append(CsvColumn(name, s.values, s.label, s.unit))
            if s.errors is not None:
                columns.append(CsvColumn(f"{name}_error", s.errors, "", s.unit))
        return columns
