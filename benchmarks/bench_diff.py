"""Tag diff of two 200,000-IOV tags: the vectorised diff vs baselines.

Measured in one run, on two synthetic Run tags with interleaved boundaries
(every 2nd and every 3rd run) and shared payloads:

* the project's diff (``inspector.conddb.diff.diff_tags``);
* sorting the two since arrays together (``numpy.sort``), the floor: the
  diff needs at least that;
* a plain Python merge (``bisect`` per boundary), what a loop per IOV costs.

Targets: at most 30x the sort (the rest is two ``searchsorted`` and one
comparison of 40-character payload hashes per distinct pair of IOVs, the
dominant cost), at least 5x faster than the Python merge (whose ``bisect``
runs in C, so the gap is smaller than for a pure loop).
"""

from __future__ import annotations

import argparse
import bisect
import sys

import numpy as np
from common import Target, best_of, report

from inspector.conddb import IovList
from inspector.conddb.diff import diff_tags
from inspector.conddb.timetypes import TimeType


def synthetic_tag(name: str, n: int, step: int, offset: int) -> IovList:
    """``n`` IOVs every ``step`` runs from ``offset``; payload = since // 7."""
    since = np.arange(offset, offset + step * n, step, dtype=np.uint64)
    until = np.append(since[1:], since[-1] + np.uint64(step)).astype(np.uint64)
    hashes = np.char.mod("%040d", (since // np.uint64(7)).astype(np.int64)).astype("<U40")
    return IovList.from_hashes(
        name, TimeType.RUN, since, until, hashes, np.zeros(n, "datetime64[us]")
    )


def python_merge(a: IovList, b: IovList) -> list[tuple[int, str, str]]:
    """Baseline: one bisect per boundary and tag, in Python."""
    sa, sb = a.since.tolist(), b.since.tolist()
    ha, hb = a.payload_hash.tolist(), b.payload_hash.tolist()
    rows = []
    for point in sorted(set(sa) | set(sb)):
        i, j = bisect.bisect_right(sa, point) - 1, bisect.bisect_right(sb, point) - 1
        rows.append((point, ha[i] if i >= 0 else "", hb[j] if j >= 0 else ""))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iovs", type=int, default=200_000, help="IOVs per tag")
    args = parser.parse_args(argv)
    a = synthetic_tag("a", args.iovs, 2, 0)
    b = synthetic_tag("b", args.iovs, 3, 1)
    diff = diff_tags(a, b)
    merged = python_merge(a, b)
    assert [r[0] for r in merged[:1000]] == diff.since[:1000].tolist(), "baseline disagrees"
    assert [r[1] for r in merged[1:1000]] == diff.hash_a[1:1000].tolist(), "baseline disagrees"
    print(f"two tags of {args.iovs:,} IOVs: {len(diff):,} diff rows, counts {diff.counts()}")

    t_diff = best_of(lambda: diff_tags(a, b), repeat=5)
    t_sort = best_of(lambda: np.sort(np.concatenate([a.since, b.since])), repeat=5)
    t_python = best_of(lambda: python_merge(a, b), repeat=1)
    print(f"  project diff             {t_diff * 1e3:10.1f} ms")
    print(f"  numpy.sort floor         {t_sort * 1e3:10.1f} ms")
    print(f"  Python merge baseline    {t_python * 1e3:10.1f} ms")
    targets = [
        Target("diff time / sort time (x)", t_diff / t_sort, 30, at_least=False),
        Target("speed-up over the Python merge (x)", t_python / t_diff, 5, at_least=True),
    ]
    return report(targets)


if __name__ == "__main__":
    sys.exit(main())
