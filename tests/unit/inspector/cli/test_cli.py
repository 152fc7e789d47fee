"""The ``inspector`` command line: output, and exit code 2 with one line for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inspector.cli.main import cli


@pytest.fixture
def config(handmade_path: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(f'[databases.hand]\npath = "{handmade_path[0]}"\n')
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_list_tags_with_pattern_and_footer(config: Path) -> None:
    result = run(config, "list", "tags", "BS_")
    assert result.exit_code == 0, result.output
    assert "BS_lumi" in result.output and "Empty_tag" not in result.output
    assert "tags 1-3 of 3 (page 1 of 1)" in result.output


def test_list_iovs_readable_since_and_range(config: Path) -> None:
    result = run(config, "list", "iovs", "BS_lumi", "--since", "100:60")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2].startswith("100:50") and "101:1" in lines[2]
    assert lines[-1] == "2 IOVs in tag BS_lumi"


def test_list_iovs_snapshot_and_limit_are_stated(config: Path) -> None:
    result = run(config, "list", "iovs", "BS_run", "--snapshot", "2024-05-01T13:00:00Z")
    assert result.output.splitlines()[-1] == "3 IOVs in tag BS_run"
    limited = run(config, "list", "iovs", "BS_run", "--limit", "1")
    assert "showing the first 1 (--limit)" in limited.output


def test_show_tag_and_globaltag(config: Path) -> None:
    tag = run(config, "show", "tag", "BS_run")
    assert "distinct payloads  4" in tag.output and "last since         400" in tag.output
    gt = run(config, "show", "globaltag", "GT_v1")
    assert "BeamSpotObjectsRcd" in gt.output and "2 records" in gt.output
    listing = run(config, "list", "globaltags")
    assert "GT_v1" in listing.output and "global tags 1-2 of 2" in listing.output


def test_decode_prints_fields_and_statistics(config: Path, hashes: dict[str, str]) -> None:
    result = run(config, "decode", hashes["x=0.3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("BeamSpotObjects (CMSSW archive)")
    row = next(line for line in result.output.splitlines() if line.startswith("position_ "))
    assert "<f8" in row and "cm" in row and "0.3" in row
    assert "covariance_" in result.output and "7x7" in result.output
    as_json = run(config, "decode", hashes["x=0.3"], "--json")
    assert '"object_type": "BeamSpotObjects"' in as_json.output


def test_summary(config: Path, handmade_path: tuple[Path, dict[str, str]]) -> None:
    result = run(config, "summary")
    assert result.output.splitlines()[0] == f"database hand: {handmade_path[0]}"
    assert "tag                    4 rows" in result.output
    assert "BeamSpotObjects" in result.output and "runs 100-200" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "tags", "--db", "nope"], "unknown database alias 'nope' (configured: hand)"),
        (["show", "tag", "nope"], "tag 'nope' does not exist"),
        (["list", "iovs", "BS_run", "--since", "abc"], "invalid value for 'since'"),
        (["list", "iovs", "BS_lumi", "--until", "7-8"], "run:lumisection (382345:12)"),
        (["list", "iovs", "BS_run", "--snapshot", "soon"], "invalid value for 'snapshot'"),
        (["decode", "f" * 40], "does not exist"),
        (["list", "tags", "--page", "0"], "invalid value for 'page'"),
        (["list", "tags", "--page", "5"], "past the last page"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(config: Path, args: list[str], message: str) -> None:
    result = run(config, *args)
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {result.output.strip()[7:]}"
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_database_file_exit_code_and_hint(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[databases.demo]\npath = "missing.sqlite"\n')
    result = run(config, "summary")
    assert result.exit_code == 3
    assert "inspector demo-db" in result.output


def test_bad_config_file_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[databases.demo]\n")
    result = run(config, "summary")
    assert result.exit_code == 2 and "exactly one of 'url', 'path' or 'dsn'" in result.output


def test_installed_console_script_reports_errors_without_traceback(config: Path) -> None:
    exe = Path(sys.executable).with_name("inspector")
    proc = subprocess.run(
        [str(exe), "--config", str(config), "show", "tag", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "Error: tag 'nope' does not exist in database 'hand'"
    ]
