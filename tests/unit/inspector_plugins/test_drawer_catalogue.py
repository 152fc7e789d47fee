"""The built-in drawers: at least 15, all documented, all applicable to demo payloads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inspector.payload import SchemaRegistry
from inspector.plugin import load_plugins

ROOT = Path(__file__).resolve().parents[3]


def test_at_least_fifteen_builtin_drawers_over_every_demo_payload_type(demo_path: Path) -> None:
    plugins = load_plugins()
    builtin = [
        d
        for d in plugins.drawers
        if d.plugin in {"beamspot", "strips", "alignment", "pixels", "ecal", "jetmet"}
    ]
    assert len(builtin) >= 15
    covered = {t for d in builtin for t in d.payload_types}
    with sqlite3.connect(f"file:{demo_path}?mode=ro", uri=True) as con:
        demo_types = {str(t) for (t,) in con.execute("select distinct object_type from tag")}
    assert demo_types <= covered <= set(SchemaRegistry.builtin().object_types())
    assert {d.kind for d in builtin} == {"single", "compare", "history"}


def test_every_drawer_is_in_the_catalogue_with_its_description() -> None:
    catalogue = (ROOT / "docs" / "drawers.md").read_text()
    for d in load_plugins().drawers:
        assert f"`{d.name}`" in catalogue, d.name
        assert d.description and d.description.splitlines()[0] in catalogue, d.name
