"""Small JSON:API 1.1 building blocks: documents, resources, paging.

Kept apart from the routes so every endpoint shapes its answers the same
way: one media type, ``jsonapi.version`` on every document, resource
objects with ``type``/``id``/``attributes``/``relationships``/``links``,
and lists that always state their total and carry first/prev/next/last
links, so a client never mistakes a page for the whole.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import urlencode

import numpy as np
import numpy.typing as npt
from pydantic import Field
from typing_extensions import TypedDict

from inspector.conddb.timetypes import TimeType
from inspector.errors import InvalidParameter, NotFound

__all__ = [
    "JSONAPI",
    "LIMITS",
    "MEDIA_TYPE",
    "PAGE_NUMBER",
    "PAGE_SIZE",
    "SINCE_UNITS",
    "PageMeta",
    "Paging",
    "document",
    "dumps",
    "finite",
    "iso",
    "iso_many",
    "link_arguments",
    "page_links",
    "page_meta",
    "relationship",
    "resource",
    "url",
]

MEDIA_TYPE: Final = "application/vnd.api+json"
JSONAPI: Final = {"version": "1.1"}
PAGE_NUMBER: Final = "page[number]"
PAGE_SIZE: Final = "page[size]"
#: (default, maximum) ``page[size]`` of each list: what the parser enforces and the
#: OpenAPI document states.
LIMITS: Final = {
    "tags": (50, 1000),
    "iovs": (1000, 10_000),
    "drawers": (50, 1000),
    "globaltags": (50, 1000),
    "runs": (50, 1000),
    "readiness": (50, 1000),
    "tagdiff": (1000, 10_000),
    "globaltagdiff": (100, 1000),
    "annotations": (50, 500),
}
#: What a raw ``since``/``until`` counts, by time type (for ``meta.units``).
SINCE_UNITS: Final = {
    TimeType.RUN: "run number",
    TimeType.LUMI: "run << 32 | lumisection",
    TimeType.TIME: "unix seconds << 32 | nanoseconds (UTC)",
    TimeType.HASH: "opaque number",
    TimeType.USER: "opaque number",
}

#: Characters left readable in generated links (``page[size]=50``, ``BS_*``, ``run:ls``).
_SAFE: Final = "[]*:,/"


@dataclass(frozen=True)
class Paging:
    """Which page of a list was asked for (1-based)."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """Index of the first item on this page."""
        return (self.number - 1) * self.size

    def pages(self, total: int) -> int:
        """Number of pages for ``total`` items (at least one, even when empty)."""
        return max(1, -(-total // self.size))

    def require_exists(self, total: int, what: str) -> None:
        """A page past the end is a 404 rather than an empty list that looks complete."""
        last = self.pages(total)
        if self.number > last:
            raise NotFound(
                f"{what}: {PAGE_NUMBER} {self.number} is past the last page ({last}, "
                f"{total} item{'s' if total != 1 else ''} of {self.size} per page)"
            )

    @classmethod
    def parse(
        cls, number: str | None, size: str | None, *, default_size: int, max_size: int
    ) -> Paging:
        """Read ``page[number]`` and ``page[size]``; bad values name their parameter."""
        return cls(
            _bounded_int(PAGE_NUMBER, number, 1, 1, 10**9),
            _bounded_int(PAGE_SIZE, size, default_size, 1, max_size),
        )


def _bounded_int(name: str, raw: str | None, default: int, lo: int, hi: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidParameter(name, f"{raw!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise InvalidParameter(name, f"{value} is not within {lo}..{hi}")
    return value


def url(path: str, args: Iterable[tuple[str, str]] = ()) -> str:
    """``path`` with a readable query string (brackets and globs unescaped)."""
    query = urlencode(list(args), safe=_SAFE)
    return f"{path}?{query}" if query else path


def link_arguments(
    args: Mapping[str, str], alias: str, keys: Sequence[str]
) -> list[tuple[str, str]]:
    """``db`` (always, so links stand on their own) and the given non-empty arguments."""
    return [("db", alias), *((k, args[k]) for k in keys if args.get(k))]


def page_links(
    path: str, args: Iterable[tuple[str, str]], paging: Paging, total: int
) -> dict[str, str | None]:
    """``self``/``first``/``prev``/``next``/``last`` of a paged list.

    ``args`` are the list's other query arguments (filters, ``db``...), kept
    in order; the page parameters are always spelt out so each link stands
    on its own.  ``prev``/``next`` are ``null`` at the ends, as JSON:API asks.
    """
    kept = [(k, v) for k, v in args if k not in (PAGE_NUMBER, PAGE_SIZE)]
    last = paging.pages(total)

    def at(number: int) -> str:
        return url(path, [*kept, (PAGE_NUMBER, str(number)), (PAGE_SIZE, str(paging.size))])

    return {
        "self": at(paging.number),
        "first": at(1),
        "prev": at(paging.number - 1) if paging.number > 1 else None,
        "next": at(paging.number + 1) if paging.number < last else None,
        "last": at(last),
    }


_COUNT = Annotated[int, Field(ge=1)]


class PageMeta(TypedDict):
    """The counts every paged list states in its meta (a list that says more derives from it)."""

    total: Annotated[int, Field(ge=0, description="items in the whole list")]
    page: _COUNT
    page_size: _COUNT
    pages: _COUNT


def page_meta(paging: Paging, total: int) -> PageMeta:
    """The counts every list states, so nothing is truncated silently."""
    return {
        "total": total,
        "page": paging.number,
        "page_size": paging.size,
        "pages": paging.pages(total),
    }


def relationship(related: str | None = None, data: Any = None, **meta: Any) -> dict[str, Any]:
    """A relationship object: a related link and/or resource linkage."""
    out: dict[str, Any] = {}
    if related is not None:
        out["links"] = {"related": related}
    if data is not None:
        out["data"] = data
    if meta:
        out["meta"] = meta
    return out


def resource(
    type_: str,
    id_: str,
    attributes: Mapping[str, Any],
    *,
    links: Mapping[str, str] | None = None,
    relationships: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A resource object (empty optional members are left out)."""
    out: dict[str, Any] = {"type": type_, "id": id_, "attributes": dict(attributes)}
    if relationships:
        out["relationships"] = dict(relationships)
    if links:
        out["links"] = dict(links)
    if meta:
        out["meta"] = dict(meta)
    return out


def document(
    data: Any, *, links: Mapping[str, str | None], meta: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A top-level document with primary ``data``."""
    out: dict[str, Any] = {"data": data, "links": dict(links)}
    if meta:
        out["meta"] = dict(meta)
    out["jsonapi"] = JSONAPI
    return out


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; NaN is refused so no invalid token reaches a client."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def finite(value: float | None) -> float | None:
    """A number JSON can hold: NaN and infinities become ``null``."""
    return value if value is not None and math.isfinite(value) else None


def iso(when: dt.datetime) -> str:
    """UTC ISO 8601 with ``Z``; microseconds only when there are some.

    Full precision matters: an insertion time copied into ``snapshot`` must
    still include the row it came from.
    """
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(timespec="microseconds" if when.microsecond else "seconds") + "Z"


def iso_many(values: npt.NDArray[np.datetime64]) -> list[str]:
    """:func:`iso` for a whole column at once (IOV lists run to 10,000 rows)."""
    text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    return [t.removesuffix(".000000") + "Z" for t in text.tolist()]
