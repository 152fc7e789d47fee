"""Under a detector map: the flagged modules, each linking to its module history; the CSV names."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
from flask.testing import FlaskClient

from inspector.geometry import GeometryRegistry, readable_names
from inspector.plots import DetectorMap
from inspector.web.plots.modules import module_list

NOISE = "SiStripNoise_prompt_v1"
ALIGN = "TrackerAlignment_prompt_v1"


def test_noise_map_lists_its_dead_modules_with_links_to_their_history(client: FlaskClient) -> None:
    page = client.get(f"/plot/maps.strip_noise?tag={NOISE}").get_data(as_text=True)
    rows = re.findall(
        r'<tr data-detid="(\d+)">\s*<td><a href="([^"]+)">\d+</a></td>\s*'
        r"<td>([^<]+)</td><td>([^<]+)</td>",
        page,
    )
    dead = [r for r in rows if r[3] == "dead"]
    note = re.search(r"([\d,]+) modules dead \(noise 0\)", page)
    assert note and len(dead) == int(note.group(1).replace(",", "")) > 0
    detid, link, name, _ = dead[0]
    assert name == readable_names([int(detid)])[0]
    assert link == (f"/plot/strips.module_noise_history?db=demo&amp;tag={NOISE}&amp;detid={detid}")
    history = client.get(link.replace("&amp;", "&"))
    assert history.status_code == 200
    assert 'id="module-details"' in page
    assert 'data-history-url="/plot/strips.module_noise_history' in page


def test_alignment_map_carries_the_coordinate_to_the_module_history(client: FlaskClient) -> None:
    page = client.get(
        f"/plot/maps.alignment_delta?tag={ALIGN}&tag2=TrackerAlignment_rereco_v1&coordinate=z"
    ).get_data(as_text=True)
    assert (
        'data-history-url="/plot/alignment.module_position_history?db=demo&amp;'
        f'tag={ALIGN}&amp;coordinate=z&amp;detid="'
    ) in page


def test_module_list_puts_the_drawers_flags_first_then_the_furthest_outliers() -> None:
    ids = np.array([369120277, 369120278, 369120281, 369120282], dtype=np.uint32)
    values = np.array([5.0, 0.0, 5.0, 5.0])
    values = np.concatenate([values, np.full(60, 5.0) + np.linspace(-0.1, 0.1, 60)])
    ids = np.concatenate([ids, 369120285 + 4 * np.arange(60, dtype=np.uint32)])
    values[[5, 6]] = [9.0, 30.0]
    plot = DetectorMap(geometry="tracker_map", ids=ids, values=values, flagged={"dead": ids[1:2]})
    listed = module_list(plot, GeometryRegistry())
    assert [(m.detid, m.flag) for m in listed.rows] == [
        (int(ids[1]), "dead"),
        (int(ids[6]), "high"),
        (int(ids[5]), "high"),
    ]
    assert listed.counts == (("dead", 1), ("high", 2)) and listed.total == 3
    assert listed.rows[0].name == "TIB L1 z- int S1 M1 rphi" and listed.rows[1].text == "30.0"


def test_map_csv_names_every_module_and_flags_the_dead(client: FlaskClient) -> None:
    text = client.get(f"/plot/maps.strip_noise/export.csv?tag={NOISE}").get_data(as_text=True)
    body = [line for line in text.splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert list(rows[0]) == ["id", "name", "value", "flag"]
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[369120277]["name"] == "TIB L1 z- int S1 M1 stereo"
    assert len({r["name"] for r in rows}) == len(rows) == 16_588
    dead = [r for r in rows if r["flag"] == "dead"]
    assert dead and all(float(r["value"]) == 0.0 for r in dead)


def test_module_list_names_modules_from_their_ids_when_the_layout_is_missing() -> None:
    ids = np.array([369120277, 369120278], dtype=np.uint32)
    plot = DetectorMap(
        geometry="no_such_layout", ids=ids, values=np.array([0.0, 5.0]), flagged={"dead": ids[:1]}
    )
    listed = module_list(plot, GeometryRegistry())
    assert [(m.name, m.flag) for m in listed.rows] == [("TIB L1 z- int S1 M1 stereo", "dead")]
