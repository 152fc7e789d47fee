"""Arrays to and from JSON values and CSV cells, vectorised.

This module knows nothing about plot types: it turns numpy arrays into the
plain lists that ``json.dumps`` writes (and back), and lays out CSV text.
The rules it implements are the documented JSON form (docs/plot-objects.md):

* floats are written with the shortest repr that reads back to the same
  float64 (what Python's ``repr`` prints); NaN and ±Inf become ``null``;
* integers are JSON numbers, except those beyond ±2**53, which JavaScript
  cannot hold exactly and are written as decimal strings;
* date-times are ISO 8601 strings in UTC with a ``Z`` and microseconds;
  NaT becomes ``null``.

Every function here works on whole arrays: ``tolist()`` and object arrays do
the per-element work in C, so 10,000 IOVs cost milliseconds, not a Python
loop each.  Malformed input raises ``ValueError`` or ``TypeError``; the
caller names the plot and the field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "EXACT_INT_LIMIT",
    "csv_cells",
    "csv_text",
    "datetimes_from_json",
    "datetimes_to_json",
    "dumps",
    "floats_from_json",
    "floats_to_json",
    "ints_from_json",
    "ints_to_json",
    "strings_from_json",
    "to_float64",
]

#: Integers of larger magnitude are written as strings (doubles hold 53 bits).
EXACT_INT_LIMIT: Final = 2**53

_POW10: Final = 10.0 ** np.arange(23)
#: Decimal exponents for which every candidate scale 10**e (|e| <= 22) is exact.
_FAST_EXPONENTS: Final = (-13, 12)


def dumps(document: Any) -> bytes:
    """Compact UTF-8 JSON; refuses NaN so that no invalid token can slip out."""
    text = json.dumps(
        document, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
    )
    return text.encode("utf-8")


# -- float32 → float64 by decimal value ------------------------------------------------------


def to_float64(values: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Widen to float64, keeping the decimal value a narrower float stands for.

    ``float64(float32(228.975))`` is ``228.97500610351562``: the binary error
    of the float32 becomes visible digits and doubles the JSON size.  Here a
    float32 (or float16) becomes the float64 nearest to its *shortest*
    decimal repr (``228.975``), which reads back to the very same float32, so
    no information is lost.  Wider types are converted as usual.
    """
    if values.dtype.kind == "f" and values.dtype.itemsize < 8:
        return _narrow_float_to_decimal(values)
    return np.asarray(values, dtype=np.float64)


def _narrow_float_to_decimal(narrow: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Vectorised shortest-decimal widening (see :func:`to_float64`).

    For k = 1, 2, ... significant digits, round each value to k digits with
    an exact power of ten (so the division or multiplication is correctly
    rounded) and keep the first candidate that reads back to the original.
    Values whose exponent would need an inexact power of ten (below 1e-13 or
    above 1e12) go through numpy's shortest-repr strings instead: slower, but
    rare in calibration data.
    """
    flat = narrow.ravel()
    wide = flat.astype(np.float64)
    out = wide.copy()
    candidates = np.flatnonzero(np.isfinite(wide) & (wide != 0.0))
    magnitude = np.floor(np.log10(np.abs(wide[candidates]))).astype(np.int64)
    fast = (magnitude >= _FAST_EXPONENTS[0]) & (magnitude <= _FAST_EXPONENTS[1])
    slow = [candidates[~fast]]
    index, magnitude = candidates[fast], magnitude[fast]
    value, target = wide[index], flat[index]
    for digits in range(1, 11):
        if index.size == 0:
            break
        exponent = digits - 1 - magnitude
        scale = _POW10[np.abs(exponent)]
        up = exponent >= 0
        mantissa = np.where(up, np.rint(value * scale), np.rint(value / scale))
        rounded = np.where(up, mantissa / scale, mantissa * scale)
        good = rounded.astype(narrow.dtype) == target
        out[index[good]] = rounded[good]
        keep = ~good
        index, magnitude, value, target = index[keep], magnitude[keep], value[keep], target[keep]
    slow.append(index)
    rest = np.concatenate(slow)
    if rest.size:
        out[rest] = flat[rest].astype(np.str_).astype(np.float64)
    return out.reshape(narrow.shape)


# -- to JSON ----------------------------------------------------------------------------------


def floats_to_json(values: npt.NDArray[np.floating[Any]]) -> list[Any]:
    """Float array (any shape) to nested lists; NaN and ±Inf become None."""
    finite = np.isfinite(values)
    if finite.all():
        result: list[Any] = values.tolist()
        return result
    boxed = values.astype(object)
    boxed[~finite] = None
    result = boxed.tolist()
    return result


def ints_to_json(values: npt.NDArray[np.integer[Any]]) -> list[int | str]:
    """Integer array to a list; magnitudes beyond 2**53 become decimal strings."""
    if values.dtype.itemsize < 8:
        small: list[int | str] = values.tolist()
        return small
    big = values > EXACT_INT_LIMIT
    if values.dtype.kind == "i":
        big |= values < -EXACT_INT_LIMIT
    if not big.any():
        plain: list[int | str] = values.tolist()
        return plain
    boxed = values.astype(object)
    boxed[big] = values[big].astype(np.str_).tolist()
    mixed: list[int | str] = boxed.tolist()
    return mixed


def datetimes_to_json(values: npt.NDArray[np.datetime64]) -> list[str | None]:
    """datetime64 array to ISO 8601 UTC strings with microseconds; NaT → None."""
    text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us", timezone="UTC")
    missing = np.isnat(values)
    if not missing.any():
        plain: list[str | None] = text.tolist()
        return plain
    boxed = text.astype(object)
    boxed[missing] = None
    mixed: list[str | None] = boxed.tolist()
    return mixed


# -- from JSON --------------------------------------------------------------------------------


def _require_list(values: Any) -> list[Any]:
    if not isinstance(values, list):
        raise TypeError(f"expected a JSON array, got {type(values).__name__}")
    return values


def floats_from_json(values: Any, ndim: int = 1) -> npt.NDArray[np.float64]:
    """Nested lists of numbers (``null`` = NaN) to a float64 array of ``ndim``."""
    array = np.array(_require_list(values), dtype=np.float64)
    if array.ndim != ndim and not (array.size == 0 and ndim > 1):
        raise ValueError(f"expected {ndim} dimension(s), got {array.ndim}")
    return array


def ints_from_json(values: Any, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """A list of integers or decimal strings to an integer array of ``dtype``.

    Floats and nulls are refused rather than truncated; values outside the
    dtype's range are refused rather than wrapped.
    """
    target = np.dtype(dtype)
    items = _require_list(values)
    if not items:
        return np.zeros(0, dtype=target)
    raw = np.array(items)
    if raw.ndim != 1 or raw.dtype.kind not in "iuU":
        raise ValueError("integers (or decimal strings) expected")
    try:
        if raw.dtype.kind == "U":
            # numpy parses each string with Python's int(): exact, and it
            # raises on "1.5" or on values out of the target's range.
            return raw.astype(target)
        info = np.iinfo(target)
        if raw.min() < info.min or raw.max() > info.max:
            raise OverflowError(f"values outside the range of {target.name}")
        return raw.astype(target)
    except OverflowError as exc:
        raise ValueError(str(exc)) from None


def datetimes_from_json(values: Any) -> npt.NDArray[np.datetime64]:
    """ISO 8601 strings (``Z`` or no zone = UTC; ``null`` = NaT) to datetime64[us]."""
    items = _require_list(values)
    if not items:
        return np.zeros(0, dtype="datetime64[us]")
    boxed = np.array(items, dtype=object)
    boxed[np.fromiter((v is None for v in items), dtype=np.bool_, count=len(items))] = "NaT"
    text = boxed.astype(np.str_)
    text = np.where(np.strings.endswith(text, "Z"), np.strings.slice(text, 0, -1), text)
    return text.astype("datetime64[us]")


def strings_from_json(values: Any) -> npt.NDArray[np.str_]:
    """A list of strings to a numpy unicode array (non-strings are refused)."""
    items = _require_list(values)
    if not all(isinstance(v, str) for v in items):
        raise ValueError("strings expected")
    return np.array(items, dtype=np.str_)


# -- CSV --------------------------------------------------------------------------------------


def csv_cells(values: npt.NDArray[Any]) -> list[Any]:
    """One column's cells: what ``csv.writer`` prints for each element.

    Floats print with ``repr`` (shortest round trip; ``nan``, ``inf`` for the
    non-finite, which ``numpy.genfromtxt`` reads back); integers exactly;
    date-times as ISO UTC strings (empty for NaT); strings as they are.
    """
    kind = values.dtype.kind
    if kind == "M":
        return [v if v is not None else "" for v in datetimes_to_json(values)]
    cells: list[Any] = values.tolist()
    return cells


def csv_text(comments: Sequence[str], header: Sequence[str], columns: Sequence[list[Any]]) -> str:
    """CSV text: ``# comment`` lines, a header row, then one row per element.

    Comment text has its line breaks replaced so that every comment stays on
    one ``#`` line; cells are quoted by :mod:`csv` only when they need it.
    """
    buffer = io.StringIO()
    for line in comments:
        buffer.write(("# " + " ".join(line.splitlines())).rstrip() + "\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()
