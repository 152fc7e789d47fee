"""What a picture and a file say they show: subtitle and file name from the provenance."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from bokeh.models.annotations import Title
from bokeh.models.tools import SaveTool

from inspector.conddb.timetypes import datetime_to_since, pack_lumi
from inspector.plots import Histogram1D, History, PlotObject, Provenance, Series
from inspector.plugin import load_plugins
from inspector.render.exports import ExportRegistry
from inspector.render.figures import SUBTITLE
from inspector.render.history import history_values
from inspector.render.registry import RendererRegistry
from inspector.render.view_title import ViewTitle
from inspector.request import PlotView

SNAPSHOT = "2024-06-01T12:30:00Z"


def history(time_type: str, since: list[int], **provenance: Any) -> History:
    return History(
        since=since,
        until=[*since[1:], since[-1] + 1],
        time_type=time_type,
        series={"x": Series(np.zeros(len(since)))},
        title="Beam spot x",
        provenance=Provenance(
            drawer="beamspot.position_x",
            tags=("BS_v1",),
            iovs=(since[0], since[-1]),
            time_type=time_type,
            **provenance,
        ),
    )


def single(**provenance: Any) -> Histogram1D:
    return Histogram1D.from_values([1.0], bins=2, range=(0.0, 2.0)).with_provenance(
        Provenance(drawer="strips.noise", time_type="Run", **provenance)
    )


@pytest.mark.parametrize(
    ("plot", "subtitle", "stem"),
    [
        (
            history("Run", [379100, 379200, 380000], snapshot=SNAPSHOT),
            f"BS_v1 · IOVs 379100 – 380000 · snapshot {SNAPSHOT}",
            "beamspot.position_x_BS_v1_379100-380000_snapshot-20240601T123000Z",
        ),
        (
            history("Lumi", [pack_lumi(379058, 1), pack_lumi(379814, 402)]),
            "BS_v1 · IOVs 379058:1 – 379814:402 · snapshot latest (not pinned)",
            "beamspot.position_x_BS_v1_379058.1-379814.402",
        ),
        (
            history(
                "Time",
                [
                    datetime_to_since(dt.datetime(2024, 5, 1, 8, 0)),
                    datetime_to_since(dt.datetime(2024, 5, 2, 9, 15, 30)),
                ],
            ),
            "BS_v1 · IOVs 2024-05-01T08:00:00.000000Z – 2024-05-02T09:15:30.000000Z"
            " · snapshot latest (not pinned)",
            "beamspot.position_x_BS_v1_20240501T080000Z-20240502T091530Z",
        ),
        (
            history("Run", [379100]),
            "BS_v1 · IOV 379100 · snapshot latest (not pinned)",
            "beamspot.position_x_BS_v1_379100",
        ),
        (
            single(tags=("Noise_v1",), iovs=(379100,), snapshot=SNAPSHOT),
            f"Noise_v1 · IOV 379100 · snapshot {SNAPSHOT}",
            "strips.noise_Noise_v1_379100_snapshot-20240601T123000Z",
        ),
        (
            single(
                tags=("Noise_v1",),
                iovs=(379100, 380200),
                labels=("IOV 379100", "IOV 380200"),
            ),
            "Noise_v1 · IOV 379100 vs IOV 380200 · snapshot latest (not pinned)",
            "strips.noise_Noise_v1_379100_vs_380200",
        ),
        (
            single(
                tags=("Prompt_v1", "ReReco_v2"),
                iovs=(381000, 381000),
                labels=("Prompt_v1 @ 381000", "ReReco_v2 @ 381000"),
                snapshot=SNAPSHOT,
            ),
            f"Prompt_v1 @ 381000 vs ReReco_v2 @ 381000 · snapshot {SNAPSHOT}",
            "strips.noise_Prompt_v1_381000_vs_ReReco_v2_381000_snapshot-20240601T123000Z",
        ),
    ],
    ids=["run-range", "lumi-range", "time-range", "one-iov", "single", "two-iovs", "two-tags"],
)
def test_subtitle_and_file_name_say_tags_iovs_and_snapshot(
    plot: PlotObject, subtitle: str, stem: str
) -> None:
    title = ViewTitle.of(plot)
    assert title.subtitle() == subtitle
    assert title.file_stem() == stem
    assert title.file_name("csv") == f"{stem}.csv"
    assert title.file_name("cmspi.json", "x error") == f"{stem}.x_error.cmspi.json"


def test_a_file_name_never_holds_what_a_file_system_could_refuse() -> None:
    plot = single(tags=('we/ird "tag"\\: v1',), iovs=(5,))
    stem = ViewTitle.of(plot).file_stem()
    assert stem == "strips.noise_we_ird_tag_v1_5"
    long = single(tags=("T" * 400,), iovs=(5,))
    assert len(ViewTitle.of(long).file_name("png")) <= 204


def test_a_plot_without_provenance_has_no_subtitle_and_a_plain_name() -> None:
    plot = Histogram1D.from_values([1.0], bins=2, range=(0.0, 2.0))
    assert ViewTitle.of(plot).subtitle() == ""
    assert ViewTitle.of(plot).file_name("png") == "Histogram1D.png"


def test_the_figure_carries_the_subtitle_and_saves_under_the_name_without_a_prompt() -> None:
    renderers = RendererRegistry(load_plugins().renderers)
    plot = history("Run", [379100, 380000], snapshot=SNAPSHOT)
    figure = renderers.render(plot, {})
    (subtitle,) = [t for t in figure.above if isinstance(t, Title) and t.name == SUBTITLE]
    assert subtitle.text == ViewTitle.of(plot).subtitle()
    (save,) = [t for t in figure.toolbar.tools if isinstance(t, SaveTool)]
    assert save.filename == ViewTitle.of(plot).file_name("png")  # a name: Bokeh asks for none
    # The IOV count caption stays nearest the frame, under title and subtitle.
    assert [t.name for t in figure.above if isinstance(t, Title)][-1] == SUBTITLE
    assert renderers.render(plot, {"toolbar": False}).toolbar_location is None


def test_a_zoomed_history_says_and_is_named_after_the_iovs_in_view() -> None:
    renderers = RendererRegistry(load_plugins().renderers)
    plot = history("Run", [379100, 379200, 379300, 379400, 380000], snapshot=SNAPSHOT)
    zoomed = renderers.render(plot, {"zoom": (379250.0, 379350.0)})
    values = history_values(zoomed)  # what the page swaps in after a zoom
    # The IOVs overlapping 379250-379350: those starting at 379200 and 379300.
    assert values["subtitle"] == f"BS_v1 · IOVs 379200 – 379300 · snapshot {SNAPSHOT}"
    name = "beamspot.position_x_BS_v1_379200-379300_snapshot-20240601T123000Z"
    assert values["filename"] == f"{name}.png"
    (save,) = [t for t in zoomed.toolbar.tools if isinstance(t, SaveTool)]
    assert save.filename == f"{name}.png"
    # An export of the zoomed view (the page's PNG and HTML links gain zoom=) says the same.
    png = ExportRegistry(load_plugins().export_formats).get("png")
    assert png.file_name(plot, PlotView(zoom="379250,379350")) == f"{name}.png"
    assert png.file_name(plot, PlotView()).startswith("beamspot.position_x_BS_v1_379100-380000")
    # The CSV holds every IOV whatever the zoom: it is named after the whole range.
    table = ExportRegistry(load_plugins().export_formats).get("csv")
    assert table.file_name(plot, PlotView(zoom="379250,379350")).startswith(
        "beamspot.position_x_BS_v1_379100-380000"
    )
    whole = history_values(renderers.render(plot, {}))
    assert whole["subtitle"] == ViewTitle.of(plot).subtitle()
