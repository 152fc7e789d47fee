"""``inspector serve`` as a real process: it serves, never in debug mode, and fails clearly."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("inspector")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def config(handmade_path: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(
        f'[databases.hand]\npath = "{handmade_path[0]}"\n'
        f'[databases.gone]\npath = "{tmp_path / "gone.sqlite"}"\n'
    )
    return path


def test_serves_pages_and_prints_the_url(config: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [str(EXE), "--config", str(config), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=BS_", timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.2)
        assert b"BS_lumi" in body
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/tags/nope", timeout=2)
        page = info.value.read()
        assert info.value.code == 404 and b"Traceback" not in page
        assert b"Werkzeug Debugger" not in page
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"Open http://localhost:{port}/" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--db", "nope"], 2, "unknown database alias 'nope'"),
        (["--db", "gone"], 3, "does not exist"),
    ],
)
def test_bad_database_fails_before_listening(
    config: Path, args: list[str], code: int, message: str
) -> None:
    proc = subprocess.run(
        [str(EXE), "--config", str(config), "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == code
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_request_threads_outnumber_the_admission_slots() -> None:
    """Expensive work may take every slot and still leave threads for /healthz and cache hits."""
    from inspector.cli.serve import RESERVED_THREADS, request_threads
    from inspector.config import Config
    from inspector.engine import EngineSettings

    settings = EngineSettings(workers=3, admitted_per_worker=2)
    config = Config({}, "none", engine=settings)
    assert request_threads(config) == 6 + RESERVED_THREADS > settings.admission_slots
