"""PNG export in the real Debian Chromium: one browser, restarted if it dies."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from pngcheck import assert_real_png

from inspector.engine import Engine, PlotRequest
from inspector.errors import ConfigError
from inspector.plugin import load_plugins
from inspector.render import RendererRegistry
from inspector.render.png import PngRenderer, PngSettings, PngUnavailable, png_html

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def renderer() -> Iterator[PngRenderer]:
    png = PngRenderer()
    yield png
    png.close()


@pytest.fixture(scope="module")
def page(demo_engine: Engine) -> str:
    plot = demo_engine.plot(
        PlotRequest(drawer="strips.mean_noise_history", tag="SiStripNoise_prompt_v1")
    )
    return png_html(plot, RendererRegistry(load_plugins().renderers), {}, (800, 450))


def test_renders_a_real_picture_of_the_requested_size(renderer: PngRenderer, page: str) -> None:
    data = renderer.render(page, (800, 450))
    assert_real_png(data, 800, 450)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "png-export-noise-history.png").write_bytes(data)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Playwright's driver, then the browser it started)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _browsers() -> set[int]:
    """Main Chromium processes started by this test process (not their helpers)."""
    found = set()
    for pid in _descendants(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline[0].endswith(b"chromium") and not any(a.startswith(b"--type=") for a in cmdline):
            found.add(pid)
    return found


def test_one_browser_serves_many_pictures_and_restarts_when_it_dies(page: str) -> None:
    others = _browsers()  # e.g. the browser tests' own, in the same session
    png = PngRenderer()
    try:
        assert_real_png(png.render(page, (400, 300)), 400, 300)
        ours = _browsers() - others
        assert len(ours) == 1 and png.launches == 1
        assert_real_png(png.render(page, (500, 320)), 500, 320)
        assert _browsers() - others == ours and png.launches == 1  # the same browser
        os.kill(ours.pop(), signal.SIGKILL)  # the browser dies
        assert_real_png(png.render(page, (400, 300)), 400, 300)
        assert png.launches == 2
    finally:
        png.close()
    assert _browsers() - others == set()  # closed: no browser left behind


def test_the_browser_and_the_renderers_it_starts_later_run_at_idle_priority(page: str) -> None:
    """The browser draws in the CPU the server leaves: every process of it, later pages' too."""
    others = _browsers()
    png = PngRenderer()
    try:
        assert_real_png(png.render(page, (400, 300)), 400, 300)  # launched, then made idle
        assert_real_png(png.render(page, (500, 320)), 500, 320)  # a page drawn since
        (browser,) = _browsers() - others
        processes = [browser, *_descendants(browser)]
        assert len(processes) >= 3  # the browser, its zygotes, the pages' renderers
        policies = {pid: os.sched_getscheduler(pid) for pid in processes}
        assert policies == dict.fromkeys(processes, os.SCHED_IDLE)
        assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the server keeps its own
    finally:
        png.close()


def test_a_missing_browser_is_a_clear_503(page: str) -> None:
    png = PngRenderer(PngSettings(browser="/nonexistent/chromium"))
    with pytest.raises(PngUnavailable) as missing:
        png.render(page, (400, 300))
    assert missing.value.http_status == 503
    assert "/nonexistent/chromium" in missing.value.message
    assert "/nonexistent" not in missing.value.public_message
    assert "not installed" in missing.value.public_message
    assert "json, csv and html exports still work" in missing.value.public_message


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"browser": ""}, "browser"),
        ({"concurrency": 0}, "concurrency"),
        ({"timeout": -1}, "timeout"),
        ({"colour": "red"}, "unknown key"),
        ("chromium", "must be a table"),
    ],
)
def test_png_settings_name_what_is_wrong(table: object, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        PngSettings.from_table(table)
