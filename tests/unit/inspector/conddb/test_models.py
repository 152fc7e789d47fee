"""The IOV list: hashes held once with a code per IOV, and what derives from them."""

from __future__ import annotations

import numpy as np

from inspector.conddb import IovList, TimeType


def _iovs() -> IovList:
    since = np.array([10, 20, 30, 40, 50], dtype=np.uint64)
    until = np.append(since[1:], np.uint64(99))
    per_iov = np.array(["h2", "h1", "h1", "h3", "h2"])
    when = np.arange(5).astype("datetime64[s]").astype("datetime64[us]")
    return IovList.from_hashes("T", TimeType.RUN, since, until, per_iov, when)


def test_hashes_are_held_once_each_and_give_one_per_iov_back() -> None:
    iovs = _iovs()
    assert iovs.hashes.tolist() == ["h1", "h2", "h3"]
    assert iovs.codes.tolist() == [1, 0, 0, 2, 1] and iovs.codes.dtype == np.int32
    assert iovs.payload_hash.tolist() == ["h2", "h1", "h1", "h3", "h2"]
    assert [iovs.hash_at(i) for i in range(5)] == iovs.payload_hash.tolist()
    assert iovs[3].payload_hash == "h3" and iovs.covering(45).payload_hash == "h3"
    hashes, codes = iovs.distinct_hashes()
    assert hashes is iovs.hashes and codes is iovs.codes  # no sort: already distinct


def test_a_selection_keeps_only_the_hashes_it_uses() -> None:
    iovs = _iovs()
    picked = iovs.select(np.array([False, True, True, False, True]))
    assert picked.since.tolist() == [20, 30, 50] and picked.until.tolist() == [30, 40, 99]
    assert picked.hashes.tolist() == ["h1", "h2"]  # h3 is gone: never reduced
    assert picked.payload_hash.tolist() == ["h1", "h1", "h2"]
    assert picked.insertion_time.tolist() == iovs.insertion_time[[1, 2, 4]].tolist()
