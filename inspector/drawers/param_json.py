"""A drawer parameter as the API, the UI form and ``inspector plugins`` describe it.

Declared once: :meth:`inspector.drawers.params.Param.describe` fills it
(mypy checks it fills exactly these members) and the web layer publishes
its schema.  No ``from __future__ import annotations`` here: ``NotRequired``
must be seen at run time for ``__required_keys__`` to be right.
"""

from typing import Literal, NotRequired

from typing_extensions import TypedDict

__all__ = ["DrawerParam", "ParamType", "ParamValue"]

ParamValue = int | float | bool | str
ParamType = Literal["int", "float", "bool", "choice", "string"]


class DrawerParam(TypedDict):
    """A drawer parameter as the API, the UI form and ``inspector plugins`` describe it."""

    name: str
    type: ParamType
    default: ParamValue
    help: NotRequired[str]
    minimum: NotRequired[float]
    maximum: NotRequired[float]
    choices: NotRequired[list[str]]
