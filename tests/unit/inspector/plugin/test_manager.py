"""Loading plugins: entry points, explicit registration and clear failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inspector.drawers import Drawer, drawer
from inspector.errors import NotFound
from inspector.payload import builtin_schema_dir
from inspector.plugin import PluginError, hookimpl, load_plugins
from inspector.render.exports import ExportFormat


@drawer("test.constant", title="Constant", payload_types="BeamSpotObjects", kind="history")
def constant(payload: Any, params: Any) -> float:
    """Always 1."""
    return 1.0


class Complete:
    """A plugin implementing every hook."""

    @hookimpl
    def register_payload_schemas(self) -> list[Path]:
        return [builtin_schema_dir()]

    @hookimpl
    def register_drawers(self) -> list[Drawer]:
        return [constant]

    @hookimpl
    def register_geometries(self) -> list[Path]:
        return [Path("layout.txt")]

    @hookimpl
    def register_renderers(self) -> dict[type, Any]:
        return {Complete: print}

    @hookimpl
    def register_payload_views(self) -> dict[str, Any]:
        return {"BeamSpotObjects": lambda payload: {"x": float(payload["position_"][0])}}

    @hookimpl
    def register_export_formats(self) -> list[ExportFormat]:
        return [TITLE_TXT]


#: A plugin's export format: the plot's title as a text file.
TITLE_TXT = ExportFormat(
    "title", "text/plain", "txt", "the title", lambda plot, context: plot.title.encode()
)


def test_every_hook_is_collected() -> None:
    plugins = load_plugins(entry_points=False, extra=[("complete", Complete())])
    assert "BeamSpotObjects" in plugins.schemas.object_types()
    assert [d.name for d in plugins.drawers] == ["test.constant"]
    assert plugins.drawers.get("test.constant").plugin == "complete"
    assert [name for name, _ in plugins.views["BeamSpotObjects"]] == ["complete"]
    assert plugins.geometry_files == [Path("layout.txt")]
    assert plugins.renderers == {Complete: print}
    # the built-in formats (always registered first), then the plugin's
    assert [f.name for f in plugins.export_formats] == [
        "json",
        "csv",
        "html",
        "png",
        "cmspi",
        "title",
    ]


def test_a_hook_answer_that_is_not_an_export_format_names_the_plugin() -> None:
    class Wrong:
        @hookimpl
        def register_export_formats(self) -> list[str]:
            return ["pdf"]

    with pytest.raises(PluginError, match=r"plugin 'wrong'.*'pdf', not an .*ExportFormat"):
        load_plugins(entry_points=False, extra=[("wrong", Wrong())])


def test_builtin_plugins_come_through_entry_points() -> None:
    plugins = load_plugins()
    names = {p.name: p for p in plugins.info}
    assert names["schemas"].module == "inspector_plugins.schemas"
    assert names["schemas"].distribution == "payload-inspector"
    assert "SiStripNoises" in plugins.schemas.object_types()


def test_unknown_hook_is_rejected_at_start_up() -> None:
    class Typo:
        @hookimpl
        def register_drawer(self) -> list[Drawer]:
            return []

    with pytest.raises(PluginError, match=r"plugin 'typo'.*register_drawer.*known hooks"):
        load_plugins(entry_points=False, extra=[("typo", Typo())])


def test_duplicate_drawer_names_name_both_plugins() -> None:
    class Again:
        @hookimpl
        def register_drawers(self) -> list[Drawer]:
            return [
                drawer("test.constant", title="C", payload_types="X", kind="history")(
                    lambda p, q: 2.0
                )
            ]

    with pytest.raises(PluginError, match=r"'test\.constant' is registered by both"):
        load_plugins(entry_points=False, extra=[("complete", Complete()), ("again", Again())])


def test_non_drawer_registration_is_rejected() -> None:
    class Wrong:
        @hookimpl
        def register_drawers(self) -> list[object]:
            return [lambda payload: 1]

    with pytest.raises(PluginError, match="not a drawer made with @drawer"):
        load_plugins(entry_points=False, extra=[("wrong", Wrong())])


def test_unknown_drawer_suggests_close_names() -> None:
    plugins = load_plugins(entry_points=False, extra=[("complete", Complete())])
    with pytest.raises(NotFound, match=r"did you mean test\.constant"):
        plugins.drawers.get("test.constnat")
    assert plugins.drawers.by_payload_type() == {"BeamSpotObjects": [constant]}
