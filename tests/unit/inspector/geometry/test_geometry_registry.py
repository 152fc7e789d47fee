"""The geometry registry: shipped layouts, layouts added by plugins, names, partitions."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from inspector.errors import InvalidParameter, NotFound
from inspector.geometry import (
    PARTITIONS,
    SIDED_PARTITIONS,
    GeometryFileError,
    GeometryRegistry,
    Layout,
    filter_layout,
    layout_names,
    load_layout,
    partition_index,
    partition_mask,
    partition_of,
    pixel_modules,
    read_layout,
    readable_names,
)
from inspector.geometry import registry as registry_module
from inspector.geometry.detid import partition_names
from inspector.plugin import hookimpl, load_plugins

# Three Phase-1 FPix modules of disk 1 (ids and names as in pixel_detids.dat): the
# forward-disk layouts are deliberately absent from the shipped geometry.
FPIX_DISK1 = {
    344220676: "FPix_BmI_D1_BLD1_PNL1_RNG1",
    344221700: "FPix_BmI_D1_BLD1_PNL2_RNG1",
    352588804: "FPix_BpI_D1_BLD6_PNL1_RNG1",
}
ECAL_BARREL_ID = (3 << 28) | (1 << 25) | (1 << 16) | (1 << 9) | 1


def fpix_vertices_text() -> str:
    """A vertices-format layout: one named square per module, side by side."""
    return "".join(
        f'{detid} {name} "{i},0 {i + 1},0 {i + 1},1 {i},1"\n'
        for i, (detid, name) in enumerate(FPIX_DISK1.items())
    )


def fpix_tracker_map_text() -> str:
    """A tracker-map-format layout of the same modules: triangles, no names."""
    return "".join(
        f"{detid} {i} 10 {i + 0.5} 11 {i + 1} 10\n" for i, detid in enumerate(FPIX_DISK1)
    )


class LayoutPlugin:
    """A plugin that adds layouts as data files, as a detector group's package would."""

    def __init__(self, *paths: Path) -> None:
        self.paths = list(paths)

    @hookimpl
    def register_geometries(self) -> list[Path]:
        return self.paths


def registry_with(*plugins: tuple[str, object]) -> GeometryRegistry:
    return GeometryRegistry.from_plugins(load_plugins(entry_points=False, extra=plugins))


# --------------------------------------------------------------------------- shipped layouts


def test_shipped_layouts_are_served_by_name() -> None:
    registry = GeometryRegistry()
    assert registry.names() == layout_names()
    assert len(registry) == 5
    assert "tracker_map" in registry
    assert list(registry) == list(layout_names())
    assert registry.get("bpix_layer2") is load_layout("bpix_layer2")
    assert registry.source("tracker_map") == "shipped"


def test_unknown_layout_is_not_found_listing_the_known_names() -> None:
    with pytest.raises(NotFound, match=r"'fpix_disk9'; known layouts: tracker_map, bpix_layer1"):
        GeometryRegistry().get("fpix_disk9")
    with pytest.raises(NotFound):
        GeometryRegistry().module_names("fpix_disk9")


# --------------------------------------------------------------------------- plugin layouts


def test_new_layouts_in_both_formats_are_added_as_data_files_by_a_plugin(tmp_path: Path) -> None:
    disk1 = tmp_path / "fpix_disk1.txt"
    disk1.write_text(fpix_vertices_text())
    disk2 = tmp_path / "fpix_disk2.dat"
    disk2.write_text(fpix_tracker_map_text())

    registry = registry_with(("fpix", LayoutPlugin(disk1, disk2)))

    assert registry.names() == (*layout_names(), "fpix_disk1", "fpix_disk2")
    assert registry.source("fpix_disk1") == str(disk1)

    vertices = registry.get("fpix_disk1")
    assert isinstance(vertices, Layout)
    assert vertices.name == "fpix_disk1"
    assert vertices.ids.tolist() == sorted(FPIX_DISK1)
    row = int(vertices.positions([352588804])[0])
    x, y = vertices.polygon(row)
    assert x.tolist() == [2, 3, 3, 2]
    assert y.tolist() == [0, 0, 1, 1]
    assert registry.module_names("fpix_disk1")[row] == "FPix_BpI_D1_BLD6_PNL1_RNG1"

    triangles = registry.get("fpix_disk2")
    row = int(triangles.positions([344221700])[0])
    x, y = triangles.polygon(row)
    assert x.tolist() == [1, 1.5, 2]
    assert y.tolist() == [10, 11, 10]
    assert triangles.names is None
    # No names in the file: readable names come from the shipped pixel module list.
    assert registry.module_names("fpix_disk2") == tuple(
        FPIX_DISK1[i] for i in triangles.ids.tolist()
    )
    assert registry.get("fpix_disk2") is triangles  # read once, then served from memory


def test_a_name_defined_twice_names_both_sources(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "fpix_disk1.txt", tmp_path / "b" / "fpix_disk1.txt"
    first.write_text("")
    second.write_text("")
    with pytest.raises(GeometryFileError) as caught:
        registry_with(("one", LayoutPlugin(first)), ("two", LayoutPlugin(second)))
    message = str(caught.value)
    assert "'fpix_disk1' is defined twice" in message
    assert str(first) in message
    assert str(second) in message

    shadow = tmp_path / "tracker_map.txt"
    with pytest.raises(
        GeometryFileError, match=r"by the shipped geometry and by file .*tracker_map"
    ):
        GeometryRegistry([shadow])


def test_the_same_file_registered_twice_is_one_layout(tmp_path: Path) -> None:
    path = tmp_path / "fpix_disk1.txt"
    path.write_text(fpix_vertices_text())
    registry = registry_with(("one", LayoutPlugin(path)), ("two", LayoutPlugin(path)))
    assert registry.names().count("fpix_disk1") == 1


def test_a_file_name_that_is_no_layout_name_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(GeometryFileError, match="layout name 'fpix disk'"):
        GeometryRegistry([tmp_path / "fpix disk.txt"])


def test_a_broken_plugin_file_fails_only_its_own_layout(tmp_path: Path) -> None:
    broken = tmp_path / "fpix_disk3.txt"
    broken.write_text(fpix_vertices_text() + '344262668 FPix_x "0,0 1,0"\n')
    missing = tmp_path / "fpix_disk4.txt"
    registry = GeometryRegistry([broken, missing])  # nothing is read yet
    with pytest.raises(GeometryFileError, match=rf"^{broken}:4: a polygon needs at least 3"):
        registry.get("fpix_disk3")
    with pytest.raises(GeometryFileError, match=rf"missing geometry file: {missing}"):
        registry.module_names("fpix_disk4")
    assert len(registry.get("tracker_map")) == 16_588
    with pytest.raises(GeometryFileError, match="fpix_disk3"):
        registry.check()
    broken.write_text(fpix_vertices_text())  # errors are not cached: a fixed file is read
    assert len(registry.get("fpix_disk3")) == 3


def test_a_cold_layout_is_read_once_however_many_threads_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "fpix_disk1.txt"
    path.write_text(fpix_vertices_text())
    reads: list[str] = []
    real = read_layout

    def slow_read(file: Path, name: str | None = None) -> Layout:
        reads.append(str(file))
        time.sleep(0.05)  # long enough for every thread to arrive while it runs
        return real(file, name)

    monkeypatch.setattr(registry_module, "read_layout", slow_read)
    registry = GeometryRegistry([path])
    start = threading.Barrier(16)
    results: list[Layout] = []
    names: list[tuple[str, ...]] = []

    def ask() -> None:
        start.wait()
        results.append(registry.get("fpix_disk1"))
        names.append(registry.module_names("fpix_disk1"))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == [str(path)]
    assert len(results) == 16
    assert all(layout is results[0] for layout in results)
    assert all(n is names[0] for n in names)


# --------------------------------------------------------------------------- readable names


@pytest.mark.parametrize("name", list(layout_names()))
def test_readable_names_are_unique_per_module(name: str) -> None:
    registry = GeometryRegistry()
    names = registry.module_names(name)
    assert len(names) == len(registry.get(name))
    assert len(set(names)) == len(names)
    assert registry.module_names(name) is names


def test_tracker_map_names_come_from_the_detid_topology() -> None:
    names = dict(
        zip(
            load_layout("tracker_map").ids.tolist(),
            GeometryRegistry().module_names("tracker_map"),
            strict=True,
        )
    )
    # TIB layer 1, z- (fw/bw 1), internal string 1, module 1, stereo sensor:
    assert names[369120277] == "TIB L1 z- int S1 M1 stereo"
    # TEC side 1 (minus), wheel 9, front petal 1, ring 4, module 2, single-sided:
    assert names[470180232] == "TEC- W9 R4 front P1 M2"
    assert names[436316472] == "TOB L6 z+ R73 M6"
    counts = Counter(name.split()[0] for name in names.values())
    assert counts == {
        "TIB": 2_724,
        "TOB": 5_208,
        "TID-": 408,
        "TID+": 408,
        "TEC-": 3_200,
        "TEC+": 3_200,
        "BPix": 768,
        "FPix-": 336,
        "FPix+": 336,
    }
    assert all(n.startswith(("TEC", "TID", "TIB", "TOB", "BPix L", "FPix")) for n in names.values())


def test_readable_names_of_pixel_and_foreign_ids() -> None:
    ids, names = pixel_modules()
    assert readable_names(ids) == names  # Phase-1 pixels: the official names
    phase0_bpix = (1 << 28) | (1 << 25) | (2 << 16) | (7 << 8) | (3 << 2)
    phase0_fpix = (1 << 28) | (2 << 25) | (2 << 23) | (1 << 16) | (12 << 10) | (2 << 8) | (3 << 2)
    assert readable_names([phase0_bpix, phase0_fpix, ECAL_BARREL_ID]) == (
        "BPix L2 Ld7 M3",
        "FPix+ D1 B12 P2 M3",
        str(ECAL_BARREL_ID),
    )
    assert readable_names(np.zeros(0, dtype="<u4")) == ()


def test_names_that_would_coincide_get_their_detid() -> None:
    stray = 369120277 | (1 << 20)  # a bit no TIB field uses
    assert readable_names([369120277, stray, 369120277]) == (
        "TIB L1 z- int S1 M1 stereo [369120277]",
        f"TIB L1 z- int S1 M1 stereo [{stray}]",
        "TIB L1 z- int S1 M1 stereo [369120277]",
    )


# --------------------------------------------------------------------------- partitions


def test_partitions_of_the_real_tracker_map() -> None:
    ids = load_layout("tracker_map").ids
    assert Counter(partition_of(ids).tolist()) == {
        "TIB": 2_724,
        "TID": 816,
        "TOB": 5_208,
        "TEC": 6_400,
        "BPix": 768,  # the older (Phase-0) pixel detector of the tracker map
        "FPix": 672,
    }
    assert Counter(partition_of(ids, sides=True).tolist()) == {
        "TIB": 2_724,
        "TID-": 408,
        "TID+": 408,
        "TOB": 5_208,
        "TEC-": 3_200,
        "TEC+": 3_200,
        "BPix": 768,
        "FPix-": 336,
        "FPix+": 336,
    }


def test_sided_partitions_match_the_detid_partition_names() -> None:
    ids = load_layout("tracker_map").ids
    np.testing.assert_array_equal(partition_of(ids, sides=True), partition_names(ids))
    assert partition_index(369120277) == PARTITIONS.index("TIB")


def test_partition_index_serves_history_series() -> None:
    ids = load_layout("tracker_map").ids
    index = partition_index(ids)
    assert index.dtype == np.dtype("i1")
    values = np.where(partition_of(ids) == "TEC", 2.0, 1.0)
    sums = np.bincount(index, weights=values, minlength=len(PARTITIONS))
    counts = np.bincount(index, minlength=len(PARTITIONS))
    means = dict(zip(PARTITIONS, (sums / counts).tolist(), strict=True))
    assert means == {"BPix": 1, "FPix": 1, "TIB": 1, "TID": 1, "TOB": 1, "TEC": 2}
    sided = partition_index(ids, sides=True)
    assert np.bincount(sided).tolist() == [768, 336, 336, 2_724, 408, 408, 5_208, 3_200, 3_200]
    assert len(SIDED_PARTITIONS) == 9


def test_ids_outside_the_tracker_have_no_partition() -> None:
    ids = np.array([ECAL_BARREL_ID, 369120277], dtype="<u4")
    assert partition_index(ids).tolist() == [-1, PARTITIONS.index("TIB")]
    assert partition_of(ids, sides=True).tolist() == ["unknown", "TIB"]
    assert partition_mask(ids, "all").tolist() == [True, True]


def test_partition_masks() -> None:
    ids = load_layout("tracker_map").ids
    assert int(partition_mask(ids, "TEC").sum()) == 6_400
    assert int(partition_mask(ids, "TEC+").sum()) == 3_200
    assert int(partition_mask(ids, "FPix-").sum()) == 336
    with pytest.raises(InvalidParameter, match=r"unknown partition 'TEC\+\+'; known: all, BPix"):
        partition_mask(ids, "TEC++")


def test_filter_layout_keeps_the_polygons_of_one_partition() -> None:
    full = load_layout("tracker_map")
    tec_plus = filter_layout(full, "TEC+")
    assert tec_plus.name == "tracker_map:TEC+"
    assert len(tec_plus) == 3_200
    assert set(partition_of(tec_plus.ids, sides=True).tolist()) == {"TEC+"}
    assert np.all(np.diff(tec_plus.ids.astype("<i8")) > 0)
    for array in (tec_plus.ids, tec_plus.offsets, tec_plus.x, tec_plus.y):
        assert not array.flags.writeable
    for row in (0, 1_234, 3_199):
        x, y = tec_plus.polygon(row)
        expected = full.polygon(int(full.positions([tec_plus.ids[row]])[0]))
        np.testing.assert_array_equal(x, expected[0])
        np.testing.assert_array_equal(y, expected[1])
    assert filter_layout(full, "all") is full


def test_filter_layout_keeps_names_and_can_be_empty() -> None:
    barrel = load_layout("bpix_layer1")
    assert filter_layout(barrel, "BPix").names == barrel.names
    empty = filter_layout(barrel, "TEC")
    assert len(empty) == 0
    assert empty.offsets.tolist() == [0]
    assert empty.names == ()
