"""A served worker's start-up, finished before its first request: warm, frozen, quick to switch.

Why.  Under a storm of expensive requests (``tests/abuse.py``: distinct
pinned renders at 32 connections) a worker runs four renders at once, and
``/healthz`` or a cached permalink waits for the GIL behind them.  Two
things decide how long:

- **The switch interval.**  A thread that wants the GIL waits up to
  :func:`sys.getswitchinterval` (5 ms by default) before the holder is asked
  to drop it, and a request needs the GIL many times (accept, read, route,
  write, log).  :data:`SWITCH_SECONDS` (0.5 ms) makes each wait ten times
  shorter.  Measured on the 2-core machine, two 20 s runs each: ``/healthz``
  p50 under that abuse 35-93 ms -> 6-11 ms, p99 262-490 ms -> 217-267 ms
  (1 ms gave 266-267 ms, 0.5 ms 217 ms), with as many renders done
  (376-404 against 397-495 in 20 s).
- **Full collections** of the cyclic garbage collector walk every tracked
  object with the GIL held.  A worker tracks some 250,000 once started (the
  imports, the app, and what the first request builds lazily: numba's
  compiled payload loops, about 50,000 objects, and Bokeh's state for a
  first figure).  They live as long as the process, so the collector has
  nothing to find in them: :func:`settle` builds that lazy state now
  (:func:`kernel.warm`, one tiny histogram rendered) and moves every object
  alive to the permanent generation (:func:`gc.freeze`).  Measured on the
  demo database: about 200,000 objects frozen; after a first plot request
  1,800 tracked objects remain outside (52,000 without the warm-up), and a
  full collection takes under 5 ms instead of 130 ms.  (This alone did not
  move the ``/healthz`` tail above: that was the GIL's hand-over; the
  warm-up also spares a worker's first plot numba's 0.5 s.)  Objects frozen
  and freed later are still freed by reference counting; only a reference
  cycle among them would stay, and start-up objects do not become garbage.

Called by ``inspector serve`` in each gunicorn worker once its app is built
(:meth:`inspector.cli.gunicorn_server.InspectorApplication.load`).
"""

from __future__ import annotations

import gc
import sys
from typing import Final

import numpy as np
from flask import Flask

from inspector.payload.archive import kernel
from inspector.plots import Histogram1D
from inspector.render import json_item_bytes
from inspector.web.state import state

__all__ = ["SWITCH_SECONDS", "settle"]

#: How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
SWITCH_SECONDS: Final = 0.0005


def settle(app: Flask) -> int:
    """Warm the decoder and the renderers of ``app``, freeze the heap, shorten the GIL's
    switch interval; the objects frozen."""
    sys.setswitchinterval(SWITCH_SECONDS)
    kernel.warm()
    warm = Histogram1D(title="start-up", edges=np.array([0.0, 1.0, 2.0]), counts=np.ones(2))
    json_item_bytes(warm, state(app).tools.renderers)
    gc.collect()  # garbage of the start-up is freed, not frozen
    gc.freeze()
    return gc.get_freeze_count()
