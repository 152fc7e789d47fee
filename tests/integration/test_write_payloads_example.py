"""examples/write_payloads.py: payloads of one's own class, written and read back through the CLI.

The example runs as a user runs it (its own process, in a temporary folder);
then ``inspector --config inspector.toml decode HASH --json --values`` must
give back every value the example wrote, and the database must hold what
CMSSW would have written: the CondDB v2 tables, PAYLOAD.VERSION ``dummy``,
a STREAMER_INFO naming boost/serialization, the sha1 payload hashes, a Run
tag with its three IOVs.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from inspector.conddb import payload_hash
from inspector.payload import parse_streamer_info

pytestmark = pytest.mark.slow  # eight inspector processes
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "write_payloads.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("write_payloads_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), str(folder)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("decodes back to the values written") == 3, result.stdout
    return folder


def _inspector(*args: str) -> Any:
    example = _example()
    result = subprocess.run(
        [*example.inspector_command(), *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_cli_gives_back_every_value_written(written: Path) -> None:
    example = _example()
    with sqlite3.connect(written / "calibrations.sqlite") as con:
        iovs = con.execute("select SINCE, PAYLOAD_HASH from IOV order by SINCE").fetchall()
    expected = dict(example.payloads())
    assert [since for since, _ in iovs] == [1, 380000, 381500]
    for since, digest in iovs:
        config = str(written / "inspector.toml")
        doc = _inspector("--config", config, "decode", digest, "--json", "--values")
        assert doc["object_type"] == "MyDetectorCalibration" and doc["layout"] == "CMSSW archive"
        assert doc["values"] == example.as_json(expected[since])
        assert doc["values"]["m_channels"][5]["status"] == 2  # the dead channel
        assert doc["streamer_info"]["technology"] == "boost/serialization"
        assert doc["boost_library_version"] == 19


def test_the_database_holds_what_cmssw_would_write(written: Path) -> None:
    with sqlite3.connect(written / "calibrations.sqlite") as con:
        tables = {r[0].lower() for r in con.execute("select name from sqlite_master")}
        payloads = con.execute(
            "select HASH, OBJECT_TYPE, DATA, STREAMER_INFO, VERSION from PAYLOAD"
        ).fetchall()
        (tag,) = con.execute("select NAME, TIME_TYPE, OBJECT_TYPE from TAG").fetchall()
    assert {"tag", "iov", "payload", "global_tag", "global_tag_map"} <= tables
    assert tag == ("MyDetectorCalibration_v1", "Run", "MyDetectorCalibration")
    assert len(payloads) == 3
    for digest, object_type, data, info, version in payloads:
        assert digest == payload_hash(object_type, data) and version == "dummy"
        assert data[:1] == b"\x7f"
        assert parse_streamer_info(info).boost_version == "1.78"


def test_the_summary_lists_the_tag(written: Path) -> None:
    result = subprocess.run(
        [*_example().inspector_command(), "--config", str(written / "inspector.toml"), "list",
         "tags"],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "MyDetectorCalibration_v1" in result.stdout
