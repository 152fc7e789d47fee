"""The opt-in long beam-spot tag, built small: its shape, its outliers, its lumi packing."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.demo import plan
from inspector.demo.long_history import (
    LONG_OUTLIERS,
    LONG_TAG,
    LONG_YEARS,
    long_history_tag,
    outlier_iovs,
    payload_count,
)
from inspector.demo.model import DemoTag
from inspector.errors import InvalidParameter

N = 20_000


@pytest.fixture(scope="module")
def tag() -> DemoTag:
    return long_history_tag(1, N)


def test_shape_counts_and_order(tag: DemoTag) -> None:
    iovs = tag.iovs
    assert tag.info.name == LONG_TAG
    assert len(iovs) == N
    assert np.unique(iovs.payload).size == tag.payload_count == payload_count(N)
    assert bool(np.all(iovs.since[1:] > iovs.since[:-1]))  # ordered, one row per since
    lumi = iovs.since & np.uint64(0xFFFFFFFF)
    run = iovs.since >> np.uint64(32)
    assert lumi.min() >= 1 and run.min() >= 331_000 and run.max() < 379_058
    years = iovs.inserted.astype("datetime64[Y]").astype(int) + 1970
    assert set(np.unique(years).tolist()) == set(LONG_YEARS)


def test_outliers_stand_alone_and_are_far_off(tag: DemoTag) -> None:
    iovs = tag.iovs
    payload = iovs.payload
    first_outlier = tag.payload_count - len(LONG_OUTLIERS)
    at = np.flatnonzero(payload >= first_outlier)
    assert len(at) == len(LONG_OUTLIERS)
    for k, i in enumerate(at.tolist()):
        assert payload[i - 1] == payload[i + 1] < first_outlier  # between two ordinary IOVs
        odd, normal = tag.payload(int(payload[i])), tag.payload(int(payload[i - 1]))
        member = LONG_OUTLIERS[k].member
        key = ("sigmaZ_", None) if member == "sigma_z" else ("position_", "xyz".index(member))
        a, b = odd[key[0]], normal[key[0]]
        if key[1] is not None:
            a, b = a[key[1]], b[key[1]]
        assert a - b == pytest.approx(LONG_OUTLIERS[k].shift)
        assert i >= LONG_OUTLIERS[k].fraction * N


def test_outlier_iovs_picks_the_middle_of_a_payload() -> None:
    payload = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2] * 10, dtype=np.int64)
    for i in outlier_iovs(payload):
        assert payload[i - 1] == payload[i] == payload[i + 1]


def test_plan_adds_the_long_tag_only_when_asked() -> None:
    assert LONG_TAG not in plan(0.05).expected()
    assert plan(0.05, N).expected()[LONG_TAG].iovs == N
    with pytest.raises(InvalidParameter, match="long_history_iovs"):
        plan(0.05, 10)
