"""Range ends as people write them, on tags of every time type (hand-built runs and fills).

The database of ``runs_handmade``: runs 1000 (h0–h1, fill 7), 1001 (h1.5–h3,
fill 7), 1005 (h10–h14, fill 8), 1010 (h30–h31, no fill), 1011 (h40–h50,
fill 9); tags ``Prompt_run`` (1000, 1001, 1005), ``Prompt_lumi`` (1000:1,
1005:0), ``Prompt_time`` (h0, h10.5) and ``Hash_tag``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from runs_handmade import build_runs_db, hours

from inspector.conddb import ConditionsDB, RangeResolver, open_database
from inspector.conddb.ranges import Side
from inspector.conddb.timetypes import LUMISECTION_SECONDS, datetime_to_since, pack_lumi
from inspector.config import DatabaseConfig
from inspector.errors import InvalidParameter

END_OF_RUN = (1 << 32) - 1


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConditionsDB]:
    path = tmp_path_factory.mktemp("ranges") / "runs.sqlite"
    build_runs_db(path)
    database = open_database(DatabaseConfig("runs", f"sqlite:///{path}"))
    yield database
    database.close()


@pytest.fixture(scope="module")
def no_fills(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConditionsDB]:
    path: Path = tmp_path_factory.mktemp("ranges-cms") / "cms.sqlite"
    build_runs_db(path, fills=False)
    database = open_database(DatabaseConfig("cms", f"sqlite:///{path}"))
    yield database
    database.close()


def point(db: ConditionsDB, tag: str, text: str, side: Side = "since") -> int:
    return RangeResolver(db, db.tag(tag)).point(text, side, side)


def time(when: dt.datetime) -> int:
    return datetime_to_since(when)


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("1005", pack_lumi(1005, 1), pack_lumi(1005, END_OF_RUN)),  # the whole run
        ("run 1005", pack_lumi(1005, 1), pack_lumi(1005, END_OF_RUN)),
        ("1005:7", pack_lumi(1005, 7), pack_lumi(1005, 7)),
        ("fill 7", pack_lumi(1000, 1), pack_lumi(1001, END_OF_RUN)),
        ("FILL=8", pack_lumi(1005, 1), pack_lumi(1005, END_OF_RUN)),
        (str(pack_lumi(1005, 3)), pack_lumi(1005, 3), pack_lumi(1005, 3)),  # the stored value
        ("inf", (1 << 64) - 1, (1 << 64) - 1),
    ],
)
def test_a_lumi_tag_reads_runs_fills_and_stored_values(
    db: ConditionsDB, text: str, since: int, until: int
) -> None:
    assert point(db, "Prompt_lumi", text, "since") == since
    assert point(db, "Prompt_lumi", text, "until") == until


def test_a_date_on_a_lumi_tag_is_the_lumisection_then_or_the_nearest_run(db: ConditionsDB) -> None:
    # 25 minutes into run 1005: lumisection 25 * 60 / 23.31 s, counted from 1.
    inside = hours(10) + dt.timedelta(minutes=25)
    ls = int(25 * 60 // LUMISECTION_SECONDS) + 1
    assert point(db, "Prompt_lumi", inside.isoformat()) == pack_lumi(1005, ls)
    # Between runs 1005 (ends h14) and 1010 (starts h30): the next run, or the one before.
    gap = (hours(20)).isoformat() + "Z"
    assert point(db, "Prompt_lumi", gap, "since") == pack_lumi(1010, 1)
    assert point(db, "Prompt_lumi", gap, "until") == pack_lumi(1005, END_OF_RUN)
    # An offset is converted to UTC first: 12:00+02:00 is h2 (2024-05-01 10:00), in run 1001.
    assert point(db, "Prompt_run", "2024-05-01T12:00:00+02:00") == 1001


def test_a_run_tag_reads_fills_dates_and_run_lumisections(db: ConditionsDB) -> None:
    assert point(db, "Prompt_run", "fill 7", "since") == 1000
    assert point(db, "Prompt_run", "fill 7", "until") == 1001
    assert point(db, "Prompt_run", "1005:40") == 1005
    assert point(db, "Prompt_run", "2024-05-01") == 1000  # midnight: the first run after it


def test_a_time_tag_reads_runs_and_fills_as_their_times(db: ConditionsDB) -> None:
    assert point(db, "Prompt_time", "1005", "since") == time(hours(10))
    assert point(db, "Prompt_time", "1005", "until") == time(hours(14))
    assert point(db, "Prompt_time", "fill 7", "since") == time(hours(0))
    assert point(db, "Prompt_time", "fill 7", "until") == time(hours(3))
    lumi_2 = hours(10) + dt.timedelta(seconds=LUMISECTION_SECONDS)
    assert point(db, "Prompt_time", "1005:2", "since") == time(lumi_2)
    assert point(db, "Prompt_time", "2024-05-01T18:00Z") == time(hours(10))


def test_first_and_last_are_the_tags_first_and_newest_iov(db: ConditionsDB) -> None:
    resolver = RangeResolver(db, db.tag("Prompt_run"))
    assert resolver.range("last", None) == (1005, None)
    assert resolver.range("first", "first") == (1000, 1000)
    # Seen at h3, the IOV of 1005 (inserted h20) does not exist yet.
    assert RangeResolver(db, db.tag("Prompt_run"), hours(3)).range("last", None) == (1000, None)
    with pytest.raises(InvalidParameter, match="has no IOVs: no last IOV"):
        RangeResolver(db, db.tag("Empty_run")).point("last", "since", "since")


def test_a_range_of_one_run_and_until_before_since(db: ConditionsDB) -> None:
    resolver = RangeResolver(db, db.tag("Prompt_lumi"))
    assert resolver.range("1005", "1005") == (pack_lumi(1005, 1), pack_lumi(1005, END_OF_RUN))
    assert resolver.range("fill 7", "fill 9") == (pack_lumi(1000, 1), pack_lumi(1011, END_OF_RUN))
    assert resolver.range("", None) == (None, None)
    with pytest.raises(InvalidParameter, match=r"'1001' \(1001:4294967295\) is before since"):
        resolver.range("1005", "1001")


@pytest.mark.parametrize(
    ("tag", "text", "message"),
    [
        (
            "Prompt_lumi",
            "fill 12",
            "fill 12 is not known in database 'runs' .it knows fills 7 to 9.$",
        ),
        ("Prompt_time", "999", "run 999 is not in RUN_INFO"),
        ("Prompt_lumi", "yesterday", "is not a range end: write a run"),
        ("Prompt_lumi", "-5", "is negative"),
        ("Prompt_run", str(1 << 40), "outside the Run range"),
        ("Prompt_lumi", "2025-01-01", "no run starts after 2025-01-01 00:00:00 UTC"),
        ("Hash_tag", "fill 7", "Hash IOVs, which do not follow runs"),
        ("Hash_tag", "run 5", "Hash IOVs, which do not follow runs"),
    ],
)
def test_bad_ends_are_named_and_say_why(
    db: ConditionsDB, tag: str, text: str, message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message) as caught:
        RangeResolver(db, db.tag(tag)).point(text, "since", "until")
    assert caught.value.parameter == "until"


def test_hash_tags_take_their_stored_value(db: ConditionsDB) -> None:
    assert point(db, "Hash_tag", "12345") == 12345


def test_without_fill_information_a_fill_is_named_as_unknown(no_fills: ConditionsDB) -> None:
    with pytest.raises(InvalidParameter, match="fill 7 is not known in database 'cms'"):
        point(no_fills, "Prompt_lumi", "fill 7")
    assert point(no_fills, "Prompt_lumi", "1001") == pack_lumi(1001, 1)
