"""PAYLOAD.STREAMER_INFO: which CMSSW release wrote a payload, and how.

CMSSW stores a small JSON text beside each blob::

    {"CMSSW_version": "CMSSW_12_4_11_patch3", "architecture": "slc7_amd64_gcc10",
     "technology": "boost/serialization", "tech_version": "1_78"}

Real files hold it with the odd spacing CMSSW writes (kept by
:func:`streamer_info_text` so the demo writes the same bytes).  Only the
``boost/serialization`` technology is readable; anything else is refused
with a message naming it (ROOT-streamed payloads exist in old CMS files).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Final

from typing_extensions import TypedDict

__all__ = [
    "BOOST",
    "StreamerInfo",
    "StreamerInfoFields",
    "parse_streamer_info",
    "streamer_info_text",
]

BOOST: Final = "boost/serialization"


class StreamerInfoFields(TypedDict):
    """PAYLOAD.STREAMER_INFO: what wrote the blob (empty strings where it says nothing)."""

    release: str
    architecture: str
    technology: str
    tech_version: str
    boost_version: str


@dataclass(frozen=True)
class StreamerInfo:
    """What the STREAMER_INFO of a payload says (empty strings where it says nothing)."""

    release: str = ""
    architecture: str = ""
    technology: str = ""
    tech_version: str = ""
    raw: str = ""

    @property
    def boost_version(self) -> str:
        """``1.78`` from ``tech_version = "1_78"`` (boost technology only)."""
        return self.tech_version.replace("_", ".") if self.technology == BOOST else ""

    @property
    def readable(self) -> bool:
        """Whether the blob is a boost archive (or the info says nothing: the demo's own)."""
        return self.technology in ("", BOOST)

    def as_dict(self) -> StreamerInfoFields:
        """The JSON form shown by the API and ``inspector decode --json``."""
        return {
            "release": self.release,
            "architecture": self.architecture,
            "technology": self.technology,
            "tech_version": self.tech_version,
            "boost_version": self.boost_version,
        }


def parse_streamer_info(raw: bytes | str | None) -> StreamerInfo:
    """Parse STREAMER_INFO leniently: a text that is not JSON keeps only ``raw``.

    Every payload of a tag carries the same few texts, so each is parsed once.
    """
    return _parse(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or ""))


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> StreamerInfo:
    try:
        doc: Any = json.loads(text) if text.strip() else {}
    except ValueError:
        return StreamerInfo(raw=text)
    if not isinstance(doc, dict):
        return StreamerInfo(raw=text)
    return StreamerInfo(
        release=str(doc.get("CMSSW_version", "")),
        architecture=str(doc.get("architecture", "")),
        technology=str(doc.get("technology", "")),
        tech_version=str(doc.get("tech_version", "")),
        raw=text,
    )


def streamer_info_text(release: str, architecture: str, boost_version: str) -> bytes:
    """STREAMER_INFO byte for byte as CMSSW writes it (boost_version like ``1_78``)."""
    return (
        f' {{\n"CMSSW_version": "{release}",\n"architecture": "{architecture}",\n'
        f'"technology": "{BOOST}",\n"tech_version": "{boost_version}"\n }}\n'
    ).encode()
