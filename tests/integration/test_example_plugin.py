"""The example plugin package, installed into a fresh virtual environment.

The fresh environment sees the project's dependencies through a ``.pth`` file
(nothing is downloaded), then ``pip install --no-deps`` installs the example
exactly as a detector group would install theirs; its drawers must appear in
``inspector plugins`` and run in ``inspector plot``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inspector-example-plugin"


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("fresh-venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib, "project-deps.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return python


def _inspector(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", "from inspector.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_installed_example_shows_in_inspector_plugins(fresh_python: Path) -> None:
    result = _inspector(fresh_python, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    names = {d["name"]: d for d in doc["drawers"]}
    assert names["example.beamspot_radius"]["plugin"] == "example"
    assert "ExampleTemperatures" in doc["payload_types"]
    assert any(p["distribution"] == "inspector-example-plugin" for p in doc["plugins"])
    # The project's own environment does not have it.
    ours = _inspector(Path(sys.executable), "plugins", "--json")
    assert "example.beamspot_radius" not in ours.stdout


def test_installed_example_drawer_runs_in_inspector_plot(
    fresh_python: Path, handmade_path: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[databases.hand]\npath = "{handmade_path[0]}"\n')
    result = _inspector(
        fresh_python,
        "--config",
        str(config),
        "plot",
        "example.beamspot_radius",
        "--tag",
        "BS_run",
        "--format",
        "csv",
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    assert rows[0].startswith("since,until")
    radius = float(rows[1].split(",")[rows[0].split(",").index("radius")])
    assert radius == pytest.approx((0.1**2 + 0.19**2) ** 0.5 * 1e4)
