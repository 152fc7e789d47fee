"""The one duration formatter: minutes, then hours and minutes, then days and hours."""

from __future__ import annotations

import datetime as dt

import pytest

from inspector.durations import duration_text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(0), "0 min"),
        (dt.timedelta(minutes=59, seconds=59), "59 min"),
        (dt.timedelta(hours=1), "1 h 00 min"),
        (dt.timedelta(hours=3, minutes=5), "3 h 05 min"),
        (dt.timedelta(hours=23, minutes=59), "23 h 59 min"),
        (dt.timedelta(hours=24), "1 d 0 h"),
        (dt.timedelta(hours=2158.3), "89 d 22 h"),
    ],
)
def test_durations_read_in_the_two_largest_units(delta: dt.timedelta, text: str) -> None:
    assert duration_text(delta) == text


def test_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        duration_text(dt.timedelta(seconds=-1))
