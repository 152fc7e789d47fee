"""``inspector decode --json --values`` on the real CMS files, number for number.

Every payload of every tag in ``../shared/data/cms-conditions/jer`` is decoded
through the command line, as a user would, and every row of the text file the
payload was made from must be one record: bin ranges, variable ranges and
parameters equal as float32.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from inspector.cli.main import cli

REAL = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "cms-conditions" / "jer"
FILES = sorted(REAL.glob("*.db"))
pytestmark = pytest.mark.skipif(not FILES, reason=f"real CMS files not found at {REAL}")


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("real") / "real.toml"
    path.write_text("".join(f'[databases.{f.stem}]\npath = "{f.resolve()}"\n' for f in FILES))
    return path


def _iovs(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return [(str(t), str(h)) for t, h in con.execute("select TAG_NAME, PAYLOAD_HASH from IOV")]


def _rows(text: Path, nbins: int) -> list[np.ndarray[Any, Any]]:
    """Each data row without its count column (after the bin ranges), as float32."""
    rows = []
    for line in text.read_text().splitlines()[1:]:
        if line.strip():
            numbers = [float(x) for x in line.split()]
            rows.append(np.asarray(numbers[: 2 * nbins] + numbers[2 * nbins + 1 :], np.float32))
    return rows


def _record(record: dict[str, Any]) -> np.ndarray[Any, Any]:
    ranges = [
        v for r in (*record["m_bins_range"], *record["m_variables_range"]) for v in r.values()
    ]
    return np.asarray(ranges + record["m_parameters_values"], np.float32)


@pytest.mark.parametrize("db", FILES, ids=lambda f: f.stem)
def test_every_payload_equals_its_text_file(config: Path, db: Path) -> None:
    checked = 0
    for tag, payload_hash in _iovs(db):
        result = CliRunner().invoke(
            cli,
            [
                "--config",
                str(config),
                "decode",
                payload_hash,
                "--db",
                db.stem,
                "--json",
                "--values",
            ],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        doc = json.loads(result.output)
        assert doc["streamer_info"]["technology"] == "boost/serialization"
        values = doc["values"]
        assert values["m_valid"] is True
        text = db.parent / "textFiles" / db.stem / f"{tag.removeprefix('JR_')}.txt"
        if not text.exists():
            continue
        rows = _rows(text, len(values["m_definition"]["m_bins_name"]))
        records = [_record(r) for r in values["m_records"]]
        assert len(records) == len(rows), tag
        # The JER view prints the text file itself: header and every row, count column included.
        view = doc["views"]["views"]
        got = view["header"].strip("{}").split()
        want = text.read_text().splitlines()[0].strip().strip("{}").split()
        assert got[:-1] == want[: len(got) - 1], tag  # bins, variables (then formula and kind)
        text_rows = [line.split() for line in text.read_text().splitlines()[1:] if line.strip()]
        assert [np.float32(v) for r in view["rows"] for v in r] == [
            np.float32(float(v)) for r in text_rows for v in r
        ], tag
        for i, (got, want) in enumerate(zip(records, rows, strict=True)):
            assert np.array_equal(got, want), (tag, i, got, want)
        checked += 1
    assert checked >= 2


def test_human_summary_names_the_release_and_boost(config: Path) -> None:
    db = FILES[0]
    _, payload_hash = _iovs(db)[0]
    result = CliRunner().invoke(
        cli, ["--config", str(config), "decode", payload_hash, "--db", db.stem]
    )
    assert result.exit_code == 0, result.output
    assert "CMSSW archive" in result.output and "boost/serialization" in result.output
    assert "m_records[*].m_parameters_values" in result.output


def test_values_without_json_is_a_usage_error(config: Path) -> None:
    db = FILES[0]
    _, payload_hash = _iovs(db)[0]
    result = CliRunner().invoke(
        cli, ["--config", str(config), "decode", payload_hash, "--db", db.stem, "--values"]
    )
    assert result.exit_code == 2 and "--json" in result.output
