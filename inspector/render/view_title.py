"""What a picture or a downloaded file says it shows: tag(s), IOV range and snapshot.

A PNG pasted into slides, or a CSV in a download folder, travels without
the page it came from.  So the figure carries a subtitle under its title
(``BeamSpot_v1 · IOVs 379058:1 – 379814:402 · snapshot 2024-06-01T00:00:00Z``)
and every file a name that says the same
(``beamspot.position_x_BeamSpot_v1_379058.1-379814.402_snapshot-20240601T000000Z.png``),
both read from the plot's provenance by :class:`ViewTitle`: the Bokeh
figure (and so the toolbar's save and the PNG export) and the export file
names take them from here, and cannot disagree.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Final

from inspector.conddb.timetypes import format_since
from inspector.plots import History, PlotObject

__all__ = ["ViewTitle"]

#: Characters a file name keeps; any run of others becomes one ``_``.
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")

#: Longest file name stem: far below the 255 bytes file systems allow, room for a suffix.
MAX_STEM: Final = 200


@dataclass(frozen=True)
class ViewTitle:
    """The tags, IOVs (readable) and snapshot of one plot, as a subtitle and as a file name."""

    drawer: str
    tags: tuple[str, ...]
    #: readable since of each IOV read: a history's first and last, a comparison's two
    iovs: tuple[str, ...]
    #: a history's ``iovs`` are a range; other plots' are their inputs
    is_range: bool
    #: the two sides of a comparison as the page names them (``TAG @ 381000``)
    labels: tuple[str, ...]
    snapshot: str | None
    #: the tag's time type (``None``: unknown, sinces shown as raw numbers)
    time_type: str | None = None

    @classmethod
    def of(cls, plot: PlotObject) -> ViewTitle:
        """The title of ``plot`` from its provenance (raw numbers if its time type is unknown)."""
        prov = plot.provenance
        time_type = prov.time_type
        iovs = tuple(format_since(i, time_type) if time_type else str(i) for i in prov.iovs)
        return cls(
            drawer=prov.drawer or plot.plot_type,
            tags=prov.tags,
            iovs=iovs,
            is_range=isinstance(plot, History),
            labels=prov.labels,
            snapshot=prov.snapshot,
            time_type=time_type,
        )

    def within(self, first: int, last: int) -> ViewTitle:
        """The same view over the IOVs ``first`` to ``last`` (sinces): a zoomed history."""
        iovs = tuple(
            format_since(i, self.time_type) if self.time_type else str(i) for i in (first, last)
        )
        return dataclasses.replace(self, iovs=iovs)

    def subtitle(self) -> str:
        """``TAG · IOVs A – B · snapshot S``; empty for a plot that names no tag."""
        if not self.tags:
            return ""
        return " · ".join((*self._what(), f"snapshot {self.snapshot or 'latest (not pinned)'}"))

    def _what(self) -> tuple[str, ...]:
        """Which data: the tag and range, the tag and IOV, or the two sides compared."""
        if self.labels:
            inputs = " vs ".join(self.labels)
            return (inputs,) if len(self.tags) > 1 else (self.tags[0], inputs)
        if not self.iovs:
            return (", ".join(self.tags),)
        first, last = self.iovs[0], self.iovs[-1]
        if self.is_range and first != last:
            return (", ".join(self.tags), f"IOVs {first} – {last}")
        return (", ".join(self.tags), f"IOV {first}")

    def file_stem(self) -> str:
        """``<drawer>_<tag>_<since>-<until>[_snapshot-<time>]``: what a download is called.

        Lumi sinces read ``run.lumisection``, times and the snapshot
        ``20240601T000000Z``; anything a file system could refuse is ``_``.
        """
        parts = [self.drawer]
        iovs = [_safe(iov) for iov in self.iovs]
        if len(self.tags) > 1 and len(iovs) == len(self.tags):  # one IOV of each tag
            parts.append("_vs_".join(f"{t}_{i}" for t, i in zip(self.tags, iovs, strict=True)))
        else:
            parts += self.tags
            if self.is_range and len(set(iovs)) > 1:
                parts.append(f"{iovs[0]}-{iovs[-1]}")
            elif iovs:
                parts.append("_vs_".join(dict.fromkeys(iovs)))
        if self.snapshot:
            parts.append(f"snapshot-{_compact_time(self.snapshot)}")
        return _UNSAFE.sub("_", "_".join(parts))[:MAX_STEM]

    def file_name(self, extension: str, qualifier: str = "") -> str:
        """The stem, ``.qualifier`` if any (one series of a history), then ``.extension``."""
        suffix = "." + _UNSAFE.sub("_", qualifier) if qualifier else ""
        return f"{self.file_stem()}{suffix}.{extension}"


def _safe(since: str) -> str:
    """A readable since as a file name part: ``379058:1`` → ``379058.1``, times compacted."""
    if "T" in since:
        return _compact_time(since)
    return since.replace(":", ".")


def _compact_time(iso: str) -> str:
    """``2024-06-01T00:00:00.000000Z`` → ``20240601T000000Z`` (seconds are enough in a name)."""
    date, _, clock = iso.partition("T")
    return date.replace("-", "") + "T" + clock[:8].replace(":", "") + "Z"
