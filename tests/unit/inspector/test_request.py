"""The one plot request: parsing, canonical permalinks, pinning, and what derives from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import click
import pytest
from click.testing import CliRunner

from inspector.cli.plot import request_options
from inspector.errors import InvalidParameter
from inspector.request import FieldSpec, PlotRequest, PlotView, request_fields, reserved_names
from inspector.web.plots.openapi import plot_params


def _plot_params(request_type: type[PlotRequest] = PlotRequest) -> list[dict[str, Any]]:
    """The plot parameters as the OpenAPI document publishes them."""
    return [p.openapi() for p in plot_params(request_type)]


def q(**args: str) -> PlotRequest:
    return PlotRequest.from_query("beamspot.position_x", args.items(), "demo")


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
    assert query.view.options() == {"x_axis": "time"}
    assert query.params == {"bins": "20"}


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
        ({"tag": "T", "zoom": "379100"}, "zoom"),
        ({"tag": "T", "zoom": "1,2,3"}, "zoom"),
        ({"tag": "T", "zoom": "a,b"}, "zoom"),
        ({"tag": "T", "zoom": "5,5"}, "zoom"),
        ({"tag": "T", "zoom": "9,1"}, "zoom"),
        ({"tag": "T", "zoom": "nan,1"}, "zoom"),
        ({"tag": "T", "zoom": "0,inf"}, "zoom"),
    ],
)
def test_bad_arguments_are_named(args: dict[str, str], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        q(**args)
    assert info.value.parameter == parameter


def test_repeated_argument_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="more than once"):
        PlotRequest.from_query("d.x", [("tag", "A"), ("tag", "B")], "demo")


def test_view_fields_are_options_and_never_parameters() -> None:
    query = q(tag="T", width="800", height="300", notes="ab12", series="x", bins="4")
    assert query.params == {"bins": "4"}
    assert query.view == PlotView(width="800", height="300", notes="ab12", series="x")
    assert query.view.options() == {"width": 800, "height": 300}
    assert query.cache_key == "beamspot.position_x?db=demo&tag=T&bins=4"
    assert query.query_string().endswith("&bins=4&height=300&notes=ab12&series=x&width=800")


def test_zoom_is_a_view_range_written_once_whatever_its_spelling() -> None:
    query = q(tag="T", zoom=" 379100.0,3.792e5 ")
    assert query.view.zoom == "379100,379200"
    assert query.view.options() == {"zoom": (379100.0, 379200.0)}
    assert query.cache_key == "beamspot.position_x?db=demo&tag=T"  # not the data's identity
    assert query.query_string().endswith("&tag=T&zoom=379100,379200")
    assert q(tag="T", zoom="-1.5,1714000000000.25").view.options()["zoom"] == (
        -1.5,
        1714000000000.25,
    )


def test_every_field_is_reserved_for_drawers() -> None:
    names = {f.name for f in request_fields()}
    assert {"cert", "xaxis", "width", "height", "zoom", "notes", "series", "snapshot"} <= names
    assert reserved_names() == names | {"drawer", "format"}


@dataclass(frozen=True)
class WithRegion(PlotRequest):
    """The plot request with one more data field, declared in one place."""

    region: str | None = field(default=None, metadata={"request": FieldSpec("detector region")})


def test_a_field_added_in_one_place_reaches_every_derived_place() -> None:
    """URL parsing and writing, reserved names, the CLI options and the OpenAPI parameters."""
    request = WithRegion.from_query("d.x", [("tag", "T"), ("region", "TIB"), ("bins", "3")], "db")
    assert isinstance(request, WithRegion) and request.region == "TIB"
    assert request.params == {"bins": "3"}
    assert request.query_string() == "db=db&tag=T&region=TIB&bins=3"
    assert "region" in reserved_names(WithRegion) and "region" not in reserved_names()

    @click.command()
    @request_options(WithRegion)
    def command(**fields: str | None) -> None:
        click.echo(repr(sorted((k, v) for k, v in fields.items() if v)))

    result = CliRunner().invoke(command, ["--tag", "T", "--region", "TIB"])
    assert result.exit_code == 0, result.output
    assert "('region', 'TIB')" in result.output and "--region" in command.get_help(
        click.Context(command)
    )
    (documented,) = [p for p in _plot_params(WithRegion) if p.get("name") == "region"]
    assert documented["in"] == "query" and documented["description"] == "detector region"
    assert not [p for p in _plot_params() if p.get("name") == "region"]


def test_the_published_document_describes_every_request_field() -> None:
    names = {p.get("name") for p in _plot_params()} | {"db"}
    assert {f.name for f in request_fields()} <= names
