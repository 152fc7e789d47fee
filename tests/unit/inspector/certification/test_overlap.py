"""Which IOVs overlap certified data: hand-made intervals with known answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from inspector.certification import parse_golden_json
from inspector.certification.overlap import (
    CertifiedIntervals,
    certified_intervals,
    overlap_mask,
)
from inspector.conddb.runs import RunInfo, RunTimeline
from inspector.conddb.timetypes import TimeType, datetime_to_since, pack_lumi
from inspector.errors import InvalidParameter

U = np.uint64


def _intervals(pairs: list[tuple[int, int]]) -> CertifiedIntervals:
    return CertifiedIntervals(
        np.array([a for a, _ in pairs], dtype=U), np.array([b for _, b in pairs], dtype=U)
    )


def test_half_open_boundaries() -> None:
    intervals = _intervals([(10, 11), (20, 30)])
    since = [5, 9, 10, 11, 15, 29, 30, 7]
    until = [10, 10, 11, 20, 21, 40, 99, 7]
    # [5,10) ends where [10,11) starts: no; [9,10): no; [10,11): yes; [11,20): in the gap;
    # [15,21) reaches 20: yes; [29,40) holds 29: yes; [30,99) starts at the end: no;
    # the empty IOV [7,7) stands for 7, which is certified by nothing.
    assert overlap_mask(since, until, intervals).tolist() == [
        False,
        False,
        True,
        False,
        True,
        True,
        False,
        False,
    ]
    assert overlap_mask([25], [25], intervals).tolist() == [True]  # empty IOV inside
    assert overlap_mask([1], [2], _intervals([])).tolist() == [False]
    top = (1 << 64) - 1
    assert overlap_mask([top - 1], [top], _intervals([(top - 1, top)])).tolist() == [True]


def test_run_tags_keep_iovs_holding_a_certified_run() -> None:
    lumis = parse_golden_json({"200": [[1, 10]], "350": [[4, 5]]})
    intervals = certified_intervals(lumis, TimeType.RUN)
    since = np.array([100, 200, 300, 400], dtype=U)
    until = np.array([200, 300, 400, (1 << 32) - 1], dtype=U)
    assert overlap_mask(since, until, intervals).tolist() == [False, True, True, False]


def test_lumi_tags_keep_iovs_sharing_a_certified_lumisection() -> None:
    since = np.array([pack_lumi(100, 1), pack_lumi(100, 50), pack_lumi(101, 1)], dtype=U)
    until = np.array([pack_lumi(100, 50), pack_lumi(101, 1), pack_lumi(500, 1)], dtype=U)
    early = certified_intervals(
        parse_golden_json({"100": [[10, 20]], "101": [[5, 6]]}), TimeType.LUMI
    )
    assert overlap_mask(since, until, early).tolist() == [True, False, True]
    # 100:50 is the first lumisection of the second IOV, not the last of the first.
    at_50 = certified_intervals(parse_golden_json({"100": [[50, 60]]}), TimeType.LUMI)
    assert overlap_mask(since, until, at_50).tolist() == [False, True, False]
    # A run the tag never reaches certifies nothing in it.
    later = certified_intervals(parse_golden_json({"600": [[1, 9]]}), TimeType.LUMI)
    assert not overlap_mask(since, until, later).any()


T0 = dt.datetime(2024, 5, 1, 8)


def _h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


RUNS = RunTimeline.from_runs(
    [RunInfo(100, _h(0), _h(1)), RunInfo(101, _h(1.5), _h(3)), RunInfo(200, _h(4), _h(8))]
)


@pytest.mark.parametrize(
    ("golden", "kept", "unplaced"),
    [
        ({"101": [[1, 3]]}, [True, False], 0),  # 1.5 h – 3 h: only the first IOV
        ({"200": [[1, 3]]}, [True, True], 0),  # 4 h – 8 h spans the change at 5 h
        ({"100": [[1, 1]], "999": [[1, 1]]}, [True, False], 1),  # 999 has no RUN_INFO
        ({"999": [[1, 1]]}, [False, False], 1),
    ],
)
def test_time_tags_keep_iovs_meeting_a_certified_run_span(
    golden: dict[str, list[list[int]]], kept: list[bool], unplaced: int
) -> None:
    since = np.array([datetime_to_since(_h(0)), datetime_to_since(_h(5))], dtype=U)
    until = np.array([datetime_to_since(_h(5)), (1 << 64) - 1], dtype=U)
    intervals = certified_intervals(parse_golden_json(golden), TimeType.TIME, RUNS)
    assert overlap_mask(since, until, intervals).tolist() == kept
    assert intervals.unplaced_runs == unplaced


def test_time_spans_that_touch_or_overlap_are_merged() -> None:
    runs = RunTimeline.from_runs(
        [RunInfo(1, _h(0), _h(2)), RunInfo(2, _h(1), _h(3)), RunInfo(3, _h(3), _h(4))]
    )
    lumis = parse_golden_json({"1": [[1, 1]], "2": [[1, 1]], "3": [[1, 1]]})
    intervals = certified_intervals(lumis, TimeType.TIME, runs)
    assert len(intervals) == 1
    assert intervals.starts.tolist() == [datetime_to_since(_h(0))]
    assert intervals.ends.tolist() == [datetime_to_since(_h(4))]


@pytest.mark.parametrize("time_type", [TimeType.HASH, TimeType.USER])
def test_hash_and_user_tags_cannot_be_filtered(time_type: TimeType) -> None:
    with pytest.raises(InvalidParameter, match="Run, Lumi and Time tags only") as info:
        certified_intervals(parse_golden_json({}), time_type)
    assert info.value.parameter == "cert"


def test_many_iovs_in_one_vectorised_call() -> None:
    rng = np.random.default_rng(5)
    since = np.sort(rng.choice(1_000_000, 100_000, replace=False)).astype(U)
    until = np.append(since[1:], U(1_000_000))
    runs = np.sort(rng.choice(1_000_000, 500, replace=False))
    intervals = certified_intervals(
        parse_golden_json({str(r + 1): [[1, 2]] for r in runs.tolist()}), TimeType.RUN
    )
    got = overlap_mask(since, until, intervals)
    certified = runs + 1
    expected = (np.searchsorted(certified, until) - np.searchsorted(certified, since)) > 0
    assert np.array_equal(got, expected)
