"""``inspector worker`` refuses what it cannot serve, clearly and before starting.

What it does with a Redis (jobs computed, retried after a lost worker) is
tested across real processes in ``tests/reliability/test_queued_jobs.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("inspector")


def _worker(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), "--config", str(config), "worker", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("cache", "args", "message"),
    [
        ("", (), "takes jobs from the Redis of [cache] redis_url"),
        ('[cache]\nredis_url = "redis://127.0.0.1:1/0"\n', ("--queues", " , "), "names no queue"),
    ],
)
def test_a_worker_without_redis_or_queues_exits_2_saying_why(
    handmade_path: tuple[Path, dict[str, str]],
    tmp_path: Path,
    cache: str,
    args: tuple[str, ...],
    message: str,
) -> None:
    config = tmp_path / "inspector.toml"
    config.write_text(f'[databases.hand]\npath = "{handmade_path[0]}"\n{cache}')
    proc = _worker(config, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
