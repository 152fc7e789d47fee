"""docs/python-api.md runs: its walkthrough, cell by cell, as a notebook would.

Every ```python block of its walkthrough is a cell, executed in order in one
namespace against the session's demo database (the alias ``demo`` of a
configuration given through ``INSPECTOR_CONFIG``, as a user's would be).
A cell ending in an expression is displayed the way IPython displays it:
``_repr_mimebundle_`` for plot objects, ``_repr_html_`` for DataFrames.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from inspector.notebook.display import Drawing
from inspector.plots import PlotObject

DOC = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"
CELL = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def _cells() -> list[str]:
    """The python blocks of the page's walkthrough section, in order."""
    page = DOC.read_text(encoding="utf-8")
    return CELL.findall(page[page.index("\n## Walkthrough\n") :])


def _run_cell(source: str, namespace: dict[str, Any], name: str) -> Any:
    """Execute a cell; return the value of its last line when that is an expression."""
    tree = ast.parse(source, filename=name)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, name, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace)


def test_the_page_has_a_walkthrough() -> None:
    assert len(_cells()) >= 8


def test_the_walkthrough_runs(
    demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "inspector.toml"
    config.write_text(f'[databases.demo]\npath = "{demo_path}"\n')
    monkeypatch.setenv("INSPECTOR_CONFIG", str(config))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    shown: list[str] = []
    for i, source in enumerate(_cells(), start=1):
        value = _run_cell(source, namespace, f"{DOC.name}, cell {i}")
        if isinstance(value, PlotObject | Drawing):
            bundle = value._repr_mimebundle_()
            assert bundle["text/html"].startswith("<iframe "), f"cell {i}"
            shown.append(type(value).__name__)
        elif value is not None:
            assert "<table" in value._repr_html_(), f"cell {i}"  # a DataFrame
            shown.append(type(value).__name__)
    assert shown == ["DataFrame", "History", "DataFrame", "Drawing", "DataFrame", "DetectorMap"]
    # The cells' names are what the page says they are.
    db = namespace["db"]
    assert namespace["beamspot"].names == [
        "BeamSpotObjects_Express_byRun_v1",
        "BeamSpotObjects_HLT_byRun_v1",
        "BeamSpotObjects_Realistic_byRun_v1",
    ]
    assert namespace["history"].provenance.db == "demo"
    assert namespace["page"].startswith(b"<!DOCTYPE html>")
    assert namespace["numbers"].startswith("# payload-inspector/plot CSV")
    assert db.context._engine is None  # the last cell closed the session
