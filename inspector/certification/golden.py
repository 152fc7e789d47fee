"""Certification files in the CMS "golden JSON" format, read and checked.

The Run Registry publishes which lumisections are good for physics as one
JSON object per data-taking period::

    {"379058": [[1, 120], [131, 402]], "379060": [[1, 57]]}

keys are run numbers written as decimal strings, values are lists of
inclusive ``[first, last]`` lumisection ranges (lumisections count from 1).
Runs that are absent were not certified at all.

:func:`parse_golden_json` turns such a document into :class:`CertifiedLumis`:
three parallel, sorted numpy arrays (run, first, last), with overlapping or
touching ranges of a run merged, so that every later question ("does this
IOV overlap a certified run or lumisection?") is one ``searchsorted``.
Anything malformed raises :class:`~inspector.errors.ConfigError` naming the
file and what is wrong, because certification files are named in the
configuration and checked when it is loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from inspector.errors import ConfigError

__all__ = [
    "MAX_LUMISECTION",
    "MAX_RUN",
    "Certification",
    "CertifiedLumis",
    "load_certification",
    "parse_golden_json",
]

#: Run numbers and lumisections are unsigned 32-bit numbers in CondDB.
MAX_RUN: Final = (1 << 32) - 1
MAX_LUMISECTION: Final = (1 << 32) - 1

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class CertifiedLumis:
    """Certified lumisection ranges: ``run[i]`` from ``first[i]`` to ``last[i]`` inclusive.

    Sorted by (run, first); the ranges of one run are disjoint and not
    adjacent (they were merged), so the rows are also sorted as packed
    ``run << 32 | ls`` intervals.
    """

    run: IntArray
    first: IntArray
    last: IntArray

    def __len__(self) -> int:
        return int(self.run.size)

    @property
    def runs(self) -> IntArray:
        """The certified run numbers, sorted and distinct."""
        return np.unique(self.run)

    @property
    def lumisections(self) -> int:
        """How many lumisections are certified in all."""
        return int((self.last - self.first + 1).sum())

    def to_json_dict(self) -> dict[str, list[list[int]]]:
        """The golden-JSON form (what :func:`parse_golden_json` reads back)."""
        out: dict[str, list[list[int]]] = {}
        for run, first, last in zip(
            self.run.tolist(), self.first.tolist(), self.last.tolist(), strict=True
        ):
            out.setdefault(str(run), []).append([first, last])
        return out


@dataclass(frozen=True, eq=False)
class Certification:
    """One configured certification file: its name, where it is and what it certifies.

    ``sha256`` fingerprints the file's bytes, so a plot's provenance says
    exactly which version of a file filtered it.
    """

    name: str
    path: Path
    lumis: CertifiedLumis
    sha256: str
    description: str = ""

    def provenance(self) -> dict[str, str]:
        """What a plot filtered by this file records: name, file name, digest."""
        return {"name": self.name, "file": self.path.name, "sha256": self.sha256}


def load_certification(name: str, path: Path, description: str = "") -> Certification:
    """Read and check one golden JSON file; :class:`ConfigError` names what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"certification {name!r}: cannot read {path}: {exc.strerror or exc}"
        ) from None
    where = f"certification {name!r} ({path})"
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    lumis = parse_golden_json(document, where=where)
    return Certification(
        name=name,
        path=path,
        lumis=lumis,
        sha256=hashlib.sha256(raw).hexdigest(),
        description=description,
    )


def parse_golden_json(document: Any, *, where: str = "golden JSON") -> CertifiedLumis:
    """Check a parsed golden-JSON document and build its sorted, merged arrays."""
    if not isinstance(document, Mapping):
        raise ConfigError(
            f"{where}: the top level must be an object of run number → lumisection ranges, "
            f"not {_kind(document)}"
        )
    runs: list[int] = []
    firsts: list[int] = []
    lasts: list[int] = []
    for key, ranges in document.items():
        run = _run_number(key, where)
        pairs = _ranges(run, ranges, where)
        for first, last in _merged(pairs):
            runs.append(run)
            firsts.append(first)
            lasts.append(last)
    run_a = np.array(runs, dtype=np.int64)
    first_a = np.array(firsts, dtype=np.int64)
    last_a = np.array(lasts, dtype=np.int64)
    order = np.lexsort((first_a, run_a))
    return CertifiedLumis(run=run_a[order], first=first_a[order], last=last_a[order])


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _run_number(key: Any, where: str) -> int:
    text = str(key)
    if not text.isascii() or not text.isdigit():
        raise ConfigError(f"{where}: key {text!r} is not a run number (decimal digits only)")
    run = int(text)
    if not 1 <= run <= MAX_RUN:
        raise ConfigError(f"{where}: run {run} is not within 1..{MAX_RUN}")
    return run


def _ranges(run: int, ranges: Any, where: str) -> list[tuple[int, int]]:
    if not isinstance(ranges, list) or not ranges:
        raise ConfigError(
            f"{where}: run {run} must map to a non-empty list of [first, last] "
            f"lumisection ranges, not {ranges!r}"[:300]
        )
    out = []
    for i, pair in enumerate(ranges):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
        ):
            raise ConfigError(
                f"{where}: run {run} range {i} must be [first, last] with two whole numbers, "
                f"not {pair!r}"[:300]
            )
        first, last = pair
        if not 1 <= first <= last <= MAX_LUMISECTION:
            raise ConfigError(
                f"{where}: run {run} range {i} [{first}, {last}] must have "
                f"1 <= first <= last <= {MAX_LUMISECTION}"
            )
        out.append((first, last))
    return out


def _merged(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of inclusive ranges: overlapping or touching ones become one."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(pairs):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
