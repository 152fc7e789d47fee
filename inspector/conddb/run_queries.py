"""The run and fill queries of a conditions database (RUN_INFO, and fills where present).

Real CMS files often have no RUN_INFO; every query here says so with an
empty answer or a clear error rather than failing.  :class:`RunQueries` is a
part of :class:`~inspector.conddb.database.ConditionsDB`, which provides its
connection and table checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    func,
    null,
    select,
)

from inspector.conddb import schema as s
from inspector.conddb.models import (
    Page,
)
from inspector.conddb.query_part import QueryPart
from inspector.conddb.rows import (
    optional_datetime,
    run_row,
)
from inspector.conddb.runs import Fill, RunInfo, RunTimeline, WaitingRuns
from inspector.errors import NotFound

__all__ = ["RunQueries"]


class RunQueries(QueryPart):
    """Runs and fills, for :class:`~inspector.conddb.database.ConditionsDB`."""

    # -- runs -----------------------------------------------------------------

    def run_timeline(self, first: int | None = None, last: int | None = None) -> RunTimeline:
        """RUN_INFO rows in ``[first, last]`` as a vectorised timeline (empty without RUN_INFO)."""
        conds: list[Any] = []
        if first is not None:
            conds.append(s.run_info.c.run_number >= first)
        if last is not None:
            conds.append(s.run_info.c.run_number <= last)
        query = select(s.run_info).where(*conds).order_by(s.run_info.c.run_number)
        with self._connect() as conn:
            if not self._has(conn, s.run_info.name):
                return RunTimeline.from_runs([])
            runs = [RunInfo(*row) for row in conn.execute(query)]
        return RunTimeline.from_runs(runs)

    def has_fills(self) -> bool:
        """Whether the database has fill information: the optional ``run_fill`` table
        (and ``RUN_INFO``, which gives the fills their runs and times).

        CMS databases do not: their runs simply have no fill number.
        """
        with self._connect() as conn:
            return self._has_fills(conn)

    def _has_fills(self, conn: Connection) -> bool:
        return self._has(conn, s.run_info.name, s.run_fill.name)

    def _run_select(self, conn: Connection) -> Select[Any]:
        """RUN_INFO rows with their fill number (NULL without fill information)."""
        ri = s.run_info
        if not self._has_fills(conn):
            return select(
                ri.c.run_number, ri.c.start_time, ri.c.end_time, null().label("fill_number")
            )
        rf = s.run_fill
        return select(
            ri.c.run_number, ri.c.start_time, ri.c.end_time, rf.c.fill_number
        ).select_from(ri.outerjoin(rf, rf.c.run_number == ri.c.run_number))

    def runs(
        self,
        *,
        first: int | None = None,
        last: int | None = None,
        fill: int | None = None,
        started_from: dt.datetime | None = None,
        started_to: dt.datetime | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> Page[RunInfo]:
        """Runs by number range, fill and start-time range, paged by the database.

        Ordered by run number; ``fill`` matches nothing when the database
        has no fill information.
        """
        Page.check(page, page_size)
        ri = s.run_info
        conds: list[Any] = []
        if first is not None:
            conds.append(ri.c.run_number >= first)
        if last is not None:
            conds.append(ri.c.run_number <= last)
        if started_from is not None:
            conds.append(ri.c.start_time >= started_from)
        if started_to is not None:
            conds.append(ri.c.start_time <= started_to)
        if fill is not None:
            conds.append(s.run_fill.c.fill_number == fill)
        with self._connect() as conn:
            if not self._has(conn, ri.name) or (fill is not None and not self._has_fills(conn)):
                return Page([], 0, page, page_size)
            query = self._run_select(conn).where(*conds)
            total = conn.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = conn.execute(
                query.order_by(ri.c.run_number).limit(page_size).offset((page - 1) * page_size)
            )
            items = [run_row(row) for row in rows]
        return Page(items, int(total), page, page_size)

    def run(self, number: int) -> RunInfo:
        """One run from RUN_INFO, with its fill number when known."""
        with self._connect() as conn:
            if not self._has(conn, s.run_info.name):
                raise NotFound(
                    f"run {number}: database {self.alias!r} has no run information "
                    "(no RUN_INFO table)"
                )
            query = self._run_select(conn).where(s.run_info.c.run_number == number)
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"run {number} is not in RUN_INFO of database {self.alias!r}")
        return run_row(row)

    def neighbour_runs(self, number: int) -> tuple[int | None, int | None]:
        """The run numbers just before and just after ``number`` in RUN_INFO."""
        ri = s.run_info.c.run_number
        with self._connect() as conn:
            if not self._has(conn, s.run_info.name):
                return None, None
            before = conn.scalar(select(func.max(ri)).where(ri < number))
            after = conn.scalar(select(func.min(ri)).where(ri > number))
        return (
            None if before is None else int(before),
            None if after is None else int(after),
        )

    def newest_run(self, *, ended_by: dt.datetime | None = None) -> RunInfo | None:
        """The highest-numbered run (that had ended by ``ended_by``), or ``None``."""
        ri = s.run_info
        conds = [] if ended_by is None else [ri.c.end_time <= ended_by]
        newest = select(func.max(ri.c.run_number)).where(*conds).scalar_subquery()
        with self._connect() as conn:
            if not self._has(conn, ri.name):
                return None
            row = conn.execute(self._run_select(conn).where(ri.c.run_number == newest)).first()
        return None if row is None else run_row(row)

    def run_near(self, when: dt.datetime, *, after: bool) -> RunInfo | None:
        """The run going on at ``when`` (naive UTC); between runs, the next one
        (``after``) or the one that ended last before it; ``None`` if there is none.

        How a date-time written as a range's end becomes a run on a Run or
        Lumi tag: a range from a date starts at the next run, one until a
        date ends with the previous run.
        """
        ri = s.run_info
        during = [ri.c.start_time <= when, ri.c.end_time >= when]
        if after:
            beyond, order = [ri.c.start_time > when], ri.c.start_time.asc()
        else:
            beyond, order = [ri.c.end_time < when], ri.c.end_time.desc()
        with self._connect() as conn:
            if not self._has(conn, ri.name):
                return None
            base = self._run_select(conn)
            row = conn.execute(base.where(*during).order_by(ri.c.start_time.desc()).limit(1))
            found = (
                row.first() or conn.execute(base.where(*beyond).order_by(order).limit(1)).first()
            )
        return None if found is None else run_row(found)

    def latest_run_end(self) -> dt.datetime | None:
        """When the last run of RUN_INFO ended (``None`` without runs)."""
        with self._connect() as conn:
            if not self._has(conn, s.run_info.name):
                return None
            value = conn.scalar(select(func.max(s.run_info.c.end_time)))
        return optional_datetime(value)

    def waiting_runs(
        self,
        *,
        ended_by: dt.datetime,
        after_run: int | None = None,
        started_after: dt.datetime | None = None,
    ) -> WaitingRuns:
        """Runs ended by ``ended_by`` beyond a point: how many, the first, the earliest end.

        The point is a run number (runs above it) or a time (runs that
        started after it); neither means every run.  What the calibration
        watch asks: how many runs still wait for conditions, since when.
        """
        ri = s.run_info
        conds: list[Any] = [ri.c.end_time <= ended_by]
        if after_run is not None:
            conds.append(ri.c.run_number > after_run)
        if started_after is not None:
            conds.append(ri.c.start_time > started_after)
        query = select(func.count(), func.min(ri.c.run_number), func.min(ri.c.end_time))
        with self._connect() as conn:
            if not self._has(conn, ri.name):
                return WaitingRuns(0, None, None)
            count, first, ended = conn.execute(query.where(*conds)).one()
        return WaitingRuns(
            int(count or 0), None if first is None else int(first), optional_datetime(ended)
        )

    # -- fills ----------------------------------------------------------------

    def fill(self, number: int) -> Fill:
        """One LHC fill with its runs; :class:`NotFound` if unknown (or no fill table)."""
        fills = self._fills_where(s.run_fill.c.fill_number == number)
        if not fills:
            raise NotFound(f"fill {number} is not known in database {self.alias!r}")
        return fills[0]

    def fill_span(self) -> tuple[int, int] | None:
        """The lowest and highest fill number known (``None``: no fill information).

        What an error about an unknown fill can offer instead.
        """
        number = s.run_fill.c.fill_number
        with self._connect() as conn:
            if not self._has_fills(conn):
                return None
            low, high = conn.execute(select(func.min(number), func.max(number))).one()
        return None if low is None else (int(low), int(high))

    def fills_of_runs(self, first: int, last: int) -> list[Fill]:
        """Fills with a run in ``[first, last]``, each with all its runs."""
        rf = s.run_fill
        inside = select(rf.c.fill_number).where(rf.c.run_number.between(first, last))
        return self._fills_where(rf.c.fill_number.in_(inside))

    def fills_between(self, start: dt.datetime, end: dt.datetime) -> list[Fill]:
        """Fills with a run overlapping ``[start, end]``, each with all its runs."""
        ri, rf = s.run_info, s.run_fill
        overlapping = (
            select(rf.c.fill_number)
            .select_from(rf.join(ri, ri.c.run_number == rf.c.run_number))
            .where(ri.c.start_time <= end, ri.c.end_time >= start)
        )
        return self._fills_where(rf.c.fill_number.in_(overlapping))

    def _fills_where(self, condition: Any) -> list[Fill]:
        """Fills (with their runs) of the ``run_fill`` rows matching ``condition``; none
        without fill information."""
        ri, rf = s.run_info, s.run_fill
        query = (
            select(ri.c.run_number, ri.c.start_time, ri.c.end_time, rf.c.fill_number)
            .select_from(rf.join(ri, ri.c.run_number == rf.c.run_number))
            .where(condition)
            .order_by(rf.c.fill_number, ri.c.run_number)
        )
        with self._connect() as conn:
            if not self._has_fills(conn):
                return []
            runs = [run_row(row) for row in conn.execute(query)]
        grouped: dict[int, list[RunInfo]] = {}
        for run in runs:
            grouped.setdefault(int(run.fill_number or 0), []).append(run)
        return [Fill(number, tuple(members)) for number, members in grouped.items()]
