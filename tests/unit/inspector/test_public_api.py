"""What ``import inspector`` offers is pinned: the errors, the version and the notebook API."""

from __future__ import annotations

import subprocess
import sys

import inspector
from inspector import notebook


def test_all_is_pinned() -> None:
    assert inspector.__all__ == [
        "BadRequest",
        "ConfigError",
        "DatabaseUnavailable",
        "DrawerError",
        "InspectorError",
        "InvalidParameter",
        "NotFound",
        "PayloadDecodeError",
        "PayloadEncodeError",
        "SchemaError",
        "Session",
        "__version__",
        "open",
    ]


def test_every_exported_name_resolves() -> None:
    for name in inspector.__all__:
        assert getattr(inspector, name) is not None, name
    assert inspector.open is notebook.open
    assert inspector.Session is notebook.Session


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        inspector.opn  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert str(exc) == "module 'inspector' has no attribute 'opn'"
    else:
        raise AssertionError("inspector.opn resolved")


def test_import_inspector_loads_neither_bokeh_nor_the_engine() -> None:
    """``inspector.open`` is imported on first use; plugins importing errors stay light."""
    code = (
        "import sys, inspector\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('bokeh', 'flask', 'pandas')"
        " or m.startswith(('inspector.engine', 'inspector.notebook')))\n"
        "print(heavy)\nsys.exit(1 if heavy else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
