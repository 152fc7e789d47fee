"""``inspector plot --format png``: a real picture from the real Chromium, or a clear no."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pngcheck import assert_real_png

from inspector.cli.main import cli

ARGS = ("strips.mean_noise_history", "--tag", "SiStripNoise_prompt_v1", "--format", "png")


def _config(tmp_path: Path, demo_path: Path, png: str = "") -> Path:
    path = tmp_path / "inspector.toml"
    path.write_text(f'[databases.demo]\npath = "{demo_path}"\n{png}')
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "plot", *args])


def test_png_to_a_file(tmp_path: Path, demo_path: Path) -> None:
    out = tmp_path / "noise.png"
    config = _config(tmp_path, demo_path)
    result = run(config, *ARGS, "--width", "640", "--height", "360", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "reducing payloads:" in result.stderr and "(100%)" in result.stderr
    assert f"History written to {out}" in result.stderr
    assert_real_png(out.read_bytes(), 640, 360)


def test_png_to_a_pipe(tmp_path: Path, demo_path: Path) -> None:
    result = run(_config(tmp_path, demo_path), *ARGS, "--width", "300", "--height", "200")
    assert result.exit_code == 0, result.output
    assert_real_png(result.stdout_bytes, 300, 200)


@pytest.mark.parametrize(
    ("png", "args", "message"),
    [
        ('[png]\nbrowser = "/nonexistent/chromium"\n', (), "no browser at /nonexistent/chromium"),
        ("", ("--width", "50"), "50 is not in the range 100<=x<=4000"),
    ],
)
def test_no_browser_or_a_bad_size_is_one_clear_line(
    tmp_path: Path, demo_path: Path, png: str, args: tuple[str, ...], message: str
) -> None:
    result = run(_config(tmp_path, demo_path, png), *ARGS, *args, "-o", str(tmp_path / "x.png"))
    assert result.exit_code in (2, 3), result.output
    assert message in result.stderr
    assert not (tmp_path / "x.png").exists()
