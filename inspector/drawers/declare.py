"""Declaring a drawer: the ``@drawer`` decorator and the :class:`Drawer` record.

A drawer turns decoded payloads into a plot object.  It never queries the
database, renders or touches the web layer; the engine feeds it.  Its kind
fixes its signature:

``single``   ``func(payload, params) -> PlotObject``
``compare``  ``func(first, second, params, labels) -> PlotObject`` — two IOVs of
             one tag or one IOV from each of two tags, order kept;
             ``labels`` names the two sides (e.g. ``("IOV 379100", "IOV 380200")``)
``history``  ``func(payload, params) -> number | {series: number | (value, error)}``
             — the engine runs it once per distinct payload hash and joins the
             results with the IOV timeline into a History.

Any kind may add a keyword-only ``context`` parameter to be given a
:class:`~inspector.drawers.context.DrawContext` (the plugins' detector
layouts, the tag, the payload hashes).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from typing_extensions import TypedDict

from inspector.drawers.context import DrawContext
from inspector.drawers.params import MODULE, DrawerParam, Param
from inspector.request import reserved_names

__all__ = ["KINDS", "Drawer", "DrawerDescription", "DrawerKind", "drawer"]

DrawerKind = Literal["single", "compare", "history"]
KINDS: Final = ("single", "compare", "history")
_NAME_RE: Final = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class DrawerDescription(TypedDict):
    """What a drawer reads, what it draws and the parameters it takes."""

    name: str
    title: str
    kind: DrawerKind
    payload_types: list[str]
    params: list[DrawerParam]
    unit: str
    x_label: str
    y_label: str
    series: list[str]
    description: str
    plugin: str


@dataclass(frozen=True)
class Drawer:
    """A declared drawer (see the module docstring for the kinds)."""

    name: str
    title: str
    payload_types: tuple[str, ...]
    kind: DrawerKind
    func: Callable[..., Any] = field(repr=False, compare=False)
    params: tuple[Param, ...] = ()
    unit: str = ""
    x_label: str = ""
    y_label: str = ""
    series: tuple[str, ...] = ()
    description: str = ""
    timeout: float | None = None
    plugin: str = ""
    #: the function takes a keyword-only ``context`` (a :class:`DrawContext`)
    wants_context: bool = False

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"drawer name {self.name!r} must be dotted lower case: group.name")
        if self.kind not in KINDS:
            raise ValueError(f"drawer {self.name!r}: kind must be one of {', '.join(KINDS)}")
        if not self.payload_types:
            raise ValueError(f"drawer {self.name!r} must declare at least one payload type")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"drawer {self.name!r} declares a parameter twice")
        clash = reserved_names().intersection(names)
        if clash:
            raise ValueError(
                f"drawer {self.name!r}: parameter name(s) {', '.join(sorted(clash))} are fields "
                "of the plot request (inspector/request.py), so they would never reach the "
                "drawer; choose other names"
            )
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"drawer {self.name!r}: timeout must be positive")

    def call(self, *args: Any, context: Callable[[], DrawContext]) -> Any:
        """Run the drawer's function, giving it ``context()`` if it asked for one.

        ``context`` is built only then: the registries it holds cost time to
        make, and most drawers never ask.
        """
        if self.wants_context:
            return self.func(*args, context=context())
        return self.func(*args)

    @property
    def group(self) -> str:
        """The part of the name before the first dot (e.g. ``beamspot``)."""
        return self.name.split(".", 1)[0]

    @property
    def per_module(self) -> bool:
        """Whether it draws one module, named by the :data:`~inspector.drawers.params.MODULE`
        parameter: a map's module links to such a history."""
        return any(p.name == MODULE for p in self.params)

    def applies_to(self, object_type: str) -> bool:
        """Whether this drawer reads payloads of ``object_type``."""
        return object_type in self.payload_types

    def describe(self) -> DrawerDescription:
        """JSON-able description for listings, the API and the UI."""
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "payload_types": list(self.payload_types),
            "params": [p.describe() for p in self.params],
            "unit": self.unit,
            "x_label": self.x_label,
            "y_label": self.y_label,
            "series": list(self.series),
            "description": self.description,
            "plugin": self.plugin,
        }


def drawer(
    name: str,
    *,
    title: str,
    payload_types: str | Iterable[str],
    kind: DrawerKind,
    params: Sequence[Param] = (),
    unit: str = "",
    x_label: str = "",
    y_label: str = "",
    series: Sequence[str] = (),
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Drawer]:
    """Declare a drawer; the decorated function becomes a :class:`Drawer`.

    ``series`` names the numbers a history drawer returns (for the legend and
    the API before any payload is read); ``timeout`` overrides the engine's
    per-drawer time limit in seconds.
    """
    types = (payload_types,) if isinstance(payload_types, str) else tuple(payload_types)

    def wrap(func: Callable[..., Any]) -> Drawer:
        doc = (func.__doc__ or "").strip()
        return Drawer(
            name=name,
            title=title,
            payload_types=types,
            kind=kind,
            func=func,
            params=tuple(params),
            unit=unit,
            x_label=x_label,
            y_label=y_label,
            series=tuple(series),
            description=doc,
            timeout=timeout,
            wants_context=_wants_context(func),
        )

    return wrap


def _wants_context(func: Callable[..., Any]) -> bool:
    """Whether ``func`` declares the keyword-only ``context`` parameter."""
    try:
        parameter = inspect.signature(func).parameters.get("context")
    except (TypeError, ValueError):  # a builtin or C function: it cannot ask
        return False
    return parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY
