"""Telling observers how long each plot took, without the engine knowing who listens.

The web layer turns these observations into a Prometheus histogram by drawer
(:mod:`inspector.web.ops.metrics`); the engine only measures.  The drawer is
reported as the request named it: the listener closes its own label set
(an unknown drawer counts there as ``other``), so the rule lives in one place.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from inspector.request import PlotRequest

__all__ = ["PlotObserver", "observed"]

#: ``observer(drawer, seconds, ok)``: one plot computation, successful or not.
PlotObserver = Callable[[str, float, bool], None]

P = ParamSpec("P")
R = TypeVar("R")


class _Observable(Protocol):
    plot_observers: list[PlotObserver]


E = TypeVar("E", bound=_Observable)


def observed(
    method: Callable[Concatenate[E, PlotRequest, P], R],
) -> Callable[Concatenate[E, PlotRequest, P], R]:
    """Wrap ``Engine.plot``: time each call and tell every ``plot_observers`` entry."""

    @functools.wraps(method)
    def timed(self: E, request: PlotRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        ok = False
        try:
            result = method(self, request, *args, **kwargs)
            ok = True
            return result
        finally:
            if self.plot_observers:
                seconds = time.perf_counter() - started
                for observer in self.plot_observers:
                    observer(request.drawer, seconds, ok)

    return timed
