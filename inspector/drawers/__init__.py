"""What drawer plugins import: the ``@drawer`` decorator and typed parameters."""

from inspector.drawers.declare import KINDS, Drawer, DrawerKind, drawer
from inspector.drawers.params import Param, ParamValue, validate_params

__all__ = ["KINDS", "Drawer", "DrawerKind", "Param", "ParamValue", "drawer", "validate_params"]
