"""What drawer plugins import: the ``@drawer`` decorator, typed parameters, the context."""

from inspector.drawers.context import DrawContext
from inspector.drawers.declare import KINDS, Drawer, DrawerKind, drawer
from inspector.drawers.params import MODULE, Param, ParamValue, validate_params

__all__ = [
    "KINDS",
    "MODULE",
    "DrawContext",
    "Drawer",
    "DrawerKind",
    "Param",
    "ParamValue",
    "drawer",
    "validate_params",
]
