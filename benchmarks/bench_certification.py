"""Certification filter: which of 100,000 Lumi IOVs overlap a realistic golden JSON.

Measured in one run, on synthetic but realistic data (300 runs of ~600
lumisections, a golden JSON with some runs absent and some ranges cut, as the
demo writes it, and 100,000 IOVs over those runs):

* **vectorised**: :func:`inspector.certification.overlap.overlap_mask`
  (one ``searchsorted`` over the certified intervals);
* **baseline**: the obvious Python loop, one ``bisect`` per IOV.

Both must give the same answer.  Target: the vectorised test at least 20x
faster than the loop.
"""

from __future__ import annotations

import bisect
import sys

import numpy as np
import numpy.typing as npt
from common import Target, best_of

from inspector.certification import CertifiedLumis
from inspector.certification.overlap import certified_intervals, overlap_mask
from inspector.conddb.timetypes import TimeType
from inspector.demo.golden import demo_golden

IOVS = 100_000
UInts = npt.NDArray[np.uint64]


def _data() -> tuple[UInts, UInts, CertifiedLumis]:
    rng = np.random.default_rng(7)
    runs = 379_000 + np.cumsum(rng.integers(1, 8, 300))
    lumis = rng.integers(50, 1200, 300)
    golden = demo_golden(runs, lumis)
    run_of = rng.choice(runs, IOVS)
    packed = (run_of.astype(np.uint64) << np.uint64(32)) | rng.integers(1, 1200, IOVS).astype(
        np.uint64
    )
    since = np.unique(packed)
    until = np.append(since[1:], np.uint64((int(runs[-1]) + 1) << 32))
    return since, until, golden


def _loop(since: UInts, until: UInts, starts: list[int], ends: list[int]) -> list[bool]:
    out = []
    for a, b in zip(since.tolist(), until.tolist(), strict=True):
        j = bisect.bisect_right(ends, a)
        out.append(j < len(starts) and starts[j] < max(b, a + 1))
    return out


def main(argv: list[str] | None = None) -> int:
    since, until, golden = _data()
    intervals = certified_intervals(golden, TimeType.LUMI)
    starts, ends = intervals.starts.tolist(), intervals.ends.tolist()
    fast = overlap_mask(since, until, intervals)
    assert fast.tolist() == _loop(since, until, starts, ends)
    t_fast = best_of(lambda: overlap_mask(since, until, intervals), repeat=20)
    t_loop = best_of(lambda: _loop(since, until, starts, ends), repeat=3)
    print(f"{since.size:,} Lumi IOVs against {len(intervals):,} certified ranges")
    print(f"  kept                       {int(fast.sum()):9,d}")
    print(f"  vectorised                 {t_fast * 1e3:9.2f} ms")
    print(f"  baseline (loop + bisect)   {t_loop * 1e3:9.1f} ms")
    target = Target("speed-up over the loop (x)", t_loop / t_fast, 20, at_least=True)
    print(target.line())
    return 0 if target.met else 1


if __name__ == "__main__":
    sys.exit(main())
