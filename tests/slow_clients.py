"""Hostile slow clients and the latency of a probe while they hold connections.

A *slowloris* opens many connections and sends a request's headers one line
at a time, never finishing them: a server that gives each connection a
thread once its first byte arrives runs out of threads.  Used by
``tests/reliability/test_slow_clients.py`` (fast and ``make stress`` profiles).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

__all__ = ["ProbeRun", "probe", "slowloris"]

#: A header line sent on every held connection each :data:`DRIP_SECONDS`.
DRIP: Final = b"X-Slow: 1\r\n"
DRIP_SECONDS: Final = 1.0


@dataclass(frozen=True)
class ProbeRun:
    """Latencies (seconds, sorted) of the probe requests and how many failed."""

    latencies: tuple[float, ...]
    errors: int

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (nearest rank) of the latencies."""
        index = min(len(self.latencies) - 1, int(q * len(self.latencies)))
        return self.latencies[index]

    def summary(self) -> str:
        """``n, p50, p99, max, errors`` for test output and the docs' table."""
        return (
            f"{len(self.latencies)} probes, p50 {self.quantile(0.5) * 1e3:.1f} ms, "
            f"p99 {self.quantile(0.99) * 1e3:.1f} ms, max {self.latencies[-1] * 1e3:.1f} ms, "
            f"{self.errors} errors"
        )


@contextlib.contextmanager
def slowloris(origin: str, connections: int) -> Iterator[list[socket.socket]]:
    """``connections`` connections to ``origin``, each sending endless headers, until exit."""
    parts = urlsplit(origin)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    held = [socket.create_connection(address, timeout=5) for _ in range(connections)]
    for sock in held:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")
    stop = threading.Event()

    def drip() -> None:
        while not stop.wait(DRIP_SECONDS):
            for sock in held:
                with contextlib.suppress(OSError):  # the proxy may drop it: that is the point
                    sock.sendall(DRIP)

    dripper = threading.Thread(target=drip, name="slowloris", daemon=True)
    dripper.start()
    try:
        yield held
    finally:
        stop.set()
        dripper.join(timeout=5)
        for sock in held:
            sock.close()


def probe(origin: str, path: str, seconds: float, timeout: float, pause: float = 0.05) -> ProbeRun:
    """GET ``path`` anew every ``pause`` s for ``seconds``, each waiting up to ``timeout``."""
    parts = urlsplit(origin)
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
        )
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            errors += response.status != 200
        except OSError:
            errors += 1
        finally:
            connection.close()
        latencies.append(time.perf_counter() - started)
        time.sleep(pause)
    return ProbeRun(tuple(sorted(latencies)), errors)
