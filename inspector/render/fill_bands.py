"""LHC fills as shaded bands behind a history plot (run context, not plot data).

The web layer looks the fills over a plot's range up and passes them as
the ``fills`` render option; plot objects never carry them.  Bands
alternate between two light tints, so neighbouring fills stay apart, and
carry their fill number as a horizontal label along the bottom edge, thinned
to the labels that fit side by side (a year of fills shows a few, a zoom
shows more; never overlapping).  Clicking a band zooms to its fill.  On a
run axis a fill spans ``[first run, last run + 1)``; on a time axis it spans
its runs' wall-clock time.  A legend entry "LHC fills" hides bands and labels
together.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
from bokeh import events
from bokeh.models.annotations import LabelSet
from bokeh.models.callbacks import CustomJS
from bokeh.models.sources import ColumnDataSource

__all__ = [
    "FILL_BANDS",
    "FILL_COLOURS",
    "FILL_FACTS",
    "FILL_LABELS",
    "FillSpan",
    "add_fill_bands",
    "fill_band_edges",
    "fill_facts",
    "fill_of_each",
    "thinned_labels",
]

#: Name of the bands' renderer in the Bokeh document (for pages and tests to find).
FILL_BANDS: Final = "lhc_fills"
#: Alternating band tints (light blue, light sand), drawn under everything.
FILL_COLOURS: Final = ("#d6e4f5", "#f3e6c8")


class FillSpan(Protocol):
    """What a band needs of a fill (:class:`inspector.conddb.Fill` has it)."""

    @property
    def number(self) -> int: ...

    @property
    def first_run(self) -> int: ...

    @property
    def last_run(self) -> int: ...

    @property
    def start(self) -> dt.datetime: ...

    @property
    def end(self) -> dt.datetime: ...


def _ms(when: dt.datetime) -> float:
    """Naive UTC datetime → JavaScript milliseconds."""
    return when.replace(tzinfo=dt.UTC).timestamp() * 1000.0


def fill_band_edges(
    fills: Sequence[FillSpan], kind: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Left and right x of each fill's band on a ``run`` or ``datetime`` axis."""
    if kind == "datetime":
        left = [_ms(f.start) for f in fills]
        right = [_ms(f.end) for f in fills]
    else:
        left = [float(f.first_run) for f in fills]
        right = [float(f.last_run + 1) for f in fills]
    return np.array(left, dtype=np.float64), np.array(right, dtype=np.float64)


#: Name of the data source of the fill labels: a zoom's refinement replaces it
#: (``history_`` sources are what a refinement sends), so labels thin out to the range in view.
FILL_LABELS: Final = "history_fill_labels"
#: Name of the source holding each fill's number, start and end, for the history's hover.
FILL_FACTS: Final = "history_fills"
#: Approximate width of one character of a label, and the space kept between labels (px).
_CHAR_PX: Final = 7.0
_GAP_PX: Final = 14.0


def add_fill_bands(
    fig: Any,
    fills: Sequence[FillSpan],
    kind: str,
    lo: float,
    hi: float,
    view: tuple[float, float] | None = None,
    pixels: int = 900,
) -> None:
    """Shade ``fills`` on ``fig`` within the plotted x range ``[lo, hi]``; label and zoom them.

    Bands are clipped to the range, so they never widen the plot; fills
    entirely outside it are left out.  Labels are horizontal and thinned to
    those that fit side by side in the range in ``view`` (default: the whole
    range) across ``pixels``, so they never overlap.  Clicking a band zooms
    the x range to that fill.
    """
    if not fills or not (math.isfinite(lo) and math.isfinite(hi)):
        return
    ordered = sorted(fills, key=lambda f: f.first_run)
    left, right = fill_band_edges(ordered, kind)
    inside = (right > lo) & (left < hi)
    if not inside.any():
        return
    numbers = np.array([f.number for f in ordered])[inside]
    parity = np.arange(len(ordered))[inside] % 2
    x0, x1 = np.maximum(left[inside], lo), np.minimum(right[inside], hi)
    bands = ColumnDataSource(
        {
            "x0": x0,
            "x1": x1,
            "colour": [FILL_COLOURS[p] for p in parity.tolist()],
            "label": [str(n) for n in numbers.tolist()],
        }
    )
    strips = fig.vstrip(
        x0="x0",
        x1="x1",
        source=bands,
        fill_color="colour",
        line_color=None,
        level="underlay",
        legend_label="LHC fills",
        name=FILL_BANDS,
    )
    x, text = thinned_labels(x0, x1, numbers, view or (lo, hi), pixels)
    labels = LabelSet(
        x="x",
        y=4,
        y_units="screen",
        text="text",
        source=ColumnDataSource({"x": x, "text": text}, name=FILL_LABELS),
        x_offset=3,
        text_font_size="11px",
        text_color="#475467",
        level="underlay",
    )
    fig.add_layout(labels)
    strips.js_link("visible", labels, "visible")
    fig.js_on_event(events.Tap, CustomJS(args={"bands": bands, "xr": fig.x_range}, code=_ZOOM_TO))


#: A click inside a band zooms the x range to that fill (a little margin either side); the
#: page's zoom refinement then draws the fill at full detail and puts it in the address.
_ZOOM_TO: Final = """
const x = cb_obj.x, d = bands.data;
for (let i = 0; i < d.x0.length; i++) {
  if (d.x0[i] <= x && x < d.x1[i]) {
    const pad = 0.03 * (d.x1[i] - d.x0[i]);
    xr.setv({start: d.x0[i] - pad, end: d.x1[i] + pad});
    return;
  }
}
"""


def thinned_labels(
    left: npt.NDArray[np.float64],
    right: npt.NDArray[np.float64],
    numbers: npt.NDArray[Any],
    view: tuple[float, float],
    pixels: int,
) -> tuple[npt.NDArray[np.float64], list[str]]:
    """The labels of the bands ``[left, right)`` that fit side by side in ``view`` (x, text).

    A label starts at its band's left edge (or the left of the view); one that
    would start before the previous label ends is left out, so labels never
    overlap, and more of them appear as the view narrows.
    """
    start, end = view
    scale = pixels / (end - start) if end > start else 0.0
    shown_x: list[float] = []
    shown: list[str] = []
    free = -math.inf
    for x, x_end, number in zip(left.tolist(), right.tolist(), numbers.tolist(), strict=True):
        if x_end <= start:
            continue  # left of the view
        if x >= end:
            break
        text = str(number)
        at = max(x, start)
        px = (at - start) * scale
        if px >= free:
            shown_x.append(at)
            shown.append(text)
            free = px + len(text) * _CHAR_PX + _GAP_PX
    return np.array(shown_x, dtype=np.float64), shown


def fill_of_each(
    fills: Sequence[FillSpan],
    runs: npt.NDArray[np.int64] | None,
    times: npt.NDArray[np.datetime64] | None,
) -> npt.NDArray[np.int32]:
    """For each IOV, the index of its fill in ``fills`` (by run, else by time); -1 for none."""
    if runs is not None:
        first = np.array([f.first_run for f in fills], dtype=np.int64)
        last = np.array([f.last_run for f in fills], dtype=np.int64)
        at = runs
    elif times is not None:
        first = np.array([f.start for f in fills], dtype="datetime64[us]")
        last = np.array([f.end for f in fills], dtype="datetime64[us]")
        at = times.astype("datetime64[us]")
    else:
        return np.zeros(0, dtype=np.int32)
    order = np.argsort(first, kind="stable")
    i = np.searchsorted(first[order], at, side="right") - 1
    found = (i >= 0) & (at <= last[order][np.maximum(i, 0)])
    return np.where(found, order[np.maximum(i, 0)], -1).astype(np.int32)


def fill_facts(fills: Sequence[FillSpan]) -> ColumnDataSource:
    """Each fill's number, start and end (UTC text), indexed as :func:`fill_of_each` counts."""
    return ColumnDataSource(
        {
            "number": [f.number for f in fills],
            "start": [f"{f.start:%Y-%m-%d %H:%M}" for f in fills],
            "end": [f"{f.end:%Y-%m-%d %H:%M}" for f in fills],
        },
        name=FILL_FACTS,
    )
