"""What the run pages and the run API share: run and fill shapes, the run filters.

Fills shown on history plots are looked up by :mod:`inspector.engine.fills`
(shared with the command line).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Final

from inspector.conddb import Fill, Iov, RunInfo
from inspector.conddb.timetypes import TimeType, format_since, parse_snapshot
from inspector.errors import InvalidParameter
from inspector.web.jsonapi import iso
from inspector.web.runs.models import FillAttributes, FoundIov, RunAttributes

__all__ = [
    "MAX_RUN",
    "RUN_FILTER_KEYS",
    "check_range",
    "checked_run",
    "date_bound",
    "fill_attributes",
    "found_iov",
    "run_attributes",
    "run_filters",
    "whole_number",
]

#: The largest run number (CondDB stores runs as unsigned 32-bit numbers).
MAX_RUN: Final = (1 << 32) - 1
#: The largest fill number (stored as a signed 32-bit integer).
MAX_FILL: Final = (1 << 31) - 1
#: The keys :func:`run_filters` reads (pages spell them so, the API as ``filter[key]``).
RUN_FILTER_KEYS: Final = ("first", "last", "fill", "from", "to")


def run_attributes(run: RunInfo) -> RunAttributes:
    """The attributes of a run resource."""
    return {
        "run_number": run.run_number,
        "start_time": iso(run.start_time),
        "end_time": iso(run.end_time),
        "duration_seconds": run.duration.total_seconds(),
        "fill_number": run.fill_number,
    }


def fill_attributes(fill: Fill) -> FillAttributes:
    """A fill with its span and its runs' numbers."""
    return {
        "fill_number": fill.number,
        "start_time": iso(fill.start),
        "end_time": iso(fill.end),
        "duration_seconds": fill.duration.total_seconds(),
        "runs": [r.run_number for r in fill.runs],
    }


def found_iov(iov: Iov | None, time_type: TimeType | None) -> FoundIov | None:
    """The IOV found at a point, with its since readable (``None``: none, or no time type)."""
    if iov is None or time_type is None:
        return None
    return {
        "since": iov.since,
        "since_text": format_since(iov.since, time_type),
        "payload_hash": iov.payload_hash,
        "insertion_time": iso(iov.insertion_time),
    }


def date_bound(raw: str | None, parameter: str, *, end: bool) -> dt.datetime | None:
    """A UTC date or date-time bound; a bare date as an ``end`` includes that whole day."""
    if not raw:
        return None
    when = parse_snapshot(raw, parameter=parameter)
    if when is None:
        return None
    if end and len(raw.strip()) == len("2024-06-01"):
        return when + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return when


def checked_run(number: int) -> int:
    """The run number of a ``/runs/<number>`` path, a 400 naming ``number`` past 2**32 - 1.

    Flask's ``int`` converter takes any length of digits; without this a run
    such as 2**63 reached the database driver and failed there (a 500).
    """
    if not 0 <= number <= MAX_RUN:
        raise InvalidParameter("number", f"{number} is not a run number (0..{MAX_RUN})")
    return number


def whole_number(raw: str | None, parameter: str, what: str, upper: int) -> int | None:
    """A ``0..upper`` number argument (``what`` names it in errors); empty means none."""
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(parameter, f"{raw!r} is not a whole number") from None
    if not 0 <= value <= upper:
        raise InvalidParameter(parameter, f"{value} is not {what} (0..{upper})")
    return value


def run_filters(args: Mapping[str, str], name: Callable[[str], str]) -> dict[str, Any]:
    """Keyword arguments of ``ConditionsDB.runs`` from ``first``, ``last``, ``fill``,
    ``from`` and ``to``, each read (and named in errors) as ``name(key)``."""
    first = whole_number(args.get(name("first")), name("first"), "a run number", MAX_RUN)
    last = whole_number(args.get(name("last")), name("last"), "a run number", MAX_RUN)
    check_range(first, last, name("first"), name("last"))
    started_from = date_bound(args.get(name("from")), name("from"), end=False)
    started_to = date_bound(args.get(name("to")), name("to"), end=True)
    check_range(started_from, started_to, name("from"), name("to"))
    fill = whole_number(args.get(name("fill")), name("fill"), "a fill number", MAX_FILL)
    return {
        "first": first,
        "last": last,
        "fill": fill,
        "started_from": started_from,
        "started_to": started_to,
    }


def check_range(lo: Any, hi: Any, low_name: str, high_name: str) -> None:
    """``hi`` before ``lo`` is a 400 naming the upper bound."""
    if lo is not None and hi is not None and hi < lo:
        raise InvalidParameter(high_name, f"{hi} is before {low_name} {lo}")
