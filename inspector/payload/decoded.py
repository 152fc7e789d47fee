"""The result of decoding a payload: named values plus the layout they follow.

For a flat layout the values are the fields (numpy arrays, scalars,
strings); for a CMSSW archive layout they are the root class's members, in
the decoded forms of ``docs/payload-schemas.md`` (nested dicts, lists and
numpy arrays).  The per-field conversions (``physical``, ``ranges``,
``range_means``) are declared by flat layouts only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from inspector.errors import SchemaError
from inspector.memory import deep_nbytes
from inspector.payload.archive import values as archive_values
from inspector.payload.archive.layout import ArchiveLayout
from inspector.payload.archive.streamer import StreamerInfo
from inspector.payload.schema import Field, PayloadSchema

__all__ = ["DecodedPayload", "FieldSummary"]


@dataclass(frozen=True)
class FieldSummary:
    """What ``inspector decode`` and the API show about one field."""

    name: str
    kind: str
    dtype: str
    shape: tuple[int, ...]
    unit: str
    min: float | None
    max: float | None
    mean: float | None
    std: float | None


class DecodedPayload(Mapping[str, Any]):
    """Read-only mapping of field name → numpy array, scalar or string.

    Arrays are zero-copy views into the blob wherever the layout allows
    (plain and record arrays, byte-aligned packed arrays), so they are
    read-only; packed arrays of other widths are unpacked once.
    """

    def __init__(
        self,
        schema: PayloadSchema | ArchiveLayout,
        values: dict[str, Any],
        payload_hash: str | None,
        *,
        library_version: int | None = None,
        streamer: StreamerInfo | None = None,
    ) -> None:
        self.schema = schema
        self.payload_hash = payload_hash
        #: boost library version from the archive header (archive layouts only)
        self.library_version = library_version
        #: what PAYLOAD.STREAMER_INFO said, when the caller passed it
        self.streamer = streamer or StreamerInfo()
        self._values = values
        self._nbytes: int | None = None
        self._derived: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        what = self.payload_hash or "unhashed"
        return f"<DecodedPayload {self.schema.object_type} v{self.schema.version} {what}>"

    @property
    def is_archive(self) -> bool:
        """Whether this payload is a CMSSW archive (a decoded C++ class)."""
        return isinstance(self.schema, ArchiveLayout)

    @property
    def nbytes(self) -> int:
        """Memory held by the decoded values (for byte-bounded caches)."""
        if self._nbytes is None:
            self._nbytes = sum(deep_nbytes(v) for v in self._values.values())
        return self._nbytes

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed from this payload once and kept with it (counted in ``nbytes``).

        For what a class's methods compute from its members (SiStripNoises'
        unpacked noise codes): a cached payload then carries it, and every
        drawer reading it pays once.  Two threads asking at once may both
        compute; the values are equal.
        """
        if key not in self._derived:
            value = compute()
            self._derived[key] = value
            self._nbytes = self.nbytes + deep_nbytes(value)
        return self._derived[key]

    def plain(self) -> dict[str, Any]:
        """Every value in JSON types, nested as in the class (``decode --values``)."""
        return {name: archive_values.plain(value) for name, value in self._values.items()}

    def _flat(self) -> PayloadSchema:
        if not isinstance(self.schema, PayloadSchema):
            raise SchemaError(
                f"{self.schema.object_type} is a CMSSW class: its members carry no declared "
                "conversions or ranges (read them directly)"
            )
        return self.schema

    def physical(self, name: str, dtype: npt.DTypeLike = np.float64) -> npt.NDArray[Any]:
        """Field values in physical units, applying the declared conversion.

        ``quantized`` codes map linearly onto ``[min, max]``; otherwise
        ``offset + scale * value``.  Without a declared conversion the raw
        values are returned as ``dtype``.
        """
        raw = np.asarray(self._values[name])
        out = raw.astype(dtype)
        slope, intercept = self.conversion(name)
        divisor = _integer_reciprocal(slope)
        if divisor is not None:
            # 44 / 10 is 4.4 exactly as written; 44 * 0.1 is 4.4000000000000004,
            # which lands on the other side of a bin edge at 4.4.
            out /= divisor
        elif slope != 1.0:
            out *= slope
        if intercept != 0.0:
            out += intercept
        return out

    def conversion(self, name: str) -> tuple[float, float]:
        """``(slope, intercept)`` with physical = slope * raw + intercept.

        Every declared conversion is linear, which lets reductions (means,
        sums) run on the raw integer codes and convert once at the end.
        """
        field = self._flat().field(name)
        if field.quantized is not None:
            lo = float(self._values[field.quantized.min])
            hi = float(self._values[field.quantized.max])
            return (hi - lo) / _levels(field, np.asarray(self._values[name])), lo
        return (
            1.0 if field.scale is None else field.scale,
            0.0 if field.offset is None else field.offset,
        )

    def ranges(self, name: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """``(begin, end)`` element ranges declared by records field ``name``."""
        field = self._flat().field(name)
        if field.ranges is None:
            raise KeyError(f"field {name!r} declares no ranges")
        records = self._values[name]
        begin = np.asarray(records[field.ranges.begin], dtype=np.int64)
        end = np.asarray(records[field.ranges.end], dtype=np.int64)
        return begin, end

    def range_means(
        self, name: str, values: npt.NDArray[Any] | None = None
    ) -> npt.NDArray[np.float64]:
        """Mean of the target field over each record's range (NaN when empty).

        Vectorised with a cumulative sum, e.g. mean strip noise per module.
        """
        field = self._flat().field(name)
        if field.ranges is None:
            raise KeyError(f"field {name!r} declares no ranges")
        slope, intercept = 1.0, 0.0
        if values is None:
            values = np.asarray(self._values[field.ranges.into])
            slope, intercept = self.conversion(field.ranges.into)
        begin, end = self.ranges(name)
        exact = np.int64 if values.dtype.kind in "biu" else np.float64
        csum = np.zeros(values.size + 1, dtype=exact)
        np.cumsum(values, dtype=exact, out=csum[1:])
        counts = end - begin
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.asarray((csum[end] - csum[begin]) / counts, dtype=np.float64)
        return means * slope + intercept

    def summaries(self) -> list[FieldSummary]:
        """Per-field type, shape and statistics (records: one line per member).

        Archive payloads give one line per member path, aggregated over list
        elements (``m_records[*].m_parameters_values``).
        """
        if isinstance(self.schema, ArchiveLayout):
            return [
                _leaf_summary(leaf) for leaf in archive_values.leaves(self.schema, self._values)
            ]
        out: list[FieldSummary] = []
        for field in self.schema.fields:
            value = self._values[field.name]
            if field.kind == "records":
                for member in field.members:
                    col = value[member.name]
                    out.append(
                        _summary(f"{field.name}.{member.name}", "record member", col, member.unit)
                    )
            elif field.kind == "string":
                out.append(
                    FieldSummary(
                        field.name, "string", "str", (len(value),), "", None, None, None, None
                    )
                )
            else:
                shown = self.physical(field.name) if _converts(field) else value
                out.append(
                    _summary(
                        field.name, field.kind, np.asarray(value), field.unit, np.asarray(shown)
                    )
                )
        return out


def _leaf_summary(leaf: archive_values.Leaf) -> FieldSummary:
    if leaf.kind == "string":
        return FieldSummary(leaf.path, "string", "str", (len(leaf.parts),), "", *[None] * 4)
    return _summary(leaf.path, leaf.kind, leaf.values(), leaf.unit)


def _integer_reciprocal(slope: float) -> float | None:
    """``k`` when ``slope`` is ``1/k`` for a whole number k > 1 (0.1, 0.05, 0.001 ...)."""
    if slope == 0.0 or slope >= 1.0 or slope <= -1.0:
        return None
    k = round(1.0 / slope)
    return float(k) if abs(1.0 / k - slope) <= 1e-15 * abs(slope) else None


def _levels(field: Field, raw: npt.NDArray[Any]) -> float:
    bits = field.bits if field.kind == "packed" else raw.dtype.itemsize * 8
    return float((1 << bits) - 1)


def _converts(field: Field) -> bool:
    return field.quantized is not None or field.scale is not None or field.offset is not None


def _summary(
    name: str, kind: str, raw: npt.NDArray[Any], unit: str, shown: npt.NDArray[Any] | None = None
) -> FieldSummary:
    values = raw if shown is None else shown
    with np.errstate(all="ignore"):  # extreme floats overflow in mean/std: that is the answer
        return _summary_of(name, kind, raw, unit, values)


def _summary_of(
    name: str, kind: str, raw: npt.NDArray[Any], unit: str, values: npt.NDArray[Any]
) -> FieldSummary:
    numeric = values.size > 0 and values.dtype.kind in "iuf"
    finite = values[np.isfinite(values)] if numeric and values.dtype.kind == "f" else values
    stats = numeric and finite.size > 0
    return FieldSummary(
        name=name,
        kind=kind,
        dtype=raw.dtype.str,
        shape=tuple(raw.shape),
        unit=unit,
        min=float(finite.min()) if stats else None,
        max=float(finite.max()) if stats else None,
        mean=float(finite.mean(dtype=np.float64)) if stats else None,
        std=float(finite.std(dtype=np.float64)) if stats else None,
    )
