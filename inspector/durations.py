"""Durations as people say them: the one formatter of run lengths, lags and waits.

A lag of 2158.3 hours means nothing at a glance; "89 d 22 h" does.  Every
page and message that shows a duration (run and fill lengths, the watch's
lag, its reasons) formats it here, so they all read the same way.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["duration_text"]


def duration_text(delta: dt.timedelta) -> str:
    """``45 min``, ``3 h 05 min``, ``89 d 22 h``: the two largest units that matter.

    Under an hour, minutes; under a day, hours and minutes; from a day on,
    days and hours (minutes no longer matter).  Rounded down, so a run that
    lasted 59 min 59 s is "59 min"; a negative duration is a bug upstream.
    """
    seconds = int(delta.total_seconds())
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {delta}")
    minutes = seconds // 60
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    if days:
        return f"{days} d {hour} h"
    if hours:
        return f"{hours} h {minute:02d} min"
    return f"{minute} min"
