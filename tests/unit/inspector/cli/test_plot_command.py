"""``inspector plot``: every format, progress, and clear errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft202012Validator

from inspector.cli.main import cli
from inspector.plots import History, from_json
from inspector.plots.cmspi import CMSPI_SCHEMA


@pytest.fixture
def config(demo_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(f'[databases.demo]\npath = "{demo_path}"\n')
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "plot", *args], catch_exceptions=False)


def test_history_as_json_loads_back_with_provenance(config: Path) -> None:
    result = run(config, "beamspot.position_x", "--tag", "BeamSpotObjects_PCL_byLumi_v1")
    assert result.exit_code == 0, result.output
    plot = from_json(result.stdout)
    assert isinstance(plot, History) and plot.iov_count > 100
    assert plot.provenance.drawer == "beamspot.position_x"
    assert "reducing payloads:" in result.stderr and "(100%)" in result.stderr


def test_compare_to_csv_file_with_params(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "ratio.csv"
    result = run(
        config,
        "strips.noise_ratio",
        "--tag",
        "SiStripNoise_prompt_v1",
        "--tag2",
        "SiStripNoise_rereco_v2",
        "-p",
        "bins=20",
        "--format",
        "csv",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("# payload-inspector/plot CSV")
    assert "# parameters:" in text and '"bins": 20' in text
    assert "Histogram1D written to" in result.stderr


def test_single_to_standalone_html(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    result = run(
        config,
        "ecal.pedestal_barrel_map",
        "--tag",
        "EcalPedestals_hlt_v1",
        "--format",
        "html",
        "-o",
        str(out),
        "-p",
        "gain=x1",
    )
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Bokeh" in page


def test_a_history_drawing_shades_the_lhc_fills_as_the_pages_do(config: Path) -> None:
    """Run context in drawings only: the HTML has the bands, the JSON never carries them."""
    args = ("beamspot.position_x", "--tag", "BeamSpotObjects_Realistic_byRun_v1")
    html = run(config, *args, "--format", "html")
    assert html.exit_code == 0, html.output
    assert "LHC fills" in html.stdout
    as_json = run(config, *args)
    assert as_json.exit_code == 0 and "fill" not in as_json.stdout.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["beamspot.nope", "--tag", "BeamSpotObjects_PCL_byLumi_v1"], "no drawer named"),
        (["beamspot.position_x", "--tag", "nope"], "tag 'nope' does not exist"),
        (
            ["strips.noise_distribution", "--tag", "SiStripNoise_prompt_v1", "-p", "bins=0"],
            "invalid value for 'bins'",
        ),
        (
            ["strips.noise_distribution", "--tag", "SiStripNoise_prompt_v1", "-p", "bins"],
            "is not KEY=VALUE",
        ),
        (
            ["strips.noise_distribution", "--tag", "SiStripNoise_prompt_v1", "-p", "colour=1"],
            "unknown parameter",
        ),
        (
            ["strips.noise_distribution", "--tag", "BeamSpotObjects_PCL_byLumi_v1"],
            "reads SiStripNoises payloads",
        ),
        (
            ["strips.noise_ratio", "--tag", "SiStripNoise_prompt_v1", "--iov", "1", "--iov2", "2"],
            "no IOV valid at 1",
        ),
        (
            ["beamspot.position_x", "--tag", "BeamSpotObjects_PCL_byLumi_v1", "--since", "a:b"],
            "invalid value for 'since'",
        ),
    ],
)
def test_bad_input_exit_code_2_one_line(config: Path, args: list[str], message: str) -> None:
    result = run(config, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


# -- the CMS Payload Inspector form (docs/export-formats.md) ------------------------------------


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


def test_cert_keeps_certified_iovs_and_names_unknown_files(demo_path: Path, tmp_path: Path) -> None:
    golden = demo_path.with_name("demo-golden.json")
    path = tmp_path / "inspector.toml"
    path.write_text(
        f'[databases.demo]\npath = "{demo_path}"\n[certification.golden]\npath = "{golden}"\n'
    )
    tag = ("beamspot.position_x", "--tag", "BeamSpotObjects_PCL_byLumi_v1")
    everything = from_json(run(path, *tag).stdout)
    result = run(path, *tag, "--cert", "golden")
    assert result.exit_code == 0, result.output
    plot = from_json(result.stdout)
    assert isinstance(plot, History) and isinstance(everything, History)
    assert 0 < plot.iov_count < everything.iov_count
    assert plot.provenance.certification is not None
    assert plot.provenance.certification["file"] == "demo-golden.json"
    unknown = run(path, *tag, "--cert", "silver")
    assert unknown.exit_code == 2
    assert "unknown certification 'silver' (known: golden)" in unknown.output
