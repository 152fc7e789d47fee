"""pandas DataFrames of plots, IOV lists and tag lists (pandas is optional).

Physicists continue in pandas what a plot shows, so each plot converts to
the table its CSV holds: the same columns, in the same order, with the same
names (a History's ``since``, ``until``, ``run`` and ``lumi`` decoded from
the since, ``time``, ``payload_hash``, ``insertion_time``, then each series
and its ``<name>_error``; the download also writes each IOV's LHC fill, run
context the plot does not hold).  Labels and units, which the CSV writes in
its comment block, go to ``DataFrame.attrs``.

pandas is imported only when a conversion is asked for: the server and the
command line never need it.  Without it, :func:`require_pandas` raises an
:class:`ImportError` that names the extra to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # only for annotations: frames are made from the objects passed in
    from inspector.conddb.models import IovList, Tag
    from inspector.plots.base import PlotObject

__all__ = ["INSTALL_HINT", "iov_frame", "plot_frame", "require_pandas", "tag_frame"]

#: How to get pandas with a matching version range.
INSTALL_HINT = "pip install 'payload-inspector[notebook]'"


def require_pandas(what: str) -> Any:
    """The ``pandas`` module, or an ImportError saying what needs it and how to install it."""
    try:
        pandas = importlib.import_module("pandas")  # untyped: frames are Any to callers
    except ImportError as exc:
        raise ImportError(
            f"{what} needs pandas, which is not installed: {INSTALL_HINT} (or pip install pandas)"
        ) from exc
    return pandas


def plot_frame(plot: PlotObject) -> Any:
    """The plot's CSV columns as a DataFrame; ``attrs`` hold title, type, units and provenance.

    Built from the plot type's own column list (``csv_columns``, which plot
    types from plugins implement too), so the frame and the CSV never differ.
    Arrays are passed as they are (uint64 since, datetime64 times, float64
    values with NaN for "no value").
    """
    pd = require_pandas(f"{plot.plot_type}.to_pandas()")
    columns = plot.csv_columns()
    frame = pd.DataFrame({c.name: np.asarray(c.values) for c in columns})
    frame.attrs.update(
        {
            "type": plot.plot_type,
            "title": plot.title,
            "units": {c.name: c.unit for c in columns if c.unit},
            "labels": {c.name: c.label for c in columns if c.label},
            "notes": list(plot.notes),
            "provenance": plot.provenance.to_json_dict(),
        }
    )
    return frame


def iov_frame(iovs: IovList) -> Any:
    """One row per IOV: since, until (exclusive), payload hash, insertion time (UTC)."""
    pd = require_pandas("IovList.to_pandas()")
    frame = pd.DataFrame(
        {
            "since": iovs.since,
            "until": iovs.until,
            "payload_hash": iovs.payload_hash,
            "insertion_time": iovs.insertion_time,
        }
    )
    frame.attrs.update(
        {
            "tag": iovs.tag,
            "time_type": iovs.time_type.value,
            "snapshot": None if iovs.snapshot is None else iovs.snapshot.isoformat() + "Z",
        }
    )
    return frame


_TAG_COLUMNS: Sequence[str] = (
    "name",
    "time_type",
    "object_type",
    "synchronization",
    "description",
    "end_of_validity",
    "insertion_time",
    "modification_time",
)


def tag_frame(tags: Iterable[Tag]) -> Any:
    """One row per tag, with its metadata columns."""
    pd = require_pandas("TagList.to_pandas()")
    rows = [
        {
            key: (tag.time_type.value if key == "time_type" else getattr(tag, key))
            for key in _TAG_COLUMNS
        }
        for tag in tags
    ]
    return pd.DataFrame(rows, columns=list(_TAG_COLUMNS))
