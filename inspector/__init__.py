"""Payload Inspector: plugin-based visualization of conditions-database payloads.

The public API is re-exported here; modules behind it are private unless
documented.  Errors form one hierarchy rooted at :class:`InspectorError`.
"""

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

__version__ = "0.1.0"

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
    "__version__",
]
