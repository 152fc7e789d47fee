"""Plot URLs: parsing, canonical permalinks and pinning."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from inspector.errors import InvalidParameter
from inspector.web.permalinks import PlotQuery


def q(**args: str) -> PlotQuery:
    return PlotQuery.from_args("beamspot.position_x", MultiDict(args), "demo")


def test_canonical_order_readable_and_view_options_apart() -> None:
    query = q(
        bins="20",
        tag="T",
        since="379000:1",
        snapshot="2024-06-01T12:00:00Z",
        xaxis="time",
        db="demo",
    )
    assert query.query_string() == (
        "db=demo&tag=T&since=379000:1&snapshot=2024-06-01T12:00:00Z&bins=20&xaxis=time"
    )
    assert query.cache_key == (
        "beamspot.position_x?db=demo&tag=T&since=379000:1&snapshot=2024-06-01T12:00:00Z&bins=20"
    )
    assert query.view_options() == {"x_axis": "time"}
    assert query.to_request().params == {"bins": "20"}


def test_same_data_same_key_whatever_the_argument_order() -> None:
    a = q(tag="T", iov="5", bins="3", db="demo")
    b = q(bins="3", db="demo", iov="5", tag="T", width="800")
    assert a.cache_key == b.cache_key and a == b


def test_pinning_sets_the_snapshot_once() -> None:
    now = dt.datetime(2026, 1, 2, 3, 4, 5, 678)
    pinned = q(tag="T").pinned_at(now)
    assert pinned.snapshot == dt.datetime(2026, 1, 2, 3, 4, 5)
    assert "snapshot=2026-01-02T03:04:05Z" in pinned.query_string()
    assert pinned.is_pinned(now) and not q(tag="T").is_pinned(now)
    assert pinned.pinned_at(now + dt.timedelta(days=1)) is pinned
    future = q(tag="T", snapshot="2999-01-01T00:00:00Z")
    assert not future.is_pinned(now)


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        ({}, "tag"),
        ({"tag": "T", "snapshot": "soon"}, "snapshot"),
        ({"tag": "T", "xaxis": "sideways"}, "xaxis"),
        ({"tag": "T", "width": "5"}, "width"),
        ({"tag": "T", "height": "tall"}, "height"),
        ({"tag": "T", "bins": "x" * 600}, "bins"),
    ],
)
def test_bad_arguments_are_named(args: dict[str, str], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        q(**args)
    assert info.value.parameter == parameter


def test_repeated_argument_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="more than once"):
        PlotQuery.from_args("d.x", MultiDict([("tag", "A"), ("tag", "B")]), "demo")
