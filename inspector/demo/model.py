"""What each demo content hands to the builder: a tag, its IOV rows, its payloads.

Content modules (beam spot, strips, ...) know physics and calendars but not
databases; the builder knows databases but no physics.  This module is the
small contract between them, kept apart so that neither side imports the
other.  Payload values are produced lazily, one payload at a time, because a
strip-noise payload alone is ~9.3 million values: holding all of a tag's
payloads in memory at once would cost gigabytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt

from inspector.conddb.timetypes import TimeType

__all__ = [
    "DATETIME_DTYPE",
    "LEGACY_RELEASE",
    "RUN3_RELEASE",
    "DemoTag",
    "IovTable",
    "PayloadSource",
    "Release",
    "SharedPayload",
    "TagInfo",
    "content_rng",
    "payload_rng",
]

#: Every demo time is naive UTC with one-second resolution.
DATETIME_DTYPE: Final = np.dtype("datetime64[s]")

SINCE_DTYPE: Final = np.dtype("<u8")
INDEX_DTYPE: Final = np.dtype("<i8")

Times: TypeAlias = npt.NDArray[np.datetime64]


def content_rng(seed: int, content: str) -> np.random.Generator:
    """An independent random stream per content, stable whatever the build order.

    Keyed by the content's name (not by a running counter), so adding a new
    content or reordering the build never changes what the others produce.
    """
    key = zlib.crc32(content.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([seed, key]))


def payload_rng(base: int, index: int) -> np.random.Generator:
    """The stream of payload ``index`` of a lazily generated tag.

    Lazy payloads may be generated in any order (or only some of them), so
    each one draws from its own stream instead of a shared sequential one.
    """
    return np.random.default_rng(np.random.SeedSequence([base, index]))


@dataclass(frozen=True)
class Release:
    """The CMSSW release a demo payload claims to be written by (its STREAMER_INFO).

    The boost library version goes into the archive header, as the real
    release's boost wrote it (the pairs seen in real CMS files).
    """

    cmssw: str
    architecture: str
    boost: str  # as STREAMER_INFO spells it: "1_78"
    library_version: int


#: What writes the Run 3 demo conditions (boost 1.78: archive library version 19).
RUN3_RELEASE: Final = Release("CMSSW_13_0_17", "el8_amd64_gcc11", "1_78", 19)
#: What wrote Run 2 era payloads (boost 1.57: archive library version 11).
LEGACY_RELEASE: Final = Release("CMSSW_7_6_3_patch2", "slc6_amd64_gcc493", "1_57", 11)


@dataclass(frozen=True)
class TagInfo:
    """The TAG row of a demo tag, minus the times the builder derives.

    ``version`` picks a flat layout's version; payloads of a CMSSW archive
    layout are written with PAYLOAD.VERSION ``dummy``, as CMSSW does, and a
    STREAMER_INFO naming ``release``.
    """

    name: str
    time_type: TimeType
    object_type: str
    version: int
    synchronization: str
    description: str
    release: Release = RUN3_RELEASE


@dataclass(frozen=True, eq=False)
class IovTable:
    """IOV rows of one tag as parallel arrays.

    ``payload[i]`` is an index into the tag's own payload list (not a hash:
    hashes only exist once the builder has encoded the payloads).  Two rows
    may share a ``since`` when a later insertion corrects an earlier one.
    """

    since: npt.NDArray[np.uint64]
    payload: npt.NDArray[np.int64]
    inserted: Times

    def __post_init__(self) -> None:
        since = np.asarray(self.since, dtype=SINCE_DTYPE)
        payload = np.asarray(self.payload, dtype=INDEX_DTYPE)
        inserted = np.asarray(self.inserted, dtype=DATETIME_DTYPE)
        if not since.ndim == payload.ndim == inserted.ndim == 1:
            raise ValueError("IOV columns must be one-dimensional")
        if not since.size == payload.size == inserted.size:
            raise ValueError("IOV columns differ in length")
        keys = np.stack([since.view(np.int64), inserted.view(np.int64)], axis=1)
        if np.unique(keys, axis=0).shape[0] != since.size:
            raise ValueError("two IOV rows share since and insertion time")
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "payload", payload)
        object.__setattr__(self, "inserted", inserted)

    def __len__(self) -> int:
        return int(self.since.size)

    def first_use(self, payload_count: int) -> Times:
        """Earliest insertion time of an IOV using each payload.

        A payload must exist before an IOV points at it, so the builder
        inserts each payload at (just before) this time.
        """
        first = np.full(payload_count, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, self.payload, self.inserted.view(np.int64))
        return first.view(DATETIME_DTYPE)


@dataclass(frozen=True)
class SharedPayload:
    """A payload already written by an earlier tag (its tag name and index there)."""

    tag: str
    index: int


PayloadSource: TypeAlias = Callable[[int], "Mapping[str, Any] | SharedPayload"]


@dataclass(frozen=True, eq=False)
class DemoTag:
    """A complete demo tag: metadata, IOV rows and a lazy payload factory.

    ``payload(i)`` returns the field values of payload ``i`` (for
    :func:`inspector.payload.encode`) or a :class:`SharedPayload` pointing at
    a payload of a tag built earlier; it is called once per index, in order.
    """

    info: TagInfo
    iovs: IovTable
    payload_count: int
    payload: PayloadSource

    def __post_init__(self) -> None:
        used = np.zeros(self.payload_count, dtype=bool)
        index = self.iovs.payload
        if index.size and (index.min() < 0 or index.max() >= self.payload_count):
            raise ValueError(f"{self.info.name}: IOV refers to a payload out of range")
        used[index] = True
        if not used.all():
            raise ValueError(f"{self.info.name}: payload {int(np.argmin(used))} has no IOV")
