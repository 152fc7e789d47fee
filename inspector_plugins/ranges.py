"""Optional ranges shared by the built-in drawers: colour scales and histogram ranges.

A float parameter cannot be absent, so an optional end of a range is a text
parameter whose empty default means "from the data"; it is parsed and checked
here, naming the parameter, for every drawer that offers one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from inspector.drawers import Param, ParamValue
from inspector.errors import InvalidParameter

__all__ = ["bound_param", "optional_range"]


def bound_param(name: str, what: str) -> Param:
    """An optional end of a range: empty text means "from the data"."""
    return Param.string(name, "", help=f"{what}; empty: from the data")


def _bound(params: Mapping[str, ParamValue], name: str) -> float | None:
    """One optional end, parsed; bad text is a 400 naming ``name``."""
    text = str(params[name]).strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidParameter(name, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidParameter(name, f"{text!r} is not a finite number")
    return value


def optional_range(
    params: Mapping[str, ParamValue], what: str, low: str = "low", high: str = "high"
) -> tuple[float, float] | None:
    """``(low, high)`` when both are given, ``None`` when neither is.

    One alone is refused rather than half-applied: the other end taken from
    the data would change from IOV to IOV, which is what fixing a range is
    meant to prevent.  ``what`` names the range in the message ("a fixed
    colour scale").
    """
    lo, hi = _bound(params, low), _bound(params, high)
    if lo is None and hi is None:
        return None
    if lo is None or hi is None:
        absent = low if lo is None else high
        raise InvalidParameter(absent, f"give both {low} and {high} for {what}, or neither")
    if not lo < hi:
        raise InvalidParameter(high, f"{hi:g} is not above {low} {lo:g}")
    return lo, hi
