"""Robust ranges, outliers and significant digits of inspector.plots.numbers."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.plots.numbers import format_significant, outliers, robust_range, round_significant


def test_round_significant_keeps_three_digits_at_every_magnitude() -> None:
    values = [2.037754, -0.0012345, 12345.6, 0.0, np.nan, -7.125125, 25.538162]
    rounded = round_significant(values)
    assert rounded[[0, 1, 2, 3, 5, 6]].tolist() == [2.04, -0.00123, 12300.0, 0.0, -7.13, 25.5]
    assert np.isnan(rounded[4])


def test_format_significant_writes_three_digits_per_value() -> None:
    values = [2.037754, -0.0012345, 12345.6, 0.0, np.nan, np.inf, 1184.0, 25.538162, 1.234e-5]
    values.append(99.96)
    assert format_significant(values) == [
        "2.04",
        "-0.00123",
        "12,300",
        "0",
        "",
        "inf",
        "1,180",
        "25.5",
        "1.23e-05",
        "100",
    ]


def test_robust_range_ignores_a_few_extremes() -> None:
    values = np.concatenate([np.linspace(0.98, 1.02, 1000), [0.0, 50.0, np.nan, np.inf]])
    lo, hi = robust_range(values, tail=0.01)  # type: ignore[misc]
    assert 0.98 <= lo < 0.981 and 1.019 < hi <= 1.02
    lo2, hi2 = robust_range(values, tail=0.01, pad=0.5)  # type: ignore[misc]
    assert lo2 == pytest.approx(lo - 0.5 * (hi - lo)) and hi2 == pytest.approx(hi + 0.5 * (hi - lo))
    assert robust_range(np.ones(100)) is None  # no spread
    assert robust_range(np.arange(10.0)) is None  # too few for quantiles


def test_outliers_are_far_from_the_median_in_robust_sigmas() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(5.0, 0.1, 10_000)
    values[[3, 7]] = [0.0, 9.0]
    values[11] = np.nan
    flagged = outliers(values)
    assert flagged[[3, 7]].all() and not flagged[11]
    assert np.count_nonzero(flagged) <= 4  # 5 sigma: normal noise is (almost) never flagged
