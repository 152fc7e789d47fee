"""Distinct values with a code per item: what ``numpy.unique(..., return_inverse=True)`` gives."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.distinct import compact_codes, distinct_codes, run_starts


@pytest.mark.parametrize("seed", range(5))
def test_distinct_codes_equal_numpy_unique_on_runs_and_reuse(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Runs of repeats, values that come back after others, and every length of run.
    values = np.repeat(rng.integers(0, 30, 400), rng.integers(1, 9, 400)).astype(str)
    distinct, codes = distinct_codes(values)
    unique, inverse = np.unique(values, return_inverse=True)
    assert np.array_equal(distinct, unique) and np.array_equal(codes, inverse)
    assert codes.dtype == np.int32 and np.array_equal(distinct[codes], values)


def test_run_starts_and_empty_columns() -> None:
    assert run_starts(np.array(["a", "a", "b", "a"])).tolist() == [0, 2, 3]
    distinct, codes = distinct_codes(np.zeros(0, dtype="S40"))
    assert distinct.size == 0 and codes.size == 0 and codes.dtype == np.int32


def test_compact_codes_drops_unused_values_and_merges_repeats() -> None:
    values = np.array(["c", "a", "b", "a"])
    codes = np.array([0, 3, 0, 1], dtype=np.int32)  # "b" unused; "a" twice
    distinct, coded = compact_codes(values, codes)
    assert distinct.tolist() == ["a", "c"]
    assert distinct[coded].tolist() == values[codes].tolist()
    already = np.array(["a", "b"])
    same, kept = compact_codes(already, np.array([1, 0, 1], dtype=np.int32))
    assert same is already and kept.tolist() == [1, 0, 1]
