"""Which plot types exist: the built-in ones and every plugin's, by name.

Reading a plot document back (``from_json``) needs its type's class.  The
classes are kept in a :class:`PlotTypeRegistry` owned by whoever loaded the
plugins (``Plugins.plot_types``), filled through the ``register_plot_types``
hook — the built-in types come through it too — rather than in a
process-global table that importing a module would change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from inspector.errors import PlotError
from inspector.plots.base import PlotObject, load_document
from inspector.plots.detector_map import DetectorMap
from inspector.plots.histogram import Histogram1D, Histogram2D
from inspector.plots.history import History
from inspector.plots.scatter import Scatter
from inspector.plots.table import Table

__all__ = ["BUILTIN_PLOT_TYPES", "PlotTypeRegistry", "from_json"]

#: The plot types of Payload Inspector itself.
BUILTIN_PLOT_TYPES: Final[tuple[type[PlotObject], ...]] = (
    History,
    Histogram1D,
    Histogram2D,
    DetectorMap,
    Scatter,
    Table,
)


class PlotTypeRegistry:
    """Plot-type name → class; another class under a taken name is refused."""

    def __init__(self, classes: Iterable[type[PlotObject]] = ()) -> None:
        self._classes: dict[str, type[PlotObject]] = {}
        for cls in classes:
            self.add(cls)

    def add(self, cls: type[PlotObject]) -> None:
        """Make ``cls`` known by its ``plot_type`` (the same class twice is harmless)."""
        if not (isinstance(cls, type) and issubclass(cls, PlotObject)) or cls is PlotObject:
            raise TypeError(f"{cls!r} is not a PlotObject subclass")
        if "__dataclass_fields__" not in cls.__dict__:  # inherited fields do not count
            raise TypeError(f"{cls.__qualname__} must be a dataclass itself (frozen, kw_only)")
        known = self._classes.get(cls.plot_type)
        if known is not None and known is not cls:
            raise PlotError(
                cls.plot_type,
                f"plot type name already registered by {known.__module__}.{known.__qualname__}",
            )
        self._classes[cls.plot_type] = cls

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[type[PlotObject]]:
        return iter(self._classes.values())

    def names(self) -> list[str]:
        """The registered type names, sorted."""
        return sorted(self._classes)

    def get(self, name: str) -> type[PlotObject]:
        """The class of ``name``; :class:`PlotError` naming the known types."""
        cls = self._classes.get(name)
        if cls is None:
            raise PlotError(
                "plot JSON",
                f"unknown plot type {name!r} (known: {', '.join(self.names())}; "
                "is the plugin defining it installed?)",
            )
        return cls

    def from_json(self, document: bytes | str | Mapping[str, Any]) -> PlotObject:
        """Rebuild a plot of any registered type from its JSON form."""
        doc = load_document(document)
        name = doc.get("type")
        return self.get(name if isinstance(name, str) else repr(name)).from_json(doc)


_BUILTIN: Final = PlotTypeRegistry(BUILTIN_PLOT_TYPES)


def from_json(
    document: bytes | str | Mapping[str, Any], types: PlotTypeRegistry | None = None
) -> PlotObject:
    """Rebuild a plot from its JSON form: a built-in type, or one of ``types``."""
    return (types or _BUILTIN).from_json(document)
