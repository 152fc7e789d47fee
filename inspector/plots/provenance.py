"""Where a plot's numbers come from: :class:`Provenance`, written with every plot."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from inspector.conddb.timetypes import TimeType
from inspector.errors import InvalidParameter, PlotError
from inspector.plots import serialize as ser
from inspector.plots.arrays import _fail, _text, _texts
from inspector.plots.provenance_json import CertificationJson, JsonScalar, ProvenanceJson

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

    def to_json_dict(self) -> ProvenanceJson:
        """The ``provenance`` object of the JSON form."""
        doc: ProvenanceJson = {
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
        }
        if self.certification:
            cert = self.certification
            doc["certification"] = {
                "name": cert["name"],
                "file": cert["file"],
                "sha256": cert["sha256"],
            }
        return doc

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
CERTIFICATION_KEYS: Final = tuple(CertificationJson.__annotations__)


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
