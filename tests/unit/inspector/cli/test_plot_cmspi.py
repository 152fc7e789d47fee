"""``inspector plot --format cmspi``: the CMS Payload Inspector JSON from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft202012Validator

from inspector.cli.main import cli
from inspector.plots.cmspi import CMSPI_SCHEMA


@pytest.fixture
def config(demo_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(f'[databases.demo]\npath = "{demo_path}"\n')
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "plot", *args], catch_exceptions=False)


def test_a_history_in_the_cmssw_shape(config: Path) -> None:
    result = run(
        config, "beamspot.position_x", "--tag", "BeamSpotObjects_PCL_byLumi_v1", "--format", "cmspi"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    Draft202012Validator(dict(CMSPI_SCHEMA)).validate(doc)
    assert doc["annotations"]["payload_type"] == "BeamSpotObjects"
    assert len(doc["data"]) > 100
    assert "db=demo&tag=BeamSpotObjects_PCL_byLumi_v1" in doc["annotations"]["info"]


def test_series_and_unsupported_types_are_one_line_errors(config: Path) -> None:
    several = run(
        config, "beamspot.width", "--tag", "BeamSpotObjects_PCL_byLumi_v1", "--format", "cmspi"
    )
    assert several.exit_code == 2 and "width_x, width_y" in several.stderr
    chosen = run(
        config,
        "beamspot.width",
        "--tag",
        "BeamSpotObjects_PCL_byLumi_v1",
        "--format",
        "cmspi",
        "--series",
        "width_x",
    )
    assert chosen.exit_code == 0 and json.loads(chosen.stdout)["data"]
    table = run(
        config, "beamspot.parameters", "--tag", "BeamSpotObjects_PCL_byLumi_v1", "--format", "cmspi"
    )
    assert table.exit_code == 2 and "Table" in table.stderr
    assert len(table.stderr.strip().splitlines()) == 1
