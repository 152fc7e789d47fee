"""Payload Inspector: plugin-based visualization of conditions-database payloads.

The public API is re-exported here; modules behind it are private unless
documented.  Errors form one hierarchy rooted at :class:`InspectorError`.

``inspector.open(...)`` opens a database for a notebook (docs/python-api.md).
It and :class:`Session` are imported on first use: they bring the engine,
the plugins and Bokeh, which ``import inspector.plots`` must not.
"""

from typing import TYPE_CHECKING, Any

from inspector.errors import (
    BadRequest,
    ConfigError,
    DatabaseUnavailable,
    DrawerError,
    InspectorError,
    InvalidParameter,
    NotFound,
    PayloadDecodeError,
    PayloadEncodeError,
    SchemaError,
)

if TYPE_CHECKING:
    from inspector.notebook import Session, open

__version__ = "0.1.0"

_NOTEBOOK_NAMES = ("Session", "open")


def __getattr__(name: str) -> Any:
    """The notebook API, imported when first asked for (see the module docstring)."""
    if name in _NOTEBOOK_NAMES:
        from inspector import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'inspector' has no attribute {name!r}")


__all__ = [
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
