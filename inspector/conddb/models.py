"""Plain records returned by the conditions-database queries.

IOV lists are columnar (numpy arrays), because the engine joins thousands of
them with per-payload results in one vectorised step; everything else is a
small frozen dataclass.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from inspector.conddb.timetypes import TimeType, format_since
from inspector.distinct import compact_codes, distinct_codes
from inspector.errors import InvalidParameter, NotFound
from inspector.memory import fields_nbytes

__all__ = [
    "OPEN_SNAPSHOT_FROM",
    "GlobalTag",
    "GlobalTagEntry",
    "Iov",
    "IovList",
    "Page",
    "Payload",
    "PayloadInfo",
    "Tag",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Tag:
    """A tag: a named sequence of IOVs of one payload type."""

    name: str
    time_type: TimeType
    object_type: str
    synchronization: str
    end_of_validity: int
    description: str
    last_validated_time: int
    insertion_time: dt.datetime
    modification_time: dt.datetime

    @property
    def end(self) -> int:
        """End of the last IOV: the end of validity, or the largest since."""
        eov = self.end_of_validity
        return eov if 0 < eov < self.time_type.max_since else self.time_type.max_since


@dataclass(frozen=True)
class Iov:
    """One interval of validity: ``[since, until)`` served by ``payload_hash``."""

    since: int
    until: int
    payload_hash: str
    insertion_time: dt.datetime


@dataclass(frozen=True)
class IovList:
    """The IOVs of a tag in a range, as parallel arrays ordered by ``since``.

    ``until[i]`` is ``since[i + 1]`` (exclusive end); the last one ends at the
    next IOV outside the range or at the tag's end of validity.  Payload
    hashes are stored once each: ``hashes`` holds the distinct ones, sorted,
    and ``codes[i]`` the index of IOV i's hash in it (a million IOVs share
    some ten thousand payloads: 4 bytes per IOV instead of 160).
    """

    tag: str
    time_type: TimeType
    since: npt.NDArray[np.uint64]
    until: npt.NDArray[np.uint64]
    hashes: npt.NDArray[np.str_]
    codes: npt.NDArray[np.int32]
    insertion_time: npt.NDArray[np.datetime64]
    snapshot: dt.datetime | None = None

    @classmethod
    def from_hashes(
        cls,
        tag: str,
        time_type: TimeType,
        since: npt.NDArray[np.uint64],
        until: npt.NDArray[np.uint64],
        payload_hash: npt.NDArray[Any],
        insertion_time: npt.NDArray[np.datetime64],
        snapshot: dt.datetime | None = None,
    ) -> IovList:
        """An IOV list from one hash per IOV (coded here)."""
        hashes, codes = distinct_codes(np.asarray(payload_hash, dtype=np.str_))
        return cls(tag, time_type, since, until, hashes, codes, insertion_time, snapshot)

    def __len__(self) -> int:
        return int(self.since.size)

    @property
    def nbytes(self) -> int:
        """Memory held, arrays first (what the byte-bounded IOV-list cache charges).

        About 28 bytes per IOV plus 160 per distinct payload: 1.2 million IOVs
        of 12,004 payloads hold 35 MiB (one hash string per IOV held 218 MiB).
        """
        return fields_nbytes(self)

    @property
    def payload_hash(self) -> npt.NDArray[np.str_]:
        """One hash per IOV, built on each call (160 bytes per IOV: prefer ``codes``)."""
        return self.hashes[self.codes]

    def hash_at(self, i: int) -> str:
        """The payload hash of IOV ``i``."""
        return str(self.hashes[self.codes[i]])

    def __iter__(self) -> Iterator[Iov]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, i: int) -> Iov:
        when = self.insertion_time[i].astype("datetime64[us]").astype(dt.datetime)
        return Iov(int(self.since[i]), int(self.until[i]), self.hash_at(i), when)

    def covering(self, since: int) -> Iov:
        """The IOV valid at ``since``; :class:`NotFound` if none is."""
        i = int(np.searchsorted(self.since, np.uint64(since), side="right")) - 1
        if i < 0 or since >= int(self.until[i]):
            what = format_since(since, self.time_type)
            raise NotFound(f"tag {self.tag!r} has no IOV valid at {what}")
        return self[i]

    def distinct_hashes(self) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.int32]]:
        """Distinct payload hashes used by these IOVs and, per IOV, the index of its hash."""
        return compact_codes(self.hashes, self.codes)

    def select(self, keep: npt.NDArray[np.bool_]) -> IovList:
        """The IOVs where ``keep`` is true (``until`` unchanged), hashes kept to those used."""
        picked = dataclasses.replace(
            self,
            since=self.since[keep],
            until=self.until[keep],
            codes=self.codes[keep],
            insertion_time=self.insertion_time[keep],
        )
        hashes, codes = picked.distinct_hashes()
        return dataclasses.replace(picked, hashes=hashes, codes=codes)

    def to_pandas(self) -> Any:
        """One row per IOV as a pandas DataFrame (see :mod:`inspector.frames`; needs pandas)."""
        from inspector.frames import iov_frame

        return iov_frame(self)


@dataclass(frozen=True)
class PayloadInfo:
    """Payload metadata without the blob."""

    hash: str
    object_type: str
    version: str
    size: int
    insertion_time: dt.datetime
    #: PAYLOAD.STREAMER_INFO: which release and technology wrote the blob
    streamer_info: bytes = b""


@dataclass(frozen=True)
class Payload:
    """A payload with its blob."""

    hash: str
    object_type: str
    version: str
    data: bytes
    streamer_info: bytes
    insertion_time: dt.datetime


#: Snapshot times from here on mean "no snapshot": CMS gives the global tags
#: of running workflows (HLT, express, prompt) the snapshot 2999-12-31
#: 23:59:59 so that they see every upload.
OPEN_SNAPSHOT_FROM: Final = dt.datetime(2999, 1, 1)


@dataclass(frozen=True)
class GlobalTag:
    """A global tag: a named set of record → tag choices."""

    name: str
    validity: int
    description: str
    release: str
    insertion_time: dt.datetime
    snapshot_time: dt.datetime

    @property
    def sees_every_upload(self) -> bool:
        """Whether the snapshot is the far-future "no snapshot" of a running workflow's tag."""
        return self.snapshot_time >= OPEN_SNAPSHOT_FROM


@dataclass(frozen=True)
class GlobalTagEntry:
    """One line of a global tag: (record, label) → tag."""

    record: str
    label: str
    tag_name: str


#: The largest page any listing gives.
MAX_PAGE_SIZE: Final = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing, with the total so nothing is truncated silently."""

    items: Sequence[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one, even when empty)."""
        return max(1, -(-self.total // self.page_size))

    @staticmethod
    def check(page: int, page_size: int) -> None:
        """Refuse a page number below 1 or a size outside 1..MAX_PAGE_SIZE, naming it."""
        if page < 1:
            raise InvalidParameter("page", f"{page} is not a page number (1, 2, ...)")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidParameter("page_size", f"{page_size} is not within 1..{MAX_PAGE_SIZE}")

    def require_exists(self, what: str) -> None:
        """Raise :class:`NotFound` when a page past the end was asked for."""
        if self.page > self.pages:
            raise NotFound(f"{what}: page {self.page} is past the last page ({self.pages})")
