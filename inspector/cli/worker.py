"""``inspector worker``: compute queued heavy plots (RQ over the ``[cache]`` Redis).

The configuration is read and checked as ``inspector serve`` checks it
(:class:`~inspector.cli.serve.ServedApp`), the plugins are loaded once, and
each worker process builds the very app a web worker builds, after the
fork, so a job is computed with the same engine, plugins and caches as a
web process would compute it (see :mod:`inspector.web.jobs.worker`).

With ``--concurrency N`` above 1 this process supervises N worker
processes: SIGTERM or SIGINT is passed on to them (each finishes its
current job), and one that dies otherwise is replaced.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import Final

import click

from inspector.cli.context import CliContext, pass_cli
from inspector.cli.serve import ServedApp
from inspector.errors import ConfigError
from inspector.jobs.queue import QUEUE_NAME

__all__ = ["worker_command"]

log = logging.getLogger("inspector.jobs")

#: Seconds before a worker process that died is replaced (no tight loop on a broken Redis).
RESPAWN_SECONDS: Final = 1.0


def _serve_queues(served: ServedApp, queues: Sequence[str]) -> int:
    """One worker in this process: the exit code (1 when Redis was lost)."""
    from inspector.web.jobs.worker import work

    return 0 if work(served(), queues) else 1


def _spawn(served: ServedApp, queues: Sequence[str]) -> int:
    """Fork one worker process; its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)  # RQ installs its own when it starts
        code = _serve_queues(served, queues)
    except BaseException:
        log.exception("worker process failed")
    finally:
        os._exit(code)


def _supervise(served: ServedApp, queues: Sequence[str], concurrency: int) -> None:
    """Keep ``concurrency`` worker processes running until SIGTERM or SIGINT."""
    children: set[int] = set()
    stopping = threading.Event()  # set by the signal handler, read by the loop

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        for pid in list(children):
            os.kill(pid, signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(concurrency):
        children.add(_spawn(served, queues))
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping.is_set():
            log.warning("worker process %d ended (status %d); starting another", pid, status)
            time.sleep(RESPAWN_SECONDS)
            if stopping.is_set():  # asked to stop during the pause: start nothing new
                continue
            child = _spawn(served, queues)
            children.add(child)
            if stopping.is_set():  # the stop came while it was forked: it missed the signal
                os.kill(child, signal.SIGTERM)


@click.command("worker")
@click.option(
    "--queues",
    default=QUEUE_NAME,
    show_default=True,
    help="Comma-separated RQ queues to take plot jobs from.",
)
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes, each computing one job at a time with its own engine.",
)
@pass_cli
def worker_command(cli: CliContext, queues: str, concurrency: int) -> None:
    """Compute heavy plots queued by the web servers (needs [cache] redis_url)."""
    served = ServedApp(cli, None)
    config = served.serving.config
    if not config.cache.enabled:
        raise ConfigError(
            "inspector worker takes jobs from the Redis of [cache] redis_url, "
            "and the configuration has none (without it, jobs run in the web processes)"
        )
    names = [name.strip() for name in queues.split(",") if name.strip()]
    if not names:
        raise ConfigError("--queues names no queue")
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    click.echo(f"Payload Inspector worker: queues {', '.join(names)}, {concurrency} process(es)")
    if concurrency == 1:
        sys.exit(_serve_queues(served, names))
    _supervise(served, names, concurrency)
