"""Running the web app under gunicorn: worker processes, graceful stops, access logs.

``inspector serve`` embeds gunicorn (``BaseApplication``) instead of asking
people to write a gunicorn configuration.  Choices, and why:

- **The app is built in each worker, after the fork** (no ``preload_app``).
  The engine owns thread pools, database connection pools and a Redis
  connection pool; none of them survive a fork safely, and building them per
  worker needs no care about what was touched before.  What *is* done once in
  the master, before forking, is the slow and fork-safe part: reading the
  configuration, importing numpy/Bokeh/SQLAlchemy and loading the plugins
  (``inspector.plugin.Plugins``: registrations and payload schemas, plain
  data), and creating the app's own databases (the notes' tables:
  :func:`inspector.cli.serve.prepare_own_databases`), so that workers never
  race to create them (again on each SIGHUP, below).  Workers inherit the
  rest copy-on-write and start in about a second.
- **Threaded workers** (``gthread``): a worker answers several requests at
  once (pages, cached plots) while one of its threads computes a cold plot;
  the engine's single-flight caches then work across those threads.
- **Graceful stops**: SIGTERM (what systemd and Kubernetes send) lets every
  in-flight request finish, up to ``graceful_timeout`` seconds; the master
  exits 0.
- **Reload on SIGHUP, checked first** (:class:`ReloadingArbiter`): the master
  asks the :class:`AppSource` to re-read what the app is built from (the
  configuration) *before* gunicorn replaces the workers.  Read and checked,
  new workers are started from it and the old ones stop gracefully (their
  in-flight requests finish; the listening socket stays open throughout, so
  no connection is refused).  Refused, the log says why in one line and the
  old workers go on serving the old configuration: a broken file never
  replaces working workers with failing ones.
- **Access logs on stderr**, one line per request with its latency
  (:data:`ACCESS_LOG_FORMAT`), next to gunicorn's own messages, so a process
  manager (journald) collects both.
- **Metrics summed over workers**: a fresh ``PROMETHEUS_MULTIPROC_DIR`` per
  server, set before any worker imports ``prometheus_client``; a dead
  worker's live files are marked dead, and the folder is removed when the
  server stops (:mod:`inspector.web.ops.metrics`).
- gunicorn's control socket (a per-user path, shared by every gunicorn of
  that user) is switched off, so that several servers on one machine never
  fight over it.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Final, Protocol

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger

from inspector.errors import InspectorError

__all__ = [
    "ACCESS_LOG_FORMAT",
    "AppSource",
    "ReloadingArbiter",
    "ServeOptions",
    "StderrAccessLogger",
    "run_server",
]

#: Client, time, request line, status, bytes, latency in ms, worker pid, user agent.
ACCESS_LOG_FORMAT: Final = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms %(p)s "%(a)s"'

METRICS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True)
class ServeOptions:
    """How to serve: where, how many processes and threads, how to stop."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 8
    graceful_timeout: int = 30
    access_log: bool = True

    @property
    def bind(self) -> str:
        """gunicorn's ``bind`` (IPv6 addresses in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class AppSource(Protocol):
    """What the workers build their app from, held by the master and re-read on SIGHUP."""

    def __call__(self) -> Flask:
        """Build the app (in each worker, after the fork)."""

    def reload(self) -> str:
        """Re-read and check everything, keep it for the next workers; say what changed.

        An :class:`InspectorError` refuses the reload: what was held before stays.
        """


class StderrAccessLogger(Logger):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's logger with the access log on stderr (gunicorn's ``-`` means stdout)."""

    def setup(self, cfg: Any) -> None:
        """Set up as gunicorn does, then point the access handler at stderr."""
        super().setup(cfg)
        for handler in self.access_log.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(sys.stderr)


class ReloadingArbiter(Arbiter):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's master, whose SIGHUP replaces the workers only when the source re-reads.

    gunicorn's own SIGHUP always starts new workers, whatever they will
    load; the check must come before it, since nothing after it can stop
    the old workers from being replaced.
    """

    def handle_hup(self) -> None:
        """Re-read the app's source; replace the workers only if it was taken."""
        source: AppSource = self.app.source
        try:
            change = source.reload()
        except InspectorError as exc:
            self.log.error("reload refused, old configuration kept: %s", exc.message)
            return
        except Exception:  # a bug must not take down a master whose workers serve well
            self.log.exception("reload failed, old configuration kept")
            return
        self.log.info("reloaded configuration: %s", change)
        super().handle_hup()


class InspectorApplication(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn embedded: settings from :class:`ServeOptions`, the app built per worker."""

    def __init__(self, source: AppSource, options: ServeOptions, metrics_dir: str) -> None:
        self.source = source
        self._options = options
        self._metrics_dir = metrics_dir
        super().__init__(usage="inspector serve", prog="inspector")

    def load_config(self) -> None:
        """Our settings only: no gunicorn command line or configuration file is read."""
        o = self._options
        settings: dict[str, Any] = {
            "bind": [o.bind],
            "workers": o.workers,
            "worker_class": "gthread",
            "threads": o.threads,
            "graceful_timeout": o.graceful_timeout,
            "preload_app": False,
            "proc_name": "inspector",
            "accesslog": "-" if o.access_log else None,
            "access_log_format": ACCESS_LOG_FORMAT,
            "logger_class": StderrAccessLogger,
            "errorlog": "-",
            "child_exit": self._child_exit,
            "worker_exit": _worker_exit,
            "on_exit": self._on_exit,
            "control_socket_disable": True,
        }
        for key, value in settings.items():
            if key in self.cfg.settings:  # control_socket_disable: gunicorn 25.1 and later
                self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app: called in each worker, after the fork; then settle its heap.

        :func:`inspector.web.settle.settle`: the GIL's switch interval
        shortened (what keeps ``/healthz`` quick behind renders), the decoder
        and Bokeh warmed and the start-up heap frozen out of the collector's
        scans.
        """
        from inspector.web.settle import settle

        app = self.source()
        settle(app)
        return app

    def run(self) -> None:
        """Run the master until it stops, with the checked SIGHUP of :class:`ReloadingArbiter`."""
        ReloadingArbiter(self).run()

    def _child_exit(self, server: Any, worker: Any) -> None:
        """Master: a worker ended; its live metric files no longer count."""
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, self._metrics_dir)  # type: ignore[no-untyped-call]

    def _on_exit(self, server: Any) -> None:
        """Master, last: remove this server's metrics folder."""
        shutil.rmtree(self._metrics_dir, ignore_errors=True)


def _worker_exit(server: Any, worker: Any) -> None:
    """Worker, after its last request: stop the engine's threads, close databases."""
    from inspector.web.state import state

    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        state(app).close()


def run_server(source: AppSource, options: ServeOptions) -> None:
    """Serve ``source()``'s app until stopped (SIGTERM/SIGINT: gracefully; SIGHUP: reload).

    Must run before this process imports ``prometheus_client``: the metrics
    folder is put in the environment first, for the workers to inherit.
    """
    metrics_dir = tempfile.mkdtemp(prefix="inspector-metrics-")
    os.environ[METRICS_ENV] = metrics_dir
    master = os.getpid()
    try:
        InspectorApplication(source, options, metrics_dir).run()
    finally:
        # A worker leaves through here too (SystemExit from gunicorn): only the master cleans up.
        if os.getpid() == master:
            shutil.rmtree(metrics_dir, ignore_errors=True)
