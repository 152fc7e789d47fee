"""A served worker's start-up, finished before its first request: Bokeh warmed, the heap frozen.

Why.  A full collection of Python's cyclic garbage collector walks every
object it tracks, with the GIL held, so no other thread of the process runs
meanwhile: not ``/healthz``, not a cached permalink.  A worker tracks some
250,000 objects once started (the imports, the app, and the model metadata
Bokeh builds lazily at the first render, about 50,000 of them), and walking
them took 130 ms on an idle 2-core machine and up to 1.4 s under the abuse
tests (``tests/abuse.py``: distinct pinned renders, many documents at once,
trigger such collections), which put ``/healthz`` p99 above 250 ms.

Those objects live as long as the process, so the collector has nothing to
find in them.  :func:`settle` first builds what the first request would
build lazily (numba's compiled payload loops, :func:`kernel.warm`, some
50,000 objects; Bokeh's state for a first figure), then moves every object
alive to the collector's permanent generation (:func:`gc.freeze`): later
full collections walk only what came after.  Measured on the demo database:
about 200,000 objects frozen; after a first plot request 1,800 tracked
objects remain outside (52,000 without the warm-up), and a full collection
takes under 5 ms instead of 130 ms.  Objects frozen and freed later are
still freed by reference counting; only a reference cycle among them would
stay, and start-up objects do not become garbage.

Called by ``inspector serve`` in each gunicorn worker once its app is built
(:meth:`inspector.cli.gunicorn_server.InspectorApplication.load`).
"""

from __future__ import annotations

import gc

import numpy as np
from flask import Flask

from inspector.payload.archive import kernel
from inspector.plots import Histogram1D
from inspector.render import json_item_bytes
from inspector.web.state import state

__all__ = ["settle"]


def settle(app: Flask) -> int:
    """Warm the decoder and the renderers of ``app``, freeze the heap; the objects frozen."""
    kernel.warm()
    warm = Histogram1D(title="start-up", edges=np.array([0.0, 1.0, 2.0]), counts=np.ones(2))
    json_item_bytes(warm, state(app).tools.renderers)
    gc.collect()  # garbage of the start-up is freed, not frozen
    gc.freeze()
    return gc.get_freeze_count()
