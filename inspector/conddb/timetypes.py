"""Interval-of-validity time types and their conversions.

CondDB v2 stores every ``since`` as one unsigned 64-bit number whose meaning
depends on the tag's time type:

* ``Run``: the run number;
* ``Lumi``: ``run << 32 | lumisection``;
* ``Time``: ``unix_seconds << 32 | nanoseconds`` (UTC);
* ``Hash`` and ``UserId``: opaque numbers.

Everything here is pure (no I/O) and vectorised where arrays are involved, so
a 10,000-IOV timeline converts in one numpy expression.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Final

import numpy as np
import numpy.typing as npt

from inspector.errors import InvalidParameter

__all__ = [
    "LUMISECTION_SECONDS",
    "MAX_SINCE",
    "TimeType",
    "datetime_to_since",
    "format_since",
    "format_snapshot",
    "pack_lumi",
    "parse_since",
    "parse_snapshot",
    "since_texts",
    "since_to_datetime",
    "since_to_unix_seconds",
    "unpack_lumi",
]

#: Largest representable ``since`` of each type ("until forever").
MAX_SINCE: Final = {
    "Run": (1 << 32) - 1,
    "Lumi": (1 << 64) - 1,
    "Time": (1 << 64) - 1,
    "Hash": (1 << 64) - 1,
    "UserId": (1 << 64) - 1,
}

#: One LHC lumisection: 2**18 orbits at 11.2455 kHz (seconds).
LUMISECTION_SECONDS: Final = 2**18 / 11245.5

_LOW32: Final = (1 << 32) - 1


class TimeType(enum.StrEnum):
    """The time type of a tag, spelled as CondDB stores it."""

    RUN = "Run"
    LUMI = "Lumi"
    TIME = "Time"
    HASH = "Hash"
    USER = "UserId"

    @classmethod
    def parse(cls, text: str) -> TimeType:
        """Accept any capitalisation (``run``, ``RUN``) and the ``user`` alias."""
        key = text.strip().lower()
        for member in cls:
            if member.value.lower() == key or member.name.lower() == key:
                return member
        known = ", ".join(m.value for m in cls)
        raise InvalidParameter("time_type", f"{text!r} is not one of {known}")

    @property
    def max_since(self) -> int:
        """The largest ``since`` this type can express."""
        return int(MAX_SINCE[self.value])


def pack_lumi(run: int, lumisection: int) -> int:
    """Return the Lumi ``since`` of a run and lumisection."""
    if not 0 <= run <= _LOW32 or not 0 <= lumisection <= _LOW32:
        raise InvalidParameter("since", f"run {run} / lumisection {lumisection} out of range")
    return (run << 32) | lumisection


def unpack_lumi(since: int) -> tuple[int, int]:
    """Split a Lumi ``since`` into (run, lumisection)."""
    return since >> 32, since & _LOW32


def datetime_to_since(when: dt.datetime) -> int:
    """Return the Time ``since`` of a datetime (naive datetimes are UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    seconds = delta.days * 86400 + delta.seconds
    if seconds < 0:
        raise InvalidParameter("since", f"{when.isoformat()} is before 1970")
    return (seconds << 32) | (delta.microseconds * 1000)


def since_to_datetime(since: int) -> dt.datetime:
    """Return the UTC datetime of a Time ``since`` (microsecond precision)."""
    seconds, nanos = since >> 32, since & _LOW32
    base = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return base + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)


def since_to_unix_seconds(
    since: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """Vectorised: Time ``since`` values to float unix seconds (for plotting)."""
    values = np.asarray(since, dtype=np.uint64)
    seconds = (values >> np.uint64(32)).astype(np.float64)
    nanos = (values & np.uint64(_LOW32)).astype(np.float64)
    return seconds + nanos * 1e-9


_LUMI_RE: Final = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


def parse_since(text: str | int, time_type: TimeType | str, *, parameter: str = "since") -> int:
    """Parse a user-written ``since`` for a tag of the given time type.

    Accepted forms: a plain non-negative integer for every type (the raw
    stored value); ``inf`` for the largest since (what :func:`format_since`
    prints for it); ``RUN:LS`` for Lumi; an ISO 8601 date or date-time (UTC
    unless it says otherwise) for Time.  Anything else raises
    :class:`~inspector.errors.InvalidParameter` naming ``parameter``.
    """
    tt = time_type if isinstance(time_type, TimeType) else TimeType.parse(time_type)
    if isinstance(text, int):
        return _checked(text, tt, parameter)
    raw = text.strip()
    if raw.lower() in ("inf", "infinity"):
        return tt.max_since
    if raw.isdecimal():  # what int() reads; isdigit() also admits '²', which int() refuses
        return _checked(int(raw), tt, parameter)
    if raw.startswith("-") and (raw[1:].isdecimal() or raw[1:].lower() in ("inf", "infinity")):
        raise InvalidParameter(
            parameter, f"{text!r} is negative: a {tt.value} since is 0..{tt.max_since} or inf"
        )
    if tt is TimeType.LUMI:
        match = _LUMI_RE.match(raw)
        if match:
            return _checked(pack_lumi(int(match[1]), int(match[2])), tt, parameter)
        raise InvalidParameter(parameter, f"{text!r} is not a Lumi since (RUN:LUMISECTION)")
    if tt is TimeType.TIME:
        try:
            when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidParameter(
                parameter, f"{text!r} is not a Time since (ISO date-time or integer)"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        if when < dt.datetime(1970, 1, 1, tzinfo=dt.UTC):
            raise InvalidParameter(parameter, f"{text!r} is before 1970")
        return _checked(datetime_to_since(when), tt, parameter)
    raise InvalidParameter(parameter, f"{text!r} is not a {tt.value} since (an integer)")


def _checked(value: int, tt: TimeType, parameter: str) -> int:
    if value < 0 or value > tt.max_since:
        raise InvalidParameter(parameter, f"{value} is outside the {tt.value} range")
    return value


def format_since(since: int, time_type: TimeType | str) -> str:
    """Readable form of a ``since``: ``run``, ``run:ls`` or an ISO date-time."""
    tt = time_type if isinstance(time_type, TimeType) else TimeType.parse(time_type)
    since = int(since)
    if since >= tt.max_since:
        return "inf"
    if tt is TimeType.LUMI:
        run, ls = unpack_lumi(since)
        return f"{run}:{ls}"
    if tt is TimeType.TIME:
        return since_to_datetime(since).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(since)


def parse_snapshot(text: str | None, *, parameter: str = "snapshot") -> dt.datetime | None:
    """A snapshot time as naive UTC: ISO date or date-time, ``Z`` or offset allowed."""
    if text is None or text == "":
        return None
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(
            parameter, f"{text!r} is not an ISO date-time (e.g. 2024-06-01T12:00:00Z)"
        ) from None
    if when.tzinfo is not None:
        try:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before datetime.min in UTC
            raise InvalidParameter(parameter, f"{text!r} is outside the datetime range") from None
    return when


def format_snapshot(when: dt.datetime) -> str:
    """The canonical spelling of a snapshot time in links: ``2024-06-01T12:00:00Z``."""
    return (
        when.replace(microsecond=0).isoformat() + "Z"
        if when.microsecond == 0
        else when.isoformat() + "Z"
    )


def since_texts(values: npt.NDArray[np.uint64], time_type: TimeType) -> list[str]:
    """:func:`format_since` for a whole column, in numpy.

    A page holds up to 10,000 IOVs, two bounds each: one call per value
    would cost more than the database query.
    """
    infinite = (values >= np.uint64(time_type.max_since)).tolist()
    if time_type is TimeType.LUMI:
        runs = (values >> np.uint64(32)).tolist()
        lumis = (values & np.uint64(0xFFFFFFFF)).tolist()
        text = [f"{r}:{ls}" for r, ls in zip(runs, lumis, strict=True)]
    elif time_type is TimeType.TIME:
        seconds = (values >> np.uint64(32)).astype(np.int64)
        micros = (values & np.uint64(0xFFFFFFFF)).astype(np.int64) // 1000
        stamps = (seconds * 1_000_000 + micros).astype("datetime64[us]")
        text = [f"{s}Z" for s in np.datetime_as_string(stamps, unit="us").tolist()]
    else:
        text = [str(v) for v in values.tolist()]
    return ["inf" if inf else t for t, inf in zip(text, infinite, strict=True)]
