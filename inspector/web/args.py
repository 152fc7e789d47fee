"""The one query-argument parser of the web layer: API routes and pages alike.

:func:`api_args` reads the arguments of an API route.  The names it admits
are the query parameters of the route's declared
:class:`~inspector.web.openapi.Operation`, which is also what the OpenAPI
document publishes: a name the route does not declare is a 400 naming it
(a typo such as ``filter[nmae]`` would otherwise return the unfiltered
list and look like an answer), so is a name given twice or a value that is
too long.  :func:`page_args` reads a page's arguments (pages ignore names
they do not know, except where :meth:`QueryArgs.checked` says otherwise).
Either way values are read through the same methods: :meth:`QueryArgs.text`,
:meth:`QueryArgs.whole`, :meth:`QueryArgs.flag`, :meth:`QueryArgs.paging`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from flask import request

from inspector.conddb import ConditionsDB
from inspector.errors import InvalidParameter
from inspector.request import MAX_VALUE
from inspector.web.jsonapi import LIMITS, PAGE_NUMBER, PAGE_SIZE, Paging
from inspector.web.routing import current_operation
from inspector.web.state import state

__all__ = ["QueryArgs", "api_args", "page_args"]


class QueryArgs(Mapping[str, str]):
    """The query arguments of one request, by name (the first value of each)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @classmethod
    def checked(cls, allowed: Collection[str], *, what: str = "endpoint") -> QueryArgs:
        """Each argument once, within ``allowed``, stripped; anything else is a 400."""
        out: dict[str, str] = {}
        for key in request.args:
            if key not in allowed:
                raise InvalidParameter(
                    key, f"is not a parameter of this {what} (known: {', '.join(allowed)})"
                )
            values = request.args.getlist(key)
            if len(values) > 1:
                raise InvalidParameter(key, "is given more than once")
            if len(values[0]) > MAX_VALUE:
                raise InvalidParameter(key, f"longer than {MAX_VALUE} characters")
            out[key] = values[0].strip()
        return cls(out)

    def text(self, name: str) -> str:
        """The argument stripped, ``""`` when absent."""
        return self.get(name, "").strip()

    def whole(self, name: str, default: int, lo: int = 1, hi: int = 1_000_000) -> int:
        """A whole number within ``lo..hi``; anything else is a 400 naming it."""
        raw = self.text(name)
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise InvalidParameter(name, f"{raw!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise InvalidParameter(name, f"{value} is not within {lo}..{hi}")
        return value

    def flag(self, name: str) -> bool:
        """``1`` is true, ``0`` or nothing false; anything else is a 400."""
        raw = self.text(name)
        if raw not in ("", "0", "1"):
            raise InvalidParameter(name, f"{raw!r} is not 0 or 1")
        return raw == "1"

    def paging(self, listing: str) -> Paging:
        """``page[number]`` and ``page[size]`` within the documented limits of ``listing``."""
        default, maximum = LIMITS[listing]
        return Paging.parse(
            self.get(PAGE_NUMBER), self.get(PAGE_SIZE), default_size=default, max_size=maximum
        )

    def database(self) -> ConditionsDB:
        """The database named by ``db`` (default: the configured one); 404 for an unknown one."""
        return state().engine.database(self.get("db") or None)


def api_args() -> QueryArgs:
    """The arguments of this API request, checked against its route's declared parameters.

    A route with a free-form parameter (the plot's drawer parameters) reads
    its arguments through :class:`~inspector.request.PlotRequest` instead.
    """
    names = current_operation().query_names()
    if names is None:
        raise TypeError(f"{request.endpoint} takes any name: read it with PlotRequest")
    return QueryArgs.checked(names)


def page_args() -> QueryArgs:
    """The arguments of a page, the first value of each (names a page does not read are ignored)."""
    return QueryArgs({key: request.args.get(key, "") for key in request.args})
