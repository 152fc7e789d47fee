"""The demo's certification file: a golden JSON derived from the demo's own runs.

Written next to the database (``demo.sqlite`` → ``demo-golden.json``) so the
certification filter can be tried on the demo at once.  Like a real Run
Registry file, not everything is good: about one run in eight is left out
entirely (a subdetector was off, or the run was too short to use), and a
third of the runs lose some lumisections (the first few while the tracker
high voltage ramps up, or a stretch in the middle with a problem).  A demo
of four runs or more always has at least one run of each kind.

Deterministic and a function of the run list alone (run numbers and
lumisection counts, which RUN_INFO also gives), so the same demo always gets
the same file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.certification import CertifiedLumis, parse_golden_json

__all__ = ["demo_golden", "golden_path", "write_golden_json"]

#: Fractions of runs left out entirely, and of certified runs losing some lumisections.
ABSENT_FRACTION: Final = 0.125
TRIMMED_FRACTION: Final = 1 / 3
_STREAM: Final = 0x601D


def golden_path(database: Path) -> Path:
    """Where the demo's golden JSON goes: ``<stem>-golden.json`` beside the database."""
    return database.with_name(f"{database.stem}-golden.json")


def demo_golden(run: npt.NDArray[np.int64], lumisections: npt.NDArray[np.int64]) -> CertifiedLumis:
    """Certified lumisections of the demo runs (see the module docstring)."""
    run = np.asarray(run, dtype=np.int64)
    lumisections = np.asarray(lumisections, dtype=np.int64)
    rng = np.random.default_rng([_STREAM, *map(int, run[:4]), int(run.size)])
    absent = rng.random(run.size) < ABSENT_FRACTION
    trimmed = rng.random(run.size) < TRIMMED_FRACTION
    in_middle = rng.random(run.size) < 0.5
    if run.size >= 4:  # even a tiny demo shows both kinds of loss
        if not absent.any():
            absent[int(rng.integers(1, run.size))] = True
        if not (trimmed & ~absent).any():
            trimmed[int(np.flatnonzero(~absent)[0])] = True
    document: dict[str, list[list[int]]] = {}
    for i in np.flatnonzero(~absent & (lumisections >= 1)).tolist():
        n = int(lumisections[i])
        ranges = [[1, n]]
        if trimmed[i] and n >= 20:
            if in_middle[i]:
                lo = int(rng.integers(n // 4, n // 2))
                hi = lo + int(rng.integers(2, max(3, n // 8)))
                ranges = [[1, lo - 1], [hi + 1, n]]
            else:
                ranges = [[int(rng.integers(2, max(3, n // 10))) + 1, n]]
        document[str(int(run[i]))] = ranges
    return parse_golden_json(document, where="demo golden JSON")


def write_golden_json(path: Path, lumis: CertifiedLumis) -> Path:
    """Write ``lumis`` as golden JSON, one run per line, replacing ``path`` atomically."""
    lines = [f'"{run}": {json.dumps(ranges)}' for run, ranges in lumis.to_json_dict().items()]
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path
