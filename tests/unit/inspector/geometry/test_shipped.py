"""The shipped geometry file, and the script that derives it from the reference data."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from inspector.geometry import (
    Layout,
    layout_names,
    load_layout,
    pixel_modules,
    provenance,
    strip_module_ids,
)
from inspector.geometry.shipped import read_geometry_file

REPO = Path(__file__).resolve().parents[4]
SCRIPT = REPO / "tools" / "derive_geometry.py"
SHIPPED = REPO / "inspector" / "geometry" / "data" / "cms_geometry.npz"
REFERENCE = REPO.parent / "shared" / "data" / "geometry"
SOURCE_FILES = [
    "tracker_map_bare",
    *(f"vertices_barrel_{layer}" for layer in range(1, 5)),
    "pixel_detids.dat",
]

needs_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(),
    reason=f"reference data {REFERENCE} is absent (it exists only in the development setup)",
)


@pytest.fixture(scope="module")
def derive_geometry() -> Iterator[ModuleType]:
    """The script loaded as a module, so its main() runs in-process (fast, capturable).

    It is registered in ``sys.modules`` while loading because its dataclasses
    resolve their annotations through it, and removed again afterwards.
    """
    name = "_test_derive_geometry"
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the script as users do, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def write_tiny_source(folder: Path) -> Path:
    """A small, valid source folder in the reference format (ids deliberately unsorted)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tracker_map_bare").write_text(
        "470180232 228.975 2899.47 238.779 2899.47 238.434 2895.92 228.694 2896.58 \n"
        "369120277 1 2 3 4 5 6\n"
        "436316472 966.566 2482.51 986.981 2482.51 986.981 2478.23 966.566 2478.23"
    )
    for layer in range(1, 5):
        base = 303042564 + (layer << 20)
        (folder / f"vertices_barrel_{layer}").write_text(
            f'{base + 4} BPix_B_L{layer}_second "0,0 1,0 1,1 0,1"\n'
            f'{base} BPix_B_L{layer}_first "-1,0 -0.5,0 -0.5,1"\n'
        )
    (folder / "pixel_detids.dat").write_text(
        "352588804 FPix_BpI_D1_BLD6_PNL1_RNG1 \n303042564 BPix_BmI_SEC3_LYR1_LDR3F_MOD4\n"
    )
    return folder


# --------------------------------------------------------------------------- shipped file


def test_layouts_and_their_sizes() -> None:
    assert layout_names() == (
        "tracker_map",
        "bpix_layer1",
        "bpix_layer2",
        "bpix_layer3",
        "bpix_layer4",
    )
    sizes = {name: len(load_layout(name)) for name in layout_names()}
    # 16,588 polygons: the reference README's "16,587 lines" counts newlines, and the
    # file's last line has none.
    assert sizes == {
        "tracker_map": 16_588,
        "bpix_layer1": 96,
        "bpix_layer2": 224,
        "bpix_layer3": 352,
        "bpix_layer4": 512,
    }


@pytest.mark.parametrize("name", ["tracker_map", "bpix_layer1", "bpix_layer4"])
def test_layout_arrays_are_consistent_typed_and_read_only(name: str) -> None:
    layout = load_layout(name)
    assert layout.ids.dtype == np.dtype("<u4")
    assert layout.offsets.dtype == np.dtype("<i4")
    assert layout.x.dtype == layout.y.dtype == np.dtype("<f4")
    assert layout.offsets[0] == 0
    assert layout.offsets[-1] == len(layout.x) == len(layout.y)
    assert set(np.diff(layout.offsets).tolist()) <= {3, 4}
    assert np.all(np.diff(layout.ids.astype(np.dtype("<i8"))) > 0)
    assert np.all(np.isfinite(layout.x))
    assert np.all(np.isfinite(layout.y))
    for array in (layout.ids, layout.offsets, layout.x, layout.y):
        assert not array.flags.writeable
    assert load_layout(name) is layout


def test_tracker_map_polygon_matches_the_source_line() -> None:
    layout = load_layout("tracker_map")
    index = int(layout.positions([470180232])[0])
    x, y = layout.polygon(index)
    # tracker_map_bare line 1: 470180232 228.975 2899.47 238.779 2899.47 238.434 ...
    np.testing.assert_array_equal(x, np.array([228.975, 238.779, 238.434, 228.694], "<f4"))
    np.testing.assert_array_equal(y, np.array([2899.47, 2899.47, 2895.92, 2896.58], "<f4"))
    assert layout.names is None


def test_bpix_layout_has_names_that_match_the_pixel_module_list() -> None:
    pixel_ids, pixel_names = pixel_modules()
    name_of = dict(zip(pixel_ids.tolist(), pixel_names, strict=True))
    for layer in range(1, 5):
        layout = load_layout(f"bpix_layer{layer}")
        assert layout.names is not None
        assert len(layout.names) == len(layout)
        assert [name_of[i] for i in layout.ids.tolist()] == list(layout.names)
        assert all(f"_LYR{layer}_" in name for name in layout.names)
    first = load_layout("bpix_layer1")
    index = int(first.positions([303042564])[0])
    assert first.names is not None
    assert first.names[index] == "BPix_BmI_SEC3_LYR1_LDR3F_MOD4"
    x, y = first.polygon(index)
    assert x.tolist() == pytest.approx([-26.69, -20.21, -20.21, -26.69])
    assert y.tolist() == [0, 0, 1, 1]


def test_positions_join_ids_to_polygons() -> None:
    layout = load_layout("bpix_layer1")
    wanted = np.array([layout.ids[5], 1, layout.ids[0], 0xFFFFFFFF], dtype="<u4")
    assert layout.positions(wanted).tolist() == [5, -1, 0, -1]
    assert layout.positions(np.zeros((2, 0), dtype="<u4")).shape == (2, 0)
    with pytest.raises(IndexError):
        layout.polygon(len(layout))


def test_unknown_layout_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known layouts: tracker_map, bpix_layer1"):
        load_layout("fpix_disk1")


def test_strip_module_ids() -> None:
    ids = strip_module_ids()
    assert len(ids) == 15_148
    assert ids.dtype == np.dtype("<u4")
    assert np.all(np.diff(ids.astype(np.dtype("<i8"))) > 0)
    assert 470180232 in ids
    assert 303042564 not in ids


def test_pixel_modules() -> None:
    ids, names = pixel_modules()
    # 1,856 modules (1,184 BPix + 672 FPix): the reference README's 1,855 counts
    # newlines, and the file's last line has none.
    assert len(ids) == len(names) == 1_856
    assert ids.dtype == np.dtype("<u4")
    assert np.all(np.diff(ids.astype(np.dtype("<i8"))) > 0)
    assert sum(name.startswith("BPix") for name in names) == 1_184
    assert sum(name.startswith("FPix") for name in names) == 672
    assert len(set(names)) == 1_856
    assert names[int(np.searchsorted(ids, 303042564))] == "BPix_BmI_SEC3_LYR1_LDR3F_MOD4"


def test_provenance_names_every_source_and_the_origin() -> None:
    text = provenance()
    assert "2acb60166e2b" in text
    assert "DQM-SiStripMonitorClient" in text
    for name in SOURCE_FILES:
        assert f"  {name} sha256=" in text
    assert "tracker_map_bare sha256=" in text
    assert "lines=16588" in text


def test_layout_dataclass_is_frozen() -> None:
    layout = load_layout("bpix_layer2")
    assert isinstance(layout, Layout)
    with pytest.raises(AttributeError):
        layout.name = "other"  # type: ignore[misc]


# --------------------------------------------------------------------------- derivation


@needs_reference
def test_shipped_file_is_up_to_date_with_the_reference_data() -> None:
    text = provenance()
    for name in SOURCE_FILES:
        digest = hashlib.sha256((REFERENCE / name).read_bytes()).hexdigest()
        assert f"  {name} sha256={digest} " in text, f"{name} changed: rerun make geometry"


@needs_reference
def test_derivation_is_deterministic_and_matches_the_shipped_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "geometry.npz", tmp_path / "b" / "geometry.npz"
    for output in (first, second):
        result = run_script("--source", REFERENCE, "--output", output)
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == second.read_bytes()
    derived = read_geometry_file(first.read_bytes())
    shipped = read_geometry_file(SHIPPED.read_bytes())
    assert list(derived) == list(shipped)
    for key, array in shipped.items():
        assert derived[key].dtype == array.dtype, key
        np.testing.assert_array_equal(derived[key], array, err_msg=key)
    assert first.stat().st_size < 600_000


def test_derived_file_has_no_pickled_objects(tmp_path: Path, derive_geometry: ModuleType) -> None:
    output = tmp_path / "tiny.npz"
    assert (
        derive_geometry.main(
            ["--source", str(write_tiny_source(tmp_path / "src")), "--output", str(output)]
        )
        == 0
    )
    with np.load(output, allow_pickle=False) as npz:
        assert all(npz[key].dtype.kind in "uif" for key in npz.files)


def test_tiny_source_is_sorted_by_id_keeping_vertices_with_their_polygon(
    tmp_path: Path, derive_geometry: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "tiny.npz"
    source = write_tiny_source(tmp_path / "src")
    assert derive_geometry.main(["--source", str(source), "--output", str(output)]) == 0
    assert "tracker_map 3" in capsys.readouterr().out
    arrays = read_geometry_file(output.read_bytes())
    assert arrays["tracker_map.ids"].tolist() == [369120277, 436316472, 470180232]
    assert arrays["tracker_map.offsets"].tolist() == [0, 3, 7, 11]
    assert arrays["tracker_map.x"][:3].tolist() == [1, 3, 5]
    assert arrays["tracker_map.y"][3:7].tolist() == pytest.approx(
        [2482.51, 2482.51, 2478.23, 2478.23]
    )
    assert arrays["tracker_map.names"].size == 0
    assert arrays["bpix_layer2.offsets"].tolist() == [0, 3, 7]
    assert bytes(arrays["bpix_layer2.names"]).decode() == "BPix_B_L2_first\nBPix_B_L2_second"
    assert arrays["bpix_layer2.x"][:3].tolist() == [-1, -0.5, -0.5]
    assert arrays["pixel_modules.ids"].tolist() == [303042564, 352588804]
    text = bytes(arrays["provenance"]).decode()
    digest = hashlib.sha256((source / "pixel_detids.dat").read_bytes()).hexdigest()
    assert f"pixel_detids.dat sha256={digest} lines=2" in text
    assert str(tmp_path) not in text  # no machine-specific paths: output stays reproducible


# --------------------------------------------------------------------------- errors

Corruption = Callable[[Path], tuple[str, int]]


def _replace_line(file: str, line: int, text: str) -> Corruption:
    def corrupt(folder: Path) -> tuple[str, int]:
        path = folder / file
        lines = path.read_text().splitlines()
        lines[line - 1] = text
        path.write_text("\n".join(lines) + "\n")
        return file, line

    return corrupt


MALFORMED = {
    "too few fields": _replace_line("tracker_map_bare", 2, "369120277 1 2 3 4"),
    "bad coordinate": _replace_line("tracker_map_bare", 3, "436316472 1 2 3 4 5 x"),
    "nan coordinate": _replace_line("tracker_map_bare", 1, "470180232 1 2 3 4 5 nan"),
    "negative id": _replace_line("tracker_map_bare", 2, "-369120277 1 2 3 4 5 6"),
    "id too large": _replace_line("pixel_detids.dat", 1, "4294967296 FPix_x"),
    "duplicate id": _replace_line("tracker_map_bare", 3, "369120277 1 2 3 4 5 6"),
    "no quotes": _replace_line("vertices_barrel_3", 2, "303042564 NAME 0,0 1,0 1,1"),
    "bad vertex": _replace_line("vertices_barrel_1", 1, '303042568 NAME "0,0 1;0 1,1"'),
    "two vertices": _replace_line("vertices_barrel_4", 2, '303042564 NAME "0,0 1,0"'),
    "pixel extra field": _replace_line("pixel_detids.dat", 2, "303042564 BPix_a extra"),
}


@pytest.mark.parametrize("corrupt", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_line_names_file_and_line(
    tmp_path: Path,
    derive_geometry: ModuleType,
    capsys: pytest.CaptureFixture[str],
    corrupt: Corruption,
) -> None:
    source = write_tiny_source(tmp_path / "src")
    file, line = corrupt(source)
    output = tmp_path / "out.npz"
    assert derive_geometry.main(["--source", str(source), "--output", str(output)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("derive_geometry: error: ")
    assert f"{file}:{line}:" in error
    assert not output.exists()


def test_malformed_line_exits_2_from_the_command_line(tmp_path: Path) -> None:
    source = write_tiny_source(tmp_path / "src")
    _replace_line("vertices_barrel_2", 1, "garbage")(source)
    result = run_script("--source", source, "--output", tmp_path / "out.npz")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        'derive_geometry: error: vertices_barrel_2:1: expected DETID NAME "x1,y1 x2,y2 ..."'
    ]


def test_missing_source_folder_exits_2(tmp_path: Path) -> None:
    result = run_script("--source", tmp_path / "nowhere", "--output", tmp_path / "out.npz")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "source folder not found" in result.stderr
    assert "nowhere" in result.stderr


def test_missing_source_file_exits_2(
    tmp_path: Path, derive_geometry: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tiny_source(tmp_path / "src")
    (source / "vertices_barrel_3").unlink()
    assert derive_geometry.main(["--source", str(source), "--output", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "missing source file" in error
    assert "vertices_barrel_3" in error


def test_non_utf8_line_is_reported_with_its_number(
    tmp_path: Path, derive_geometry: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tiny_source(tmp_path / "src")
    (source / "pixel_detids.dat").write_bytes(b"303042564 BPix_a\n303042568 BPix_\xff\n")
    assert derive_geometry.main(["--source", str(source), "--output", str(tmp_path / "o")]) == 2
    assert "pixel_detids.dat:2: not UTF-8 text" in capsys.readouterr().err
