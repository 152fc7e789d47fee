"""Regressions found by the API fuzzer (tests/fuzz/test_fuzz_api.py).

Both were 500s on ``/api/v1/tags/{name}/iovs`` and ``/api/v1/plots/{drawer}``
(and the plot page): user input that the time parsers let through to a
standard-library call that raised something other than InvalidParameter.
"""

from __future__ import annotations

import pytest

from inspector.conddb.timetypes import TimeType, parse_since, parse_snapshot
from inspector.errors import InvalidParameter


@pytest.mark.parametrize("text", ["²", "¹²", "①", "7²"])
@pytest.mark.parametrize("time_type", list(TimeType))
def test_digits_int_cannot_read_are_a_bad_since(text: str, time_type: TimeType) -> None:
    """``'²'.isdigit()`` is true but ``int('²')`` raises ValueError: a 500 before."""
    with pytest.raises(InvalidParameter) as info:
        parse_since(text, time_type, parameter="until")
    assert info.value.parameter == "until"


def test_decimal_digits_of_any_script_still_read_as_numbers() -> None:
    """What ``int()`` reads stays accepted, so no working link changes meaning."""
    assert parse_since("١٢٣", TimeType.RUN) == 123


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_snapshot_beyond_the_datetime_range_in_utc_is_a_bad_parameter(text: str) -> None:
    """Converting these to UTC overflows ``datetime``: OverflowError, a 500 before."""
    with pytest.raises(InvalidParameter, match="outside the datetime range") as info:
        parse_snapshot(text)
    assert info.value.parameter == "snapshot"


def test_snapshot_at_the_edges_without_overflow_still_parses() -> None:
    assert parse_snapshot("0001-01-01T00:00:00Z") is not None
    assert parse_snapshot("9999-12-31T23:59:59") is not None


@pytest.mark.parametrize("text", ["-1", "-0", f"-{2**64}", "-inf", "-Infinity"])
@pytest.mark.parametrize("time_type", list(TimeType))
def test_a_negative_since_is_refused_saying_so(text: str, time_type: TimeType) -> None:
    with pytest.raises(InvalidParameter, match="is negative") as info:
        parse_since(text, time_type, parameter="since")
    assert info.value.parameter == "since"


@pytest.mark.parametrize("time_type", list(TimeType))
def test_inf_is_the_open_end_of_every_time_type(time_type: TimeType) -> None:
    """``inf`` is what ``until_text`` prints for the last IOV: it reads back as that end."""
    assert parse_since("inf", time_type) == parse_since("INFINITY", time_type)
    assert parse_since("inf", time_type) == time_type.max_since
    with pytest.raises(InvalidParameter, match="outside the"):
        parse_since(str(time_type.max_since + 1), time_type)
