"""LHC fills as shaded bands behind a history plot (run context, not plot data).

The web layer looks the fills over a plot's range up and passes them as
the ``fills`` render option; plot objects never carry them.  Bands
alternate between two light tints, so neighbouring fills stay apart, and
carry their fill number as a vertical label along the bottom edge (narrow
enough that a year of fills still fits).  On a run axis a fill spans
``[first run, last run + 1)``; on a time axis it spans its runs' wall-clock
time.  A legend entry "LHC fills" hides bands and labels together.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
from bokeh.models.annotations import LabelSet
from bokeh.models.sources import ColumnDataSource

__all__ = ["FILL_BANDS", "FILL_COLOURS", "FillSpan", "add_fill_bands", "fill_band_edges"]

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


def add_fill_bands(fig: Any, fills: Sequence[FillSpan], kind: str, lo: float, hi: float) -> None:
    """Shade ``fills`` on ``fig`` within the plotted x range ``[lo, hi]``.

    Bands are clipped to the range, so they never widen the plot; fills
    entirely outside it are left out.
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
    source = ColumnDataSource(
        {
            "x0": np.maximum(left[inside], lo),
            "x1": np.minimum(right[inside], hi),
            "colour": [FILL_COLOURS[p] for p in parity.tolist()],
            "label": [str(n) for n in numbers.tolist()],
        }
    )
    strips = fig.vstrip(
        x0="x0",
        x1="x1",
        source=source,
        fill_color="colour",
        line_color=None,
        level="underlay",
        legend_label="LHC fills",
        name=FILL_BANDS,
    )
    labels = LabelSet(
        x="x0",
        y=4,
        y_units="screen",
        text="label",
        source=source,
        angle=math.pi / 2,
        x_offset=10,
        text_font_size="9px",
        text_color="#667085",
        level="underlay",
    )
    fig.add_layout(labels)
    strips.js_link("visible", labels, "visible")
