"""Array normalisation shared by the plot types: one documented dtype per field, read-only.

Every check raises :class:`~inspector.errors.PlotError` naming the plot type and the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from inspector.errors import PlotError
from inspector.plots import serialize as ser

# -- array normalisation --------------------------------------------------------------------


def readonly(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A read-only view: plots are shared between threads and caches.

    A view, not a copy, so big arrays cost nothing; the caller's own array
    stays writable, and callers must not change it after building the plot.
    """
    view = array.view()
    view.flags.writeable = False
    return view


def _fail(owner: str, field_name: str, problem: str) -> NoReturn:
    raise PlotError(owner, f"{field_name} {problem}", field=field_name)


def _asarray(owner: str, field_name: str, values: Any) -> npt.NDArray[Any]:
    if values is None:
        _fail(owner, field_name, "is required")
    try:
        return np.asarray(values)
    except (TypeError, ValueError) as exc:
        _fail(owner, field_name, f"is not an array ({exc})")


def _check_ndim(owner: str, field_name: str, array: npt.NDArray[Any], ndim: int) -> None:
    if array.ndim != ndim:
        _fail(owner, field_name, f"must be {ndim}-dimensional, got shape {array.shape}")


def _empty_as(raw: npt.NDArray[Any], dtype: npt.DTypeLike) -> npt.NDArray[Any] | None:
    """``[]`` arrives as float64: let an empty input take the wanted dtype."""
    if raw.size == 0 and raw.dtype.kind in "fO":
        return np.zeros(raw.shape, dtype=dtype)
    return None


def as_float_array(
    owner: str, field_name: str, values: Any, *, ndim: int = 1
) -> npt.NDArray[np.float64]:
    """Numbers as a read-only float64 array of ``ndim`` dimensions.

    float32 input keeps its decimal value (``228.975`` stays ``228.975``, see
    :func:`inspector.plots.serialize.to_float64`); ``None`` in a list means
    NaN.  Booleans, strings and complex numbers are refused.
    """
    raw = _asarray(owner, field_name, values)
    kind = raw.dtype.kind
    if kind == "f":
        array = ser.to_float64(raw)
    elif kind in "iu":
        array = raw.astype(np.float64)
    elif kind == "O":
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            _fail(owner, field_name, "must hold numbers")
    else:
        _fail(owner, field_name, f"must hold numbers, not {raw.dtype}")
    _check_ndim(owner, field_name, array, ndim)
    return readonly(array)


def as_uint_array(
    owner: str, field_name: str, values: Any, dtype: type[np.unsignedinteger[Any]]
) -> npt.NDArray[Any]:
    """Non-negative integers as a read-only 1-D array of an unsigned ``dtype``.

    Floats are accepted only when every value is a whole number (so a NaN
    ``since`` is caught here rather than cast to 0); negative or too large
    values are refused rather than wrapped.
    """
    raw = _asarray(owner, field_name, values)
    empty = _empty_as(raw, dtype)
    if empty is not None:
        _check_ndim(owner, field_name, empty, 1)
        return readonly(empty)
    if raw.dtype.kind == "f" and not isinstance(values, np.ndarray):
        # numpy turns a list holding ints beyond int64 into float64, losing
        # digits; Python ints are exact, so keep them as objects instead.
        boxed = np.array(values, dtype=object)
        if all(isinstance(v, int) for v in boxed.ravel().tolist()):
            raw = boxed
    _check_ndim(owner, field_name, raw, 1)
    kind = raw.dtype.kind
    if kind == "f":
        _check_whole(owner, field_name, raw)
        too_big = raw.max() >= 2.0 ** (8 * np.dtype(dtype).itemsize) if raw.size else False
    elif kind == "O":
        # Python ints beyond int64 (or mixed with negatives) arrive as objects.
        items = raw.tolist()
        if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in items):
            _fail(owner, field_name, "must hold integers")
        raw = np.array([int(v) for v in items], dtype=object)
        too_big = raw.size > 0 and raw.max() > np.iinfo(dtype).max
    elif kind in "iu":
        too_big = raw.size > 0 and raw.max() > np.iinfo(dtype).max
    else:
        _fail(owner, field_name, f"must hold integers, not {raw.dtype}")
    if too_big or (raw.size and raw.min() < 0):
        _fail(owner, field_name, f"must hold integers from 0 to {np.iinfo(dtype).max}")
    return readonly(raw.astype(dtype))


def _check_whole(owner: str, field_name: str, raw: npt.NDArray[Any]) -> None:
    bad = np.flatnonzero(~np.isfinite(raw))
    if bad.size:
        _fail(owner, field_name, f"must not be NaN or infinite (index {bad[0]})")
    bad = np.flatnonzero(raw != np.floor(raw))
    if bad.size:
        _fail(
            owner, field_name, f"must hold whole numbers (index {bad[0]}: {raw[bad[0]].item()!r})"
        )


def _naive_utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def as_datetime_array(owner: str, field_name: str, values: Any) -> npt.NDArray[np.datetime64]:
    """UTC date-times as a read-only 1-D datetime64[us] array (NaT = unknown).

    Accepts datetime64 arrays of any unit, ISO strings (a trailing ``Z`` is
    fine) and ``datetime`` objects (aware ones are converted to UTC).
    """
    raw = _asarray(owner, field_name, values)
    empty = _empty_as(raw, "datetime64[us]")
    if empty is not None:
        raw = empty
    kind = raw.dtype.kind
    try:
        if kind == "O":
            raw = np.array([_naive_utc(v) for v in raw.ravel().tolist()], dtype="datetime64[us]")
        elif kind == "U":
            raw = ser.datetimes_from_json(raw.ravel().tolist())
        elif kind != "M":
            _fail(owner, field_name, f"must hold date-times, not {raw.dtype}")
    except (TypeError, ValueError) as exc:
        _fail(owner, field_name, f"must hold date-times ({exc})")
    _check_ndim(owner, field_name, raw, 1)
    return readonly(raw.astype("datetime64[us]"))


def as_str_array(owner: str, field_name: str, values: Any) -> npt.NDArray[np.str_]:
    """Strings as a read-only 1-D unicode array."""
    raw = _asarray(owner, field_name, values)
    empty = _empty_as(raw, np.str_)
    if empty is not None:
        raw = empty
    if raw.dtype.kind == "O" and all(isinstance(v, str) for v in raw.ravel().tolist()):
        raw = raw.astype(np.str_)
    if raw.dtype.kind != "U":
        _fail(owner, field_name, f"must hold strings, not {raw.dtype}")
    _check_ndim(owner, field_name, raw, 1)
    return readonly(raw)


def as_edges(owner: str, field_name: str, values: Any) -> npt.NDArray[np.float64]:
    """Bin edges: at least two, finite and strictly increasing."""
    edges = as_float_array(owner, field_name, values)
    if edges.size < 2:
        _fail(owner, field_name, f"needs at least 2 values (one bin), got {edges.size}")
    bad = np.flatnonzero(~np.isfinite(edges))
    if bad.size:
        _fail(
            owner, field_name, f"must be finite ({field_name}[{bad[0]}] = {edges[bad[0]].item()!r})"
        )
    bad = np.flatnonzero(~(np.diff(edges) > 0))
    if bad.size:
        i = int(bad[0]) + 1
        after, before = edges[i].item(), edges[i - 1].item()
        _fail(
            owner,
            field_name,
            f"must increase strictly ({field_name}[{i}] = {after!r} after {before!r})",
        )
    return edges


def check_length(
    owner: str, field_name: str, array: npt.NDArray[Any], expected: int, of: str
) -> None:
    """Raise ``<owner>: <field> has 9 values for 10 <of>`` when lengths differ."""
    if len(array) != expected:
        _fail(owner, field_name, f"has {len(array)} values for {expected} {of}")


def _text(owner: str, field_name: str, value: Any) -> str:
    if not isinstance(value, str):
        _fail(owner, field_name, f"must be a string, not {type(value).__name__}")
    return value


def _texts(owner: str, field_name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        _fail(owner, field_name, "must be a sequence of strings")
    items = tuple(values)
    for i, item in enumerate(items):
        _text(owner, f"{field_name}[{i}]", item)
    return items
