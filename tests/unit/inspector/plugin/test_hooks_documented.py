"""Every hook is documented in docs/plugins.md and implemented by a tested plugin."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from inspector.plugin import hookspecs

ROOT = Path(__file__).resolve().parents[4]
HOOKS = sorted(
    name
    for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("register_")
)


def test_there_are_hooks() -> None:
    assert HOOKS == [
        "register_drawers",
        "register_export_formats",
        "register_geometries",
        "register_payload_schemas",
        "register_payload_views",
        "register_renderers",
    ]


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_one_line_docstring(hook: str) -> None:
    doc = getattr(hookspecs, hook).__doc__ or ""
    assert doc.strip() and "\n" not in doc.strip()


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_in_the_plugin_guide(hook: str) -> None:
    assert f"`{hook}()`" in (ROOT / "docs" / "plugins.md").read_text()


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test_plugin(hook: str) -> None:
    """The complete test plugin of test_manager.py implements each hook."""
    source = (Path(__file__).parent / "test_manager.py").read_text()
    assert f"def {hook}(self)" in source
