"""Distinct values of a long column and a small integer code per item, found fast.

A tag's IOVs mostly share their payload (and insertion time) with their
neighbours: a million IOVs hold some ten thousand runs of equal values.
Comparing neighbours is one vectorised pass; sorting a million 40-character
strings to find the distinct ones takes about a second.  So runs come first
(:func:`run_starts`) and only one value per run is sorted
(:func:`distinct_codes`).  Used by the IOV lists of :mod:`inspector.conddb`
and by the history envelope of :mod:`inspector.plots`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["compact_codes", "distinct_codes", "run_starts"]


def run_starts(values: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """Where each run of equal neighbours begins (index 0 first, if any)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]])


def distinct_codes(values: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.int32]]:
    """The sorted distinct ``values`` and, per item, the int32 index of its value in them.

    What ``numpy.unique(values, return_inverse=True)`` gives, with one sort
    of the runs' first values instead of all values.
    """
    starts = run_starts(values)
    distinct, run_code = np.unique(values[starts], return_inverse=True)
    lengths = np.diff(np.r_[starts, values.size])
    return distinct, np.repeat(run_code.ravel().astype(np.int32), lengths)


def compact_codes(
    values: npt.NDArray[Any], codes: npt.NDArray[np.integer[Any]]
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int32]]:
    """``values[codes]`` coded again as :func:`distinct_codes` would: sorted, each value used.

    Values no code points at are dropped (after a selection of items) and
    repeated or unsorted ones merged; codes already in that form are returned as they are.
    """
    used = np.bincount(codes, minlength=values.size) > 0
    if bool(used.all()) and (values.size < 2 or bool(np.all(values[1:] > values[:-1]))):
        return values, codes.astype(np.int32, copy=False)
    distinct, inverse = np.unique(values[used], return_inverse=True)
    remap = np.full(values.size, -1, dtype=np.int32)
    remap[used] = inverse.ravel()
    return distinct, remap[codes]
