"""Errors in one place: every InspectorError lives in inspector/errors.py, drawn in its tree."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import inspector
import inspector_plugins
from inspector import errors


def _every_error_class() -> set[type[errors.InspectorError]]:
    """Import every module of the package and the built-in plugins; collect the subclasses."""
    for package in (inspector, inspector_plugins):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    found: set[type[errors.InspectorError]] = set()
    todo: list[type[errors.InspectorError]] = [errors.InspectorError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


#: ``    ├── Name   400 / exit 2   ...`` lines of the docstring
_TREE_LINE = re.compile(r"^\s*(?:[│ ]*[├└]── )?(\w+)\s+(\d{3}) / exit (\d)", re.M)


def _tree() -> dict[str, tuple[int, int]]:
    assert errors.__doc__ is not None
    return {
        name: (int(status), int(code)) for name, status, code in _TREE_LINE.findall(errors.__doc__)
    }


def test_every_error_class_is_defined_in_the_errors_module() -> None:
    elsewhere = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _every_error_class()
        if cls.__module__ != errors.__name__ and not cls.__module__.startswith("tests")
    )
    assert elsewhere == []


@pytest.mark.parametrize("cls", sorted(_every_error_class(), key=lambda c: c.__name__))
def test_the_tree_draws_each_class_with_its_status_and_exit_code(
    cls: type[errors.InspectorError],
) -> None:
    if cls.__module__ != errors.__name__:
        pytest.skip(f"{cls.__qualname__} is a test's own subclass")
    assert _tree().get(cls.__name__) == (cls.http_status, cls.exit_code), cls.__name__
    assert cls.__name__ in errors.__all__


def test_the_tree_names_nothing_that_does_not_exist() -> None:
    assert set(_tree()) == {
        c.__name__ for c in _every_error_class() if c.__module__ == errors.__name__
    }
