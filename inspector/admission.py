"""Admission before work: a fixed number of slots for expensive work, refused at once beyond.

A cold plot, a PNG or a diff of big tags ties up a drawer worker, the
browser or the database for a second or more.  Letting every such request
wait for a free worker turns a burst into a queue of parked request threads,
and then nothing is answered at all (``/healthz`` included).  An
:class:`Admission` is a non-blocking semaphore: :meth:`Admission.enter`
takes a slot or raises :class:`~inspector.errors.Overloaded` (a 503 with
``Retry-After``) immediately, and counts the refusal for ``/metrics``.

Cheap answers (cache hits, ``/healthz``) never pass a gate, so they stay
fast while every slot is taken; work bounded by its own pool (background
jobs) runs :meth:`Admission.exempt`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from inspector.errors import Overloaded

__all__ = ["Admission", "RefusalListener"]

#: ``listener(gate)``: told of each refusal (the metrics counter).
RefusalListener = Callable[[str], None]


class Admission:
    """At most ``slots`` holders at once; one more is refused, never queued."""

    def __init__(self, gate: str, slots: int, what: str) -> None:
        if slots < 1:
            raise ValueError(f"admission {gate!r}: slots must be at least 1, not {slots}")
        self.gate = gate
        self.slots = slots
        self._what = what
        self._free = threading.Semaphore(slots)
        self._lock = threading.Lock()
        self._held = 0
        self._refused = 0
        self._listeners: list[RefusalListener] = []
        self._local = threading.local()  # this thread's slot depth (see enter)

    @property
    def held(self) -> int:
        """Slots taken now."""
        with self._lock:
            return self._held

    @property
    def refused(self) -> int:
        """Requests refused since start."""
        with self._lock:
            return self._refused

    def add_listener(self, listener: RefusalListener) -> None:
        """Call ``listener(gate)`` at every refusal."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    @contextmanager
    def exempt(self) -> Iterator[None]:
        """Let this thread's work in the ``with`` block pass the gate without a slot.

        For work bounded elsewhere: a background job runs on the job pool's
        own threads (``[jobs] workers``), so the reads and renders under it
        must not be refused because requests hold every slot.
        """
        depth: int = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth

    @contextmanager
    def enter(self) -> Iterator[None]:
        """Hold a slot for the ``with`` block, or raise :class:`Overloaded` at once.

        Re-entrant per thread: a request already holding a slot (rendering a
        plot whose object it is computing) passes again without a second one,
        so one request never refuses itself.
        """
        depth: int = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        if not self._free.acquire(blocking=False):
            with self._lock:
                self._refused += 1
            for listener in self._listeners:
                listener(self.gate)
            raise Overloaded(
                f"all {self.slots} slots for {self._what} are taken; "
                f"try again in {Overloaded.retry_after} s"
            )
        with self._lock:
            self._held += 1
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._lock:
                self._held -= 1
            self._free.release()
