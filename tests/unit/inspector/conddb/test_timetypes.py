"""Time-type parsing, formatting and packing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.conddb.timetypes import (
    TimeType,
    datetime_to_since,
    format_since,
    pack_lumi,
    parse_since,
    since_texts,
    since_to_datetime,
    since_to_unix_seconds,
    unpack_lumi,
)
from inspector.errors import InvalidParameter


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_lumi_round_trip(run: int, ls: int) -> None:
    assert unpack_lumi(pack_lumi(run, ls)) == (run, ls)
    assert parse_since(format_since(pack_lumi(run, ls), "Lumi"), "Lumi") == pack_lumi(run, ls)


def test_lumi_since_layout() -> None:
    assert pack_lumi(379000, 12) == (379000 << 32) | 12
    assert parse_since("379000:12", TimeType.LUMI) == pack_lumi(379000, 12)
    assert format_since(pack_lumi(379000, 12), "lumi") == "379000:12"


@given(st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2100, 1, 1)))
def test_time_round_trip_microseconds(when: dt.datetime) -> None:
    since = datetime_to_since(when)
    assert since_to_datetime(since) == when.replace(tzinfo=dt.UTC)


def test_time_parsing_accepts_iso_forms_and_offsets() -> None:
    utc = parse_since("2024-05-01T12:00:00Z", "Time")
    assert parse_since("2024-05-01T14:00:00+02:00", "time") == utc
    assert parse_since("2024-05-01 12:00:00", "TIME") == utc
    assert since_to_unix_seconds([utc])[0] == dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC).timestamp()
    assert format_since(utc, "Time") == "2024-05-01T12:00:00.000000Z"


@pytest.mark.parametrize(
    ("text", "time_type", "message"),
    [
        ("abc", "Run", "not a Run since"),
        ("12:3", "Run", "not a Run since"),
        ("-5", "Run", "is negative"),
        (str(2**32), "Run", "outside the Run range"),
        ("12-3", "Lumi", "RUN:LUMISECTION"),
        ("yesterday", "Time", "ISO date-time"),
        ("1969-12-31T00:00:00Z", "Time", "before 1970"),
    ],
)
def test_bad_since_names_the_parameter(text: str, time_type: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message) as info:
        parse_since(text, time_type, parameter="until")
    assert info.value.parameter == "until"


def test_time_type_parse_and_unknown() -> None:
    assert TimeType.parse("RUN") is TimeType.RUN
    assert TimeType.parse("user") is TimeType.USER
    with pytest.raises(InvalidParameter, match="not one of"):
        TimeType.parse("fortnight")


def test_max_since_formats_as_infinity() -> None:
    assert format_since(TimeType.RUN.max_since, "Run") == "inf"
    assert format_since(2**64 - 1, "Lumi") == "inf"


def test_unix_seconds_is_vectorised() -> None:
    values = np.array(
        [datetime_to_since(dt.datetime(2024, 1, 1, s)) for s in range(3)], dtype=np.uint64
    )
    assert np.diff(since_to_unix_seconds(values)).tolist() == [3600.0, 3600.0]


@pytest.mark.parametrize("time_type", list(TimeType))
def test_since_texts_of_a_page_match_format_since(time_type: TimeType) -> None:
    values = [0, 1, 379_100, pack_lumi(379_100, 17), (1_714_550_400 << 32) | 123_456_789]
    values += [(1 << 32) - 1, (1 << 32) | 4_294_967_295, time_type.max_since - 1]
    values += [time_type.max_since, (1 << 64) - 1]
    column = np.array(values, dtype=np.uint64)
    assert since_texts(column, time_type) == [format_since(v, time_type) for v in values]
