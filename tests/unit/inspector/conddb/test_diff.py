"""Tag and global-tag diffs against hand-built databases with known answers."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from handmade import hours
from handmade_diff import LATE, build_diff_db

from inspector.conddb import ConditionsDB, IovList, open_database
from inspector.conddb.diff import diff_global_tags, diff_tags, parse_statuses
from inspector.conddb.timetypes import TimeType
from inspector.config import DatabaseConfig
from inspector.errors import InvalidParameter

RUN_MAX = TimeType.RUN.max_since


@pytest.fixture(scope="module")
def diff_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("diff") / "diff.sqlite"
    return path, build_diff_db(path)


@pytest.fixture
def db(diff_path: tuple[Path, dict[str, str]]) -> Iterator[ConditionsDB]:
    database = open_database(DatabaseConfig("diff", f"sqlite:///{diff_path[0]}"))
    yield database
    database.close()


@pytest.fixture
def p(diff_path: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return diff_path[1]


def _rows(diff: object, p: dict[str, str]) -> list[tuple[int, int, str, str, str]]:
    """(since, until, A label, B label, status) of every row, payloads named p1…p5."""
    names = {h: k for k, h in p.items()} | {"": "-"}
    assert hasattr(diff, "since")
    rows = np.arange(len(diff.since))  # type: ignore[attr-defined]
    return list(
        zip(
            diff.since.tolist(),  # type: ignore[attr-defined]
            diff.until.tolist(),  # type: ignore[attr-defined]
            [names[h] for h in diff.hash_a.tolist()],  # type: ignore[attr-defined]
            [names[h] for h in diff.hash_b.tolist()],  # type: ignore[attr-defined]
            diff.status_names(rows),  # type: ignore[attr-defined]
            strict=True,
        )
    )


def test_rows_are_aligned_on_the_union_of_boundaries(db: ConditionsDB, p: dict[str, str]) -> None:
    diff = diff_tags(db.iovs("DIFF_A"), db.iovs("DIFF_B"))
    assert _rows(diff, p) == [
        (50, 100, "p1", "-", "only_a"),
        (100, 200, "p2", "p2", "same"),
        (200, 300, "p2", "p2", "same"),
        (300, 400, "p3", "p4", "differs"),
        (400, 600, "p3", "p3", "same"),
        (600, 700, "-", "p3", "only_b"),
        (700, RUN_MAX, "-", "p5", "only_b"),
    ]
    assert diff.counts() == {"same": 3, "differs": 1, "only_a": 1, "only_b": 2}
    assert diff.select(frozenset({"differs", "only_a"})).tolist() == [0, 3]


def test_swapping_the_tags_swaps_the_sides(db: ConditionsDB, p: dict[str, str]) -> None:
    forward = diff_tags(db.iovs("DIFF_A"), db.iovs("DIFF_B"))
    backward = diff_tags(db.iovs("DIFF_B"), db.iovs("DIFF_A"))
    assert np.array_equal(forward.since, backward.since)
    assert np.array_equal(forward.hash_a, backward.hash_b)
    assert backward.counts() == {"same": 3, "differs": 1, "only_a": 2, "only_b": 1}


def test_a_snapshot_before_a_late_insertion_sees_another_diff(
    db: ConditionsDB, p: dict[str, str]
) -> None:
    snapshot = hours(2)  # after every IOV but the late one
    assert snapshot < LATE
    diff = diff_tags(db.iovs("DIFF_A", snapshot=snapshot), db.iovs("DIFF_B", snapshot=snapshot))
    # Without B's IOV at 400, its p4 runs on: 400..600 now differs too.
    assert _rows(diff, p)[3:5] == [
        (300, 600, "p3", "p4", "differs"),
        (600, 700, "-", "p4", "only_b"),
    ]
    assert diff.counts() == {"same": 2, "differs": 1, "only_a": 1, "only_b": 2}


def test_a_range_clips_rows_to_what_both_lists_know(db: ConditionsDB, p: dict[str, str]) -> None:
    a = db.iovs("DIFF_A", since=250, until=450)
    b = db.iovs("DIFF_B", since=250, until=450)
    diff = diff_tags(a, b, since=250, until=450)
    assert _rows(diff, p) == [
        (250, 300, "p2", "p2", "same"),
        (300, 400, "p3", "p4", "differs"),
        (400, 600, "p3", "p3", "same"),
    ]


def test_a_tag_against_itself_is_all_same(db: ConditionsDB) -> None:
    iovs = db.iovs("DIFF_B")
    diff = diff_tags(iovs, iovs)
    assert diff.counts() == {"same": 5, "differs": 0, "only_a": 0, "only_b": 0}


def test_an_empty_tag_makes_every_row_one_sided(db: ConditionsDB) -> None:
    empty = db.iovs("DIFF_B", since=1, until=2)
    assert len(empty) == 0
    diff = diff_tags(db.iovs("DIFF_A"), empty)
    assert diff.counts() == {"same": 0, "differs": 0, "only_a": 3, "only_b": 0}
    assert diff_tags(empty, empty).counts()["same"] == 0


def test_different_time_types_cannot_be_aligned(db: ConditionsDB) -> None:
    with pytest.raises(InvalidParameter) as info:
        diff_tags(db.iovs("DIFF_A"), db.iovs("DIFF_LUMI"))
    assert info.value.parameter == "b"
    assert "Lumi" in info.value.reason and "Run" in info.value.reason


def test_different_payload_types_still_diff(db: ConditionsDB, p: dict[str, str]) -> None:
    diff = diff_tags(db.iovs("DIFF_A"), db.iovs("DIFF_OTHER"))
    assert _rows(diff, p)[:3] == [
        (50, 100, "p1", "-", "only_a"),
        (100, 300, "p2", "p2", "same"),
        (300, 600, "p3", "p1", "differs"),
    ]


def test_a_large_diff_is_vectorised_and_right() -> None:
    n = 200_000
    since_a = np.arange(0, 2 * n, 2, dtype=np.uint64)
    since_b = np.arange(0, 3 * n, 3, dtype=np.uint64)

    def iovs(name: str, since: np.ndarray, hashes: np.ndarray) -> IovList:
        until = np.append(since[1:], np.uint64(10 * n)).astype(np.uint64)
        when = np.zeros(since.size, dtype="datetime64[us]")
        return IovList.from_hashes(name, TimeType.RUN, since, until, hashes.astype("<U40"), when)

    ha = (since_a // 6).astype(str)
    hb = (since_b // 6).astype(str)
    diff = diff_tags(iovs("a", since_a, ha), iovs("b", since_b, hb))
    assert len(diff) == np.union1d(since_a, since_b).size
    # Checked row by row against a plain bisect on a sample of rows.
    rows = np.random.default_rng(1).choice(len(diff), 500, replace=False)
    list_a, list_b = since_a.tolist(), since_b.tolist()
    for row in rows.tolist():
        t = int(diff.since[row])
        a = str(ha[bisect.bisect_right(list_a, t) - 1])
        b = str(hb[bisect.bisect_right(list_b, t) - 1])
        assert diff.hashes(np.array([row])) == ([a], [b])
        assert diff.status_names(np.array([row])) == ["same" if a == b else "differs"]


def test_status_filters_name_their_parameter() -> None:
    assert parse_statuses("", "filter[status]") == {"same", "differs", "only_a", "only_b"}
    assert parse_statuses("differs, only_b", "x") == {"differs", "only_b"}
    with pytest.raises(InvalidParameter) as info:
        parse_statuses("changed", "filter[status]")
    assert info.value.parameter == "filter[status]"


def test_global_tags_pair_records_and_labels(db: ConditionsDB) -> None:
    diff = diff_global_tags("GT_A", db.global_tag_map("GT_A"), "GT_B", db.global_tag_map("GT_B"))
    assert [(r.record, r.label, r.tag_a, r.tag_b, r.status) for r in diff.rows] == [
        ("BeamSpotObjectsRcd", "", "DIFF_A", "DIFF_B", "differs"),
        ("BeamSpotObjectsRcd", "byLumi", "DIFF_LUMI", "DIFF_LUMI", "same"),
        ("NewRcd", "", None, "DIFF_A", "only_b"),
        ("OtherRcd", "", "DIFF_OTHER", None, "only_a"),
    ]
    assert diff.counts() == {"same": 1, "differs": 1, "only_a": 1, "only_b": 1}
    assert [r.record for r in diff.select(frozenset({"only_a", "only_b"}))] == [
        "NewRcd",
        "OtherRcd",
    ]


def test_the_demo_database_diffs(demo_engine: object) -> None:
    from inspector.engine import Engine

    assert isinstance(demo_engine, Engine)
    db = demo_engine.database(None)
    gts = db.global_tags(page_size=10).items
    assert len(gts) >= 2
    first, second = gts[0].name, gts[1].name
    diff = diff_global_tags(first, db.global_tag_map(first), second, db.global_tag_map(second))
    assert sum(diff.counts().values()) == len(diff.rows) > 0
    row = next(r for r in diff.rows if r.tag_a and r.tag_b)
    assert row.tag_a is not None and row.tag_b is not None
    a, b = db.iovs(row.tag_a), db.iovs(row.tag_b)
    if a.time_type is b.time_type:
        tag_diff = diff_tags(a, b)
        # Every IOV start of either tag is a row (none is lost).
        assert np.isin(a.since, tag_diff.since).all()
        assert np.isin(b.since, tag_diff.since).all()
        same = tag_diff.status == 0
        assert np.array_equal(tag_diff.hash_a[same], tag_diff.hash_b[same])
