"""Plots display themselves in Jupyter: the standalone HTML export, framed, offline.

IPython calls ``_repr_mimebundle_(include=..., exclude=...)`` and puts each
returned type in the notebook; these tests call it the same way.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import inspector
from inspector.cli.main import cli
from inspector.config import Config, DatabaseConfig
from inspector.errors import InvalidParameter
from inspector.notebook import Session, display
from inspector.plots import Histogram1D, PlotObject, Provenance, Table
from inspector.render import RendererRegistry

NOISE = "SiStripNoise_prompt_v1"
SRCDOC = re.compile(
    r'<iframe title="([^"]*)" srcdoc="([^"]*)" style="([^"]*)" onload="([^"]*)"></iframe>'
)


@pytest.fixture(scope="module")
def db(demo_path: Path) -> Iterator[Session]:
    config = Config({"demo": DatabaseConfig("demo", f"sqlite:///{demo_path}")}, "demo")
    with inspector.open("demo", config=config) as session:
        yield session


def _document(bundle: dict[str, str]) -> str:
    """The HTML document inside the bundle's iframe."""
    found = SRCDOC.fullmatch(bundle["text/html"])
    assert found, bundle["text/html"][:300]
    return html.unescape(found.group(2))


def _bokeh_docs(document: str) -> list[dict[str, object]]:
    """The Bokeh documents the page embeds (``<script type="application/json">``)."""
    blocks = re.findall(
        r'<script type="application/json" id="[^"]+">\s*(.*?)\s*</script>', document, re.S
    )
    return [json.loads(b) for b in blocks]


def test_a_plot_gives_html_and_text(db: Session) -> None:
    plot = db.plot("strips.noise_distribution", tag=NOISE, bins=25)
    bundle = plot._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/plain"].splitlines() == [
        f"Histogram1D: {plot.title}",
        "  25 rows: low, high, count",
        f"  db demo · tags {NOISE} · drawer strips.noise_distribution",
    ]


def test_the_frame_holds_the_cli_html_export_byte_for_byte(
    db: Session, demo_path: Path, tmp_path: Path
) -> None:
    plot = db.plot("maps.strip_noise", tag=NOISE)
    document = _document(plot._repr_mimebundle_())
    toml = tmp_path / "inspector.toml"
    toml.write_text(f'[databases.demo]\npath = "{demo_path}"\n')
    done = CliRunner().invoke(
        cli, ["--config", str(toml), "plot", "maps.strip_noise", "--tag", NOISE, "--format", "html"]
    )
    assert done.exit_code == 0, done.output
    assert document + "\n" == done.stdout or document == done.stdout
    # BokehJS is in the page itself: nothing is loaded from anywhere.
    tags = re.findall(r"<(?:script|link)\b[^>]*>", document)
    assert tags and not [t for t in tags if re.search(r"\b(src|href)=", t)], tags
    assert "/* BEGIN bokeh.min.js */" in document and len(document) > 1_000_000
    (doc,) = _bokeh_docs(document)
    assert plot.title in json.dumps(doc, ensure_ascii=False)


def test_show_draws_a_history_with_the_fills_as_the_cli_does(
    db: Session, demo_path: Path, tmp_path: Path
) -> None:
    tag = "BeamSpotObjects_Realistic_byRun_v1"
    plot = db.plot("beamspot.position_x", tag=tag)
    toml = tmp_path / "inspector.toml"
    toml.write_text(f'[databases.demo]\npath = "{demo_path}"\n')
    done = CliRunner().invoke(
        cli,
        ["--config", str(toml), "plot", "beamspot.position_x", "--tag", tag, "--format", "html"],
    )
    assert done.exit_code == 0, done.output
    shown = _document(db.show(plot)._repr_mimebundle_())
    assert shown.rstrip("\n") == done.stdout.rstrip("\n")
    assert db.export(plot, "html").decode() == shown
    # Alone, the plot knows no database: the same drawing without the fills' bands.
    alone = _document(plot._repr_mimebundle_())
    assert alone != shown and len(alone) < len(shown)


def test_exports_are_the_clis(db: Session, demo_path: Path, tmp_path: Path) -> None:
    plot = db.plot("strips.noise_distribution", tag=NOISE, bins=30)
    toml = tmp_path / "inspector.toml"
    toml.write_text(f'[databases.demo]\npath = "{demo_path}"\n')
    for fmt in ("json", "csv", "cmspi"):
        done = CliRunner().invoke(
            cli,
            [
                "--config", str(toml), "plot", "strips.noise_distribution", "--tag", NOISE,
                "-p", "bins=30", "--format", fmt, "-o", str(tmp_path / f"out.{fmt}"),
            ],
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        assert db.export(plot, fmt) == (tmp_path / f"out.{fmt}").read_bytes(), fmt


def test_view_options_are_checked_as_in_a_url(db: Session) -> None:
    plot = db.plot("beamspot.position_x", tag="BeamSpotObjects_Realistic_byRun_v1")
    assert db.show(plot, xaxis="time", width=800).context.view.options()["width"] == 800
    with pytest.raises(InvalidParameter, match="xaxis"):
        db.show(plot, xaxis="sideways")


def test_only_plots_of_this_database_have_a_render_context(db: Session) -> None:
    alone = Table(columns={"x": np.array([1.0])}, title="t")
    with pytest.raises(InvalidParameter, match=r"was not made by db\.plot on database 'demo'"):
        db.export(alone)


def test_the_frame_is_escaped_and_fits_its_content() -> None:
    plot = Table(
        title='<script>alert("x")</script> & co',
        columns={"x": np.array([1.0, 2.0])},
        provenance=Provenance(db="demo", drawer="test.table"),
    )
    bundle = plot._repr_mimebundle_()
    found = SRCDOC.fullmatch(bundle["text/html"])
    assert found is not None
    title, srcdoc, style, onload = found.groups()
    assert html.unescape(title) == plot.title
    assert "<" not in srcdoc and '"' not in srcdoc  # attribute text only
    assert f"height:{display.INITIAL_HEIGHT}px" in style
    assert "ResizeObserver" in html.unescape(onload)


def test_include_and_exclude_build_only_what_is_asked() -> None:
    plot = Histogram1D(edges=np.array([0.0, 1.0, 2.0]), counts=np.array([3.0, 4.0]), title="h")
    assert set(plot._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
    assert set(plot._repr_mimebundle_(exclude=["text/html"])) == {"text/plain"}
    assert set(plot._repr_mimebundle_(include=["text/html"], exclude=["text/html"])) == set()


def test_the_session_plugins_draw_and_every_builtin_type_has_a_renderer(db: Session) -> None:
    registry = display.renderers()
    assert isinstance(registry, RendererRegistry)
    assert set(registry.types()) >= {
        "DetectorMap",
        "Histogram1D",
        "Histogram2D",
        "History",
        "Scatter",
        "Table",
    }


def test_a_history_says_how_many_iovs_and_which_series(db: Session) -> None:
    plot = db.plot("beamspot.width", tag="BeamSpotObjects_Realistic_byRun_v1")
    n = len(db.iovs("BeamSpotObjects_Realistic_byRun_v1"))
    text = plot._repr_mimebundle_(include=["text/plain"])["text/plain"]
    assert text.splitlines()[1] == f"  {n:,} IOVs; series width_x, width_y"


def test_notes_and_comparison_labels_are_in_the_text(db: Session) -> None:
    plot = db.plot("maps.strip_noise_ratio", tag=NOISE, tag2="SiStripNoise_rereco_v2")
    lines = plot._repr_mimebundle_(include=["text/plain"])["text/plain"].splitlines()
    assert " vs ".join(plot.provenance.labels) == lines[3].strip()
    assert [f"  note: {n}" for n in plot.notes] == lines[4:]


def test_any_plot_displays_without_a_session(tmp_path: Path) -> None:
    """A plot read back from JSON (no session opened in this interpreter) still draws."""
    import subprocess
    import sys

    plot: PlotObject = Histogram1D(edges=np.array([0.0, 1.0]), counts=np.array([1.0]), title="t")
    path = tmp_path / "plot.json"
    path.write_bytes(plot.to_json())
    code = (
        "import sys\nfrom inspector.plots import from_json\n"
        f"p = from_json(open({str(path)!r}, 'rb').read())\n"
        "b = p._repr_mimebundle_()\n"
        "assert b['text/html'].startswith('<iframe'), b\n"
        "print(len(b['text/html']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 1_000_000
