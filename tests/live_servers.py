"""Real servers for tests and benchmarks: ``redis-server``, ``inspector serve`` and nginx.

``inspector worker`` (queue workers) runs beside them, listening on no port.
Each server runs as its own process on a free 127.0.0.1 port, in a folder the caller
owns (a pytest ``tmp_path``), and is stopped by its context manager whatever
happens.  Nothing listens beyond loopback and nothing persists: Redis runs
with saving and the append-only file switched off.

Used by ``tests/unit/inspector/engine/test_shared_cache.py``, the web and
serving tests, and ``benchmarks/bench_serve.py`` (which puts ``tests/`` on
its path).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "HttpServer",
    "QueueWorker",
    "RedisServer",
    "deploy_nginx_block",
    "free_port",
    "get",
    "inspector_server",
    "inspector_worker",
    "nginx_config",
    "nginx_proxy",
    "redis_server",
    "require",
]

#: An opener without proxies: ``http_proxy`` must not send loopback requests elsewhere.
_DIRECT: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(RuntimeError):
    """A server did not start, with the end of its output."""


def require(program: str) -> str:
    """The path of a Debian program the tests drive; a clear error when missing."""
    path = shutil.which(program)
    if path is None:
        raise ServerError(
            f"{program} is not installed: `make system-deps` installs the Debian packages "
            "the tests drive (see DEBIAN_PACKAGES in the Makefile)"
        )
    return path


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(
    url: str, timeout: float = 30.0, headers: Mapping[str, str] | None = None
) -> tuple[int, bytes]:
    """Status and body of one GET (HTTP errors are answers, not exceptions)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# -- Redis -------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A ``redis-server`` on loopback that tests may kill and start again on the same port."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    #: ``requirepass`` of the server (``None``: no password).
    password: str | None = None

    @property
    def url(self) -> str:
        """The ``redis_url`` of the configuration."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server and wait until it answers PING."""
        log = self.folder / "redis.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    require("redis-server"),
                    "--port", str(self.port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(self.folder),
                    "--protected-mode", "yes",
                    *(["--requirepass", self.password] if self.password else []),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"redis-server exited:\n{_tail(log)}")
            if self._pong():
                return
            time.sleep(0.05)
        raise ServerError(f"redis-server did not answer within 20 s:\n{_tail(log)}")

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                if self.password:  # answered -NOAUTH otherwise: up, but not a PONG
                    sock.sendall(f"AUTH {self.password}\r\n".encode())
                    sock.recv(16)
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Kill the server at once (SIGKILL): connections break mid-use."""
        if self.process is not None:
            _stop(self.process, signal.SIGKILL)
            self.process = None

    def flush(self) -> None:
        """Forget every key (FLUSHALL)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            assert sock.recv(16).startswith(b"+OK")


@contextlib.contextmanager
def redis_server(folder: Path, password: str | None = None) -> Iterator[RedisServer]:
    """A running Redis in ``folder`` (requiring ``password`` when given); killed on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    server = RedisServer(folder, free_port(), password=password)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# -- inspector serve ---------------------------------------------------------------------------


@dataclass
class HttpServer:
    """A server process under test and where it listens."""

    process: subprocess.Popen[bytes]
    origin: str
    log: Path

    def get(self, path: str, timeout: float = 30.0, **headers: str) -> tuple[int, bytes]:
        """Status and body of ``GET path``."""
        return get(self.origin + path, timeout, headers)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output, for failure messages."""
        return _tail(self.log, lines)

    def computed(self, drawer: str) -> float:
        """Plots of ``drawer`` this server's processes computed (``/metrics``, summed)."""
        from prometheus_client.parser import text_string_to_metric_families

        status, body = self.get("/metrics")
        assert status == 200, status
        for family in text_string_to_metric_families(body.decode()):
            if family.name == "inspector_plot_compute_seconds":
                return sum(
                    s.value
                    for s in family.samples
                    if s.name.endswith("_count") and s.labels.get("drawer") == drawer
                )
        return 0.0


@contextlib.contextmanager
def inspector_server(
    config: Path, folder: Path, args: Sequence[str] = (), command: Sequence[str] | None = None
) -> Iterator[HttpServer]:
    """``inspector --config CONFIG serve --port P ARGS`` until ``/healthz`` answers.

    ``command`` replaces the ``inspector`` executable (e.g. a launcher script
    that adds a test plugin); the configuration and serve arguments follow it.
    """
    port = free_port()
    exe = [str(Path(sys.executable).with_name("inspector"))] if command is None else [*command]
    log = folder / f"server-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*exe, "--config", str(config), "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
            env=env,
        )
    server = HttpServer(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(server, "the server", 90)
        yield server
    finally:
        _stop(process)


@dataclass
class QueueWorker:
    """An ``inspector worker`` process under test."""

    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        """The end of the worker's output, for failure messages."""
        return _tail(self.log, lines)


#: What ``inspector worker`` logs once it listens on its queues.
WORKER_READY: Final = "takes jobs from"


@contextlib.contextmanager
def inspector_worker(
    config: Path, folder: Path, args: Sequence[str] = (), command: Sequence[str] | None = None
) -> Iterator[QueueWorker]:
    """``inspector --config CONFIG worker ARGS`` until it listens; SIGTERM (then SIGKILL) on exit.

    ``command`` replaces the ``inspector`` executable, as for :func:`inspector_server`.
    """
    exe = [str(Path(sys.executable).with_name("inspector"))] if command is None else [*command]
    log = folder / f"worker-{len(list(folder.glob('worker-*.log')))}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*exe, "--config", str(config), "worker", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    worker = QueueWorker(process, log)
    try:
        deadline = time.monotonic() + 90
        while WORKER_READY not in log.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None:
                raise ServerError(f"the worker exited ({process.returncode}):\n{worker.log_tail()}")
            if time.monotonic() > deadline:
                raise ServerError(f"the worker did not start within 90 s:\n{worker.log_tail()}")
            time.sleep(0.05)
        yield worker
    finally:
        _stop(process)


def _wait_healthy(server: HttpServer, what: str, seconds: float) -> None:
    """Wait until ``server`` answers ``/healthz``; its log in the error if it exits or hangs."""
    deadline = time.monotonic() + seconds
    while True:
        if server.process.poll() is not None:
            raise ServerError(f"{what} exited ({server.process.returncode}):\n{server.log_tail()}")
        with contextlib.suppress(OSError):
            if server.get("/healthz", timeout=2)[0] == 200:
                return
        if time.monotonic() > deadline:
            raise ServerError(f"{what} did not answer within {seconds:.0f} s:\n{server.log_tail()}")
        time.sleep(0.05)


# -- nginx in front ----------------------------------------------------------------------------

#: The deployment guide whose ``nginx`` block is the proxy configuration tested here.
DEPLOY_GUIDE: Final = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"
_DOC_UPSTREAM: Final = "server 127.0.0.1:8000;"
_DOC_LISTEN: Final = "listen 443 ssl;"


def deploy_nginx_block(guide: Path = DEPLOY_GUIDE) -> str:
    """The first ```` ```nginx ```` block of the deployment guide: what users copy."""
    text = guide.read_text(encoding="utf-8")
    start = text.index("```nginx\n") + len("```nginx\n")
    return text[start : text.index("```", start)]


def nginx_config(folder: Path, listen: int, upstream: int) -> str:
    """A whole ``nginx.conf``: the guide's block as written, on loopback ports, in ``folder``.

    Only the listening address (no TLS on loopback) and the upstream's port
    change; everything else, the slow-client timeouts first, is the guide's.
    """
    block = deploy_nginx_block()
    if _DOC_LISTEN not in block or _DOC_UPSTREAM not in block:
        raise ServerError(f"{DEPLOY_GUIDE}: the nginx block lost {_DOC_LISTEN!r} or its upstream")
    block = block.replace(_DOC_LISTEN, f"listen 127.0.0.1:{listen};")
    block = block.replace(_DOC_UPSTREAM, f"server 127.0.0.1:{upstream};")
    temp = folder / "nginx-temp"
    temp.mkdir(parents=True, exist_ok=True)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    paths = "\n".join(f"  {kind}_temp_path {temp / kind};" for kind in kinds)
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"daemon off;\n{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'nginx-error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n  access_log off;\n{paths}\n{block}}}\n"
    )


@contextlib.contextmanager
def nginx_proxy(folder: Path, upstream: int) -> Iterator[HttpServer]:
    """Debian's nginx on a free loopback port, configured as the guide says, before ``upstream``."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config(folder, port, upstream), encoding="utf-8")
    log = folder / "nginx-error.log"
    process = subprocess.Popen(
        [require("nginx"), "-p", str(folder), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    proxy = HttpServer(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(proxy, "nginx", 20)
        yield proxy
    finally:
        _stop(process, signal.SIGQUIT)
