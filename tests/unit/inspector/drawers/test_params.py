"""Drawer parameters parse text and name themselves in every error."""

from __future__ import annotations

import re

import pytest

from inspector.drawers import Param, validate_params
from inspector.errors import InvalidParameter

DECLARED = (
    Param.int("bins", 50, minimum=1, maximum=1000),
    Param.float("threshold", 2.5, minimum=0),
    Param.bool("log", False),
    Param.choice("coordinate", ["x", "y", "z"]),
    Param.string("label", "beam"),
)


def test_defaults_and_parsing_from_text() -> None:
    assert validate_params(DECLARED, {}) == {
        "bins": 50,
        "threshold": 2.5,
        "log": False,
        "coordinate": "x",
        "label": "beam",
    }
    parsed = validate_params(
        DECLARED, {"bins": "20", "threshold": "1e-1", "log": "yes", "coordinate": "z"}
    )
    assert parsed["bins"] == 20 and parsed["threshold"] == 0.1
    assert parsed["log"] is True and parsed["coordinate"] == "z"


@pytest.mark.parametrize(
    ("given", "name", "reason"),
    [
        ({"bins": "ten"}, "bins", "not an integer"),
        ({"bins": "0"}, "bins", "below the minimum 1"),
        ({"bins": "5000"}, "bins", "above the maximum 1000"),
        ({"bins": "2.5"}, "bins", "not an integer"),
        ({"threshold": "nan"}, "threshold", "not a finite number"),
        ({"threshold": "-1"}, "threshold", "below the minimum 0"),
        ({"log": "maybe"}, "log", "not true or false"),
        ({"coordinate": "w"}, "coordinate", "not one of x, y, z"),
        ({"label": "x" * 500}, "label", "longer than"),
        ({"colour": "red"}, "colour", "unknown parameter (this drawer takes: bins,"),
    ],
)
def test_bad_values_name_the_parameter(given: dict[str, str], name: str, reason: str) -> None:
    with pytest.raises(InvalidParameter, match=re.escape(reason)) as info:
        validate_params(DECLARED, given)
    assert info.value.parameter == name


def test_invalid_declarations_fail_at_import_time() -> None:
    with pytest.raises(InvalidParameter, match="below the minimum"):
        Param.int("bins", 0, minimum=1)
    with pytest.raises(ValueError, match="identifier"):
        Param.int("two words", 1)


def test_describe_is_json_ready() -> None:
    assert Param.choice("c", ["a", "b"], help="pick").describe() == {
        "name": "c",
        "type": "choice",
        "default": "a",
        "help": "pick",
        "choices": ["a", "b"],
    }


def test_module_param_is_a_raw_detid_named_by_the_one_constant() -> None:
    from inspector.drawers import MODULE, Param

    p = Param.module(369120277)
    assert p.name == MODULE == "detid" and p.type == "int"
    assert p.parse("470180232") == 470180232
    with pytest.raises(InvalidParameter, match="detid"):
        p.parse(str(2**32))
    with pytest.raises(InvalidParameter, match="detid"):
        p.parse("0")
