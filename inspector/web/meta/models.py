"""The members of the API index resource, declared once.

:mod:`inspector.web.meta.routes` fills them (mypy checks it fills exactly
these) and :mod:`inspector.web.meta.openapi` derives the published schema.
"""

from __future__ import annotations

from typing_extensions import TypedDict

__all__ = ["DatabaseEntry", "IndexAttributes"]


class DatabaseEntry(TypedDict):
    """A configured database: its alias and what it holds."""

    alias: str
    description: str


class IndexAttributes(TypedDict):
    """The server's version and the databases it reads."""

    version: str
    default_database: str
    databases: list[DatabaseEntry]
