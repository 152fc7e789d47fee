"""Running drawer code: on worker threads, within a time limit, its failures named.

A drawer is plugin code: it may raise anything, return the wrong thing, or
never return.  The engine hands every call to a :class:`DrawerRunner`, which
runs it on its pool with the drawer's limit (the drawer's own ``timeout``,
else the engine's) and turns every failure into a
:class:`~inspector.errors.DrawerError` naming the drawer.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from inspector.drawers import Drawer
from inspector.errors import (
    BadRequest,
    DrawerError,
    InspectorError,
    NotFound,
    PayloadDecodeError,
)
from inspector.plots import PlotObject

__all__ = ["DrawerRunner"]


class DrawerRunner:
    """A pool of drawer threads; a worker stuck past its limit is replaced, not awaited."""

    def __init__(self, workers: int, default_timeout: float) -> None:
        self.workers = workers
        self.default_timeout = default_timeout
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(
            max_workers=self.workers, thread_name_prefix="drawer"
        )

    def close(self) -> None:
        """Stop taking work; what runs finishes in the background."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run(
        self,
        drawer: Drawer,
        call: Callable[[], Any],
        *,
        expect_plot: bool = True,
        limit: float | None = None,
    ) -> Any:
        """Run drawer code on the pool with its time limit; wrap its failures."""
        limit = limit or drawer.timeout or self.default_timeout
        started = threading.Event()

        def timed() -> Any:
            started.set()
            try:
                return call()
            except Exception:
                raise
            except BaseException as exc:  # SystemExit from a plugin's argparse, ...
                raise DrawerError(drawer.name, f"{type(exc).__name__}: {exc}") from None

        future = self._pool.submit(timed)
        # The limit counts from when the drawer starts, not while it queues.
        if not started.wait(timeout=max(limit, 5.0)):
            future.cancel()
            raise DrawerError(
                drawer.name,
                f"no drawer worker became free in time ({self.workers} busy); try again shortly",
            )
        try:
            result = future.result(timeout=limit)
        except concurrent.futures.TimeoutError:
            self._retire_pool()
            raise DrawerError(drawer.name, f"ran past its time limit of {limit:g} s") from None
        except (BadRequest, NotFound, PayloadDecodeError, DrawerError):
            raise
        except InspectorError as exc:
            raise DrawerError(drawer.name, f"{exc.title}: {exc}") from None
        except MemoryError as exc:
            raise DrawerError(drawer.name, f"MemoryError: {exc}") from None
        except Exception as exc:
            raise DrawerError(drawer.name, f"{type(exc).__name__}: {exc}") from None
        if expect_plot and not isinstance(result, PlotObject):
            raise DrawerError(drawer.name, f"returned {type(result).__name__}, not a plot object")
        return result

    def _retire_pool(self) -> None:
        """A worker stuck past its limit is lost: new work goes to a fresh pool.

        Python cannot stop a running thread; the old pool finishes what it
        holds in the background, and good drawers are never starved by it.
        """
        with self._lock:
            old = self._pool
            self._pool = self._new_pool()
        old.shutdown(wait=False, cancel_futures=False)
