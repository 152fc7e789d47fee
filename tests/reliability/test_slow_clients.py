"""Slow clients against the production shape: nginx (as docs/deploy.md configures it) in front.

``inspector serve`` runs gunicorn's threaded workers: once a connection has
sent its first byte it holds a thread until its headers are complete, so 40
slowloris connections hold the 16 threads of two workers and nothing else is
answered (measured without a proxy: ``/healthz`` waits for 30 s and more;
``make stress`` measures it again).  nginx, configured by the very block the
deployment guide shows, buffers each request and passes it on only once it is
complete, so the server never sees the slow clients.

Fast profile: 40 slowloris connections for 6 s through the proxy; every
``/healthz`` probe answers 200 and none waits a second (blocked, they would
wait the whole run).  ``make stress`` (``INSPECTOR_STRESS=1``): 60 s, past
nginx's ``client_header_timeout`` (the slow connections are dropped), and the
same slowloris straight at gunicorn for the documented comparison.
The measured latencies are printed (``-s``) for docs/reliability.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import pytest
from live_servers import inspector_server, nginx_proxy, require
from slow_clients import probe, slowloris

STRESS: Final = os.environ.get("INSPECTOR_STRESS") == "1"
SECONDS: Final = 60.0 if STRESS else 6.0
CONNECTIONS: Final = 40
#: A probe blocked behind the slow clients waits the whole run; a served one, milliseconds.
BLOCKED: Final = 1.0


def _port(origin: str) -> int:
    return int(origin.rsplit(":", 1)[1])


def test_a_slowloris_through_the_proxy_leaves_healthz_answering(
    config: Path, tmp_path: Path
) -> None:
    require("nginx")
    with (
        inspector_server(config, tmp_path, ["--workers", "2"]) as server,
        nginx_proxy(tmp_path / "nginx", _port(server.origin)) as proxy,
    ):
        assert proxy.get("/api/v1/tags")[0] == 200  # the guide's block really proxies
        with slowloris(proxy.origin, CONNECTIONS):
            run = probe(proxy.origin, "/healthz", SECONDS, timeout=SECONDS)
        print(f"\nslowloris x{CONNECTIONS} through nginx, {SECONDS:.0f} s: {run.summary()}")
        assert run.errors == 0, run.summary()
        assert run.latencies[-1] < BLOCKED, run.summary()
        assert server.get("/healthz", timeout=5)[0] == 200


@pytest.mark.skipif(not STRESS, reason="the comparison without a proxy waits 30 s (make stress)")
def test_without_a_proxy_the_slowloris_holds_every_thread(config: Path, tmp_path: Path) -> None:
    """The limitation the proxy removes: probes wait (or time out) behind the slowloris."""
    with inspector_server(config, tmp_path, ["--workers", "2"]) as server:
        with slowloris(server.origin, CONNECTIONS):
            run = probe(server.origin, "/healthz", 30.0, timeout=30.0)
        print(f"\nslowloris x{CONNECTIONS} straight at gunicorn, 30 s: {run.summary()}")
        assert run.errors > 0 or run.latencies[-1] > BLOCKED, run.summary()
