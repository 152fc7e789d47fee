"""What a part of :class:`~inspector.conddb.database.ConditionsDB` may rely on.

The queries of one database are split by subject (runs, payloads, the rest)
into classes that :class:`ConditionsDB` combines; each part reads through the
connection and the table checks that :class:`ConditionsDB` owns, declared
here once for the type checker.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from sqlalchemy import Connection

__all__ = ["QueryPart"]


class QueryPart:
    """The connection, table checks and alias a query part reads through."""

    alias: str

    if TYPE_CHECKING:

        def _connect(self) -> AbstractContextManager[Connection]: ...

        def _has(self, conn: Connection, *names: str) -> bool: ...
