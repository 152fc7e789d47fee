"""The ends of a range as people write them, for a tag of any time type.

People think in runs, fills and dates; a tag stores packed numbers whose
meaning depends on its time type.  :class:`RangeResolver` turns what a
person wrote into the tag's own ``since`` values, so that ``since=382345``
on a Lumi tag is run 382345 (not the meaningless packed value 382345), and
``fill 9633`` works on every tag that follows runs.  Every edge that reads a
history range or an IOV goes through it (the engine, and with it the plot
page, the plot API, exports, ``inspector plot`` and notebooks), so they all
accept the same forms:

=====================  ===================================================
``382345``, ``run 382345``  the run: from its first lumisection (since) to its end (until)
``382345:12``          run and lumisection
``fill 9633``          the fill (also ``fill=9633``): from its first run to the end of its last
``2024-06-01T12:00``   a UTC date-time (ISO 8601, offsets allowed): on run-based
                       tags the lumisection at that time, else the next run (since)
                       or the previous one (until)
``first``, ``last``    the first or the newest IOV
``inf``                the largest since ("until forever")
a larger integer       the stored value itself (packed Lumi or Time since)
=====================  ===================================================

An integer below 2**32 is a run on every tag that follows runs: a packed
Lumi or Time value that small lies in run 0 or in the first second of 1970.
Hash and UserId tags do not follow runs: they take the stored value only.
Runs, fills and dates are looked up in RUN_INFO and the fill table, so a
database without them says so, naming the parameter.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Final, Literal, TypeVar

from inspector.conddb.database import ConditionsDB
from inspector.conddb.models import Tag
from inspector.conddb.runs import RunInfo
from inspector.conddb.timetypes import (
    LUMISECTION_SECONDS,
    TimeType,
    datetime_to_since,
    format_since,
    pack_lumi,
    parse_since,
)
from inspector.errors import InvalidParameter, NotFound

__all__ = ["RANGE_FORMS", "RangeResolver", "Side"]

#: Which end of a range a point is: a run or fill starts at its start and ends at its end.
Side = Literal["since", "until"]

#: What an error says can be written (the same words as the plot form's hint).
RANGE_FORMS: Final = (
    "a run (382345), run:lumisection (382345:12), a fill (fill 9633), "
    "a UTC date-time (2024-06-01T12:00), first, last or inf"
)

_RUNS: Final = (1 << 32) - 1  # the largest run number, and the last lumisection of a run
_FILL: Final = re.compile(r"^fill\s*[=: ]?\s*(\d+)$", re.IGNORECASE)
_RUN: Final = re.compile(r"^run\s*[=: ]?\s*(\d+)$", re.IGNORECASE)
_RUN_LUMI: Final = re.compile(r"^(\d+)\s*:\s*(\d+)$")
_FOLLOW_RUNS: Final = (TimeType.RUN, TimeType.LUMI, TimeType.TIME)

T = TypeVar("T")


class RangeResolver:
    """Range ends of one tag, as seen at ``snapshot``, resolved to the tag's ``since`` values."""

    def __init__(self, db: ConditionsDB, tag: Tag, snapshot: dt.datetime | None = None) -> None:
        self.db, self.tag, self.snapshot = db, tag, snapshot

    def range(self, since: str | None, until: str | None) -> tuple[int | None, int | None]:
        """``(since, until)`` of a history; an empty end is open.  Until before since is a 400."""
        lo = self.point(since, "since", "since") if since else None
        hi = self.point(until, "until", "until") if until else None
        if lo is not None and hi is not None and hi < lo:
            tt = self.tag.time_type
            raise InvalidParameter(
                "until",
                f"{until!r} ({format_since(hi, tt)}) is before since {since!r} "
                f"({format_since(lo, tt)})",
            )
        return lo, hi

    def point(self, text: str, side: Side, parameter: str) -> int:
        """One end written by a person, as the tag's ``since``; bad input names ``parameter``."""
        raw = text.strip()
        word = raw.lower()
        if word in ("first", "last"):
            return self._iov_end(word, parameter)
        fill = _FILL.match(raw)
        if fill:
            return self._fill(int(fill[1]), side, parameter)
        run = _RUN.match(raw)
        if run or (raw.isdecimal() and int(raw) <= _RUNS):
            number = int(run[1] if run else raw)
            if run is None and self.tag.time_type not in (TimeType.LUMI, TimeType.TIME):
                return parse_since(raw, self.tag.time_type, parameter=parameter)
            return self._run(number, None, side, parameter)
        run_lumi = _RUN_LUMI.match(raw)
        if run_lumi and self.tag.time_type in (TimeType.RUN, TimeType.TIME):
            return self._run(int(run_lumi[1]), int(run_lumi[2]), side, parameter)
        when = _datetime(raw)
        if when is not None and self.tag.time_type in (TimeType.RUN, TimeType.LUMI):
            return self._at_time(when, side, parameter)
        if when is None and not _native(raw):
            raise InvalidParameter(parameter, f"{text!r} is not a range end: write {RANGE_FORMS}")
        return parse_since(raw, self.tag.time_type, parameter=parameter)

    # -- the forms ----------------------------------------------------------

    def _iov_end(self, word: str, parameter: str) -> int:
        """``first`` or ``last``: the since of the tag's first or newest IOV."""
        if word == "first":
            found = self.db.first_since(self.tag, snapshot=self.snapshot)
        else:
            newest = self.db.newest_iov(self.tag, snapshot=self.snapshot)
            found = None if newest is None else newest.since
        if found is None:
            raise InvalidParameter(parameter, f"tag {self.tag.name!r} has no IOVs: no {word} IOV")
        return found

    def _fill(self, number: int, side: Side, parameter: str) -> int:
        self._check_follows_runs(f"fill {number}", parameter)
        try:
            fill = self.db.fill(number)
        except NotFound as exc:
            span = self.db.fill_span()
            known = f" (it knows fills {span[0]} to {span[1]})" if span else ""
            raise InvalidParameter(parameter, exc.message + known) from None
        if self.tag.time_type is TimeType.TIME:
            return datetime_to_since(fill.start if side == "since" else fill.end)
        return self._run(
            fill.first_run if side == "since" else fill.last_run, None, side, parameter
        )

    def _run(self, run: int, lumi: int | None, side: Side, parameter: str) -> int:
        """A run (whole, or one lumisection) on a Run, Lumi or Time tag."""
        self._check_follows_runs(f"run {run}", parameter)
        tt = self.tag.time_type
        if tt is TimeType.RUN:
            return run
        if tt is TimeType.LUMI:
            ls = lumi if lumi is not None else (1 if side == "since" else _RUNS)
            return pack_lumi(run, ls)
        info = self._looked_up(lambda: self.db.run(run), parameter)
        if lumi is None:
            return datetime_to_since(info.start_time if side == "since" else info.end_time)
        offset = max(lumi - 1, 0) + (1 if side == "until" else 0)
        at = info.start_time + dt.timedelta(seconds=offset * LUMISECTION_SECONDS)
        return datetime_to_since(min(at, info.end_time))

    def _at_time(self, when: dt.datetime, side: Side, parameter: str) -> int:
        """A date-time on a Run or Lumi tag: the lumisection then, or the nearest run."""
        if not self.db.has_runs():
            raise InvalidParameter(
                parameter,
                f"database {self.db.alias!r} has no run information (RUN_INFO), so a date "
                "cannot be turned into a run: write a run or run:lumisection",
            )
        run = self.db.run_near(when, after=side == "since")
        if run is None:
            which = "starts after" if side == "since" else "ended before"
            raise InvalidParameter(
                parameter, f"no run {which} {when:%Y-%m-%d %H:%M:%S} UTC in RUN_INFO"
            )
        return self._run(run.run_number, _lumi_at(run, when), side, parameter)

    # -- checks -------------------------------------------------------------

    def _check_follows_runs(self, what: str, parameter: str) -> None:
        tt = self.tag.time_type
        if tt not in _FOLLOW_RUNS:
            raise InvalidParameter(
                parameter,
                f"tag {self.tag.name!r} has {tt.value} IOVs, which do not follow runs: "
                f"{what} means nothing there; write the stored since (an integer)",
            )

    @staticmethod
    def _looked_up(find: Callable[[], T], parameter: str) -> T:
        """A run or fill lookup whose "not found" names the parameter it came from."""
        try:
            return find()
        except NotFound as exc:
            raise InvalidParameter(parameter, exc.message) from None


def _lumi_at(run: RunInfo, when: dt.datetime) -> int | None:
    """The lumisection of ``run`` going on at ``when``; ``None`` if ``when`` is outside the run."""
    if not run.start_time <= when <= run.end_time:
        return None
    seconds = (when - run.start_time).total_seconds()
    return math.floor(seconds / LUMISECTION_SECONDS) + 1


def _datetime(text: str) -> dt.datetime | None:
    """``text`` as a naive UTC date-time when it is ISO 8601 (and not a plain number)."""
    if text.isdecimal() or _RUN_LUMI.match(text):
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is not None:
        try:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            return None
    return when


def _native(text: str) -> bool:
    """Whether :func:`parse_since` could read ``text`` for some time type (its own errors then)."""
    body = text[1:] if text.startswith("-") else text
    return body.isdecimal() or body.lower() in ("inf", "infinity") or bool(_RUN_LUMI.match(text))
