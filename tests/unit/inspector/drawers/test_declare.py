"""The @drawer decorator and its checks."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.drawers import Param, drawer
from inspector.request import reserved_names


def _func(payload: Any, params: Any) -> float:
    """Mean of something."""
    return 1.0


def test_decorator_builds_a_described_drawer() -> None:
    d = drawer(
        "beamspot.x",
        title="X",
        payload_types="BeamSpotObjects",
        kind="history",
        params=[Param.int("n", 1)],
        unit="cm",
        series=["x"],
    )(_func)
    assert d.group == "beamspot" and d.applies_to("BeamSpotObjects")
    assert d.description == "Mean of something."
    assert d.describe()["params"] == [{"name": "n", "type": "int", "default": 1}]
    assert d.func(None, {}) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "NoDots"}, "dotted lower case"),
        ({"name": "a.b", "kind": "movie"}, "kind must be one of"),
        ({"name": "a.b", "payload_types": ()}, "at least one payload type"),
        ({"name": "a.b", "params": [Param.int("n", 1), Param.int("n", 2)]}, "twice"),
        ({"name": "a.b", "params": [Param.string("tag")]}, "tag are fields of the plot request"),
        ({"name": "a.b", "timeout": 0}, "timeout must be positive"),
    ],
)
def test_invalid_declarations(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"title": "t", "payload_types": ["T"], "kind": "single"} | kwargs
    name = args.pop("name")
    with pytest.raises(ValueError, match=message):
        drawer(name, **args)(_func)


@pytest.mark.parametrize("name", sorted(reserved_names()))
def test_every_request_field_is_refused_as_a_parameter_name(name: str) -> None:
    """``cert``, ``xaxis``, ``width``, ... would be read by the request, never by the drawer."""
    with pytest.raises(ValueError, match=f"{name} are fields of the plot request"):
        drawer("a.b", title="t", payload_types=["T"], kind="single", params=[Param.string(name)])(
            _func
        )


def test_a_drawer_taking_the_module_param_is_per_module() -> None:
    from inspector.drawers import Param, drawer

    def f(payload: object, params: object) -> float:
        return 1.0

    one = drawer("g.one", title="t", payload_types="X", kind="history", params=[Param.module(5)])(f)
    every = drawer("g.all", title="t", payload_types="X", kind="history")(f)
    assert one.per_module and not every.per_module
