"""How numbers are chosen for showing: robust ranges, significant digits, outliers.

One place for these because several readers must agree: a histogram's
data-driven range, a map's colour scale and its list of outlier modules all
ignore the same few extreme values, and a table shows each number with the
same three significant digits whatever its magnitude.  Everything is
vectorised; NaN and ±Inf are left out of every statistic.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "OUTLIER_MADS",
    "SIGNIFICANT",
    "format_significant",
    "outliers",
    "robust_range",
    "round_significant",
]

#: Digits a table shows of each number: 12.3 µm, 0.0123 µrad, 1.23e+04 strips.
SIGNIFICANT: Final = 3
#: A module is an outlier beyond this many (normal-scaled) median absolute deviations.
OUTLIER_MADS: Final = 5.0
#: Fewer finite values than this have no meaningful quantiles.
_MIN_FOR_QUANTILES: Final = 20
#: 1.4826 × MAD estimates σ for normally distributed values.
_MAD_TO_SIGMA: Final = 1.4826


def _finite(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


def robust_range(
    values: npt.ArrayLike, tail: float = 0.01, pad: float = 0.0
) -> tuple[float, float] | None:
    """The ``tail``–(1 − ``tail``) quantiles, widened by ``pad`` × their span on each side.

    So that a handful of dead or noisy entries neither wash out a colour scale
    nor squeeze a histogram into a few bins.  ``None`` when there are fewer
    than 20 finite values or they are all equal: the caller then falls back
    to the data's full extent (or its own default).
    """
    finite = _finite(values)
    if finite.size < _MIN_FOR_QUANTILES:
        return None
    lo, hi = (float(q) for q in np.quantile(finite, [tail, 1.0 - tail]))
    if not hi > lo:
        return None
    margin = pad * (hi - lo)
    return lo - margin, hi + margin


def outliers(values: npt.ArrayLike, mads: float = OUTLIER_MADS) -> npt.NDArray[np.bool_]:
    """Which values lie more than ``mads`` robust standard deviations from the median.

    The median and the median absolute deviation are not pulled by the
    outliers themselves (a mean and RMS would be).  NaN is never an outlier;
    with no spread (MAD 0) only values unequal to the median are.
    """
    array = np.asarray(values, dtype=np.float64)
    finite = _finite(array)
    if finite.size == 0:
        return np.zeros(array.shape, dtype=np.bool_)
    median = float(np.median(finite))
    sigma = _MAD_TO_SIGMA * float(np.median(np.abs(finite - median)))
    with np.errstate(invalid="ignore"):
        distance = np.abs(array - median)
        return np.asarray(distance > mads * sigma, dtype=np.bool_) & np.isfinite(array)


def _magnitudes(finite: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """floor(log10 |v|) per value, 0 for zero."""
    with np.errstate(divide="ignore"):
        exponent = np.floor(np.log10(np.abs(finite)))
    return np.where(np.isfinite(exponent), exponent, 0.0)


def round_significant(values: npt.ArrayLike, digits: int = SIGNIFICANT) -> npt.NDArray[np.float64]:
    """Each value rounded to ``digits`` significant digits (NaN and ±Inf kept)."""
    array = np.asarray(values, dtype=np.float64)
    out = array.copy()
    ok = np.isfinite(array) & (array != 0)
    if ok.any():
        scale = 10.0 ** (digits - 1 - _magnitudes(array[ok]))
        out[ok] = np.round(array[ok] * scale) / scale
    return out


def format_significant(values: npt.ArrayLike, digits: int = SIGNIFICANT) -> list[str]:
    """Each value as text with ``digits`` significant digits, the way a physicist writes it.

    ``2.04``, ``-0.00123``, ``12,300`` (thousands grouped, no spurious
    decimals), ``1.23e-05`` below 0.001; ``0`` for zero, empty for NaN,
    ``inf``/``-inf`` as such.  Per value, not per column: a table row of
    centimetres may sit above one of microradians.
    """
    array = np.asarray(values, dtype=np.float64).ravel()
    rounded = round_significant(array, digits)
    exponents = np.zeros(array.shape)
    ok = np.isfinite(array) & (array != 0)
    exponents[ok] = _magnitudes(rounded[ok])  # of the rounded value: 99.96 is written 100
    return [_text(v, r, int(e), digits) for v, r, e in zip(array, rounded, exponents, strict=True)]


def _text(value: float, rounded: float, exponent: int, digits: int) -> str:
    if np.isnan(value):
        return ""
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    if exponent >= digits - 1:
        return f"{rounded:,.0f}"
    if exponent >= -3:
        return f"{rounded:.{digits - 1 - exponent}f}"
    return f"{value:.{digits - 1}e}"
