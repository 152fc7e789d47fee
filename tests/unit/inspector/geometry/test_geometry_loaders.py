"""Reading layout files in the tracker-map and vertices formats."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.geometry import GeometryFileError, load_layout, read_layout
from inspector.geometry.loaders import (
    TRACKER_MAP,
    VERTICES,
    detect_format,
    layout_name,
    parse_layout,
    parse_modules,
    parse_tracker_map,
    parse_vertices,
    read_lines,
)

REPO = Path(__file__).resolve().parents[4]
REFERENCE = REPO.parent / "shared" / "data" / "geometry"

needs_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(),
    reason=f"reference data {REFERENCE} is absent (it exists only in the development setup)",
)

TRACKER_MAP_TEXT = (
    "470180232 228.975 2899.47 238.779 2899.47 238.434 2895.92 228.694 2896.58 \n"
    "\n"
    "369120277 1 2 3 4 5 6\n"
    "436316472 0 0 1 0 1.5 1 0.5 2 -.5 1e0\n"
)
VERTICES_TEXT = (
    '352588804 FPix_BpI_D1_BLD6_PNL1_RNG1 "0,0 1,0 1,1 0,1"\n'
    '344262660 FPix_BmI_D1_BLD1_PNL1_RNG1  "-1,0 -0.5,0 -0.5,1"  \n'
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- good files


def test_tracker_map_file_is_sorted_by_id_with_vertices_kept_together(tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path, "strips.txt", TRACKER_MAP_TEXT))
    assert layout.name == "strips"
    assert layout.ids.tolist() == [369120277, 436316472, 470180232]
    assert np.diff(layout.offsets).tolist() == [3, 5, 4]  # 3, 5 and 4 vertices
    assert layout.names is None
    x, y = layout.polygon(0)
    assert x.tolist() == [1, 3, 5]
    assert y.tolist() == [2, 4, 6]
    x, y = layout.polygon(1)
    assert x.tolist() == [0, 1, 1.5, 0.5, -0.5]
    assert y.tolist() == [0, 0, 1, 2, 1]
    x, y = layout.polygon(2)
    np.testing.assert_array_equal(x, np.array([228.975, 238.779, 238.434, 228.694], "<f4"))
    np.testing.assert_array_equal(y, np.array([2899.47, 2899.47, 2895.92, 2896.58], "<f4"))


def test_vertices_file_keeps_names_with_their_polygons(tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path, "fpix_disk1.txt", VERTICES_TEXT))
    assert layout.name == "fpix_disk1"
    assert layout.ids.tolist() == [344262660, 352588804]
    assert layout.names == ("FPix_BmI_D1_BLD1_PNL1_RNG1", "FPix_BpI_D1_BLD6_PNL1_RNG1")
    x, y = layout.polygon(0)
    assert x.tolist() == [-1, -0.5, -0.5]
    assert y.tolist() == [0, 0, 1]
    assert layout.polygon(1)[0].tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize("text", [TRACKER_MAP_TEXT, VERTICES_TEXT])
def test_layout_arrays_are_typed_and_read_only(tmp_path: Path, text: str) -> None:
    layout = read_layout(write(tmp_path, "layout.txt", text))
    assert layout.ids.dtype == np.dtype("<u4")
    assert layout.offsets.dtype == np.dtype("<i4")
    assert layout.x.dtype == layout.y.dtype == np.dtype("<f4")
    assert layout.offsets[0] == 0
    assert layout.offsets[-1] == len(layout.x) == len(layout.y)
    for array in (layout.ids, layout.offsets, layout.x, layout.y):
        assert not array.flags.writeable


def test_format_is_detected_from_the_content(tmp_path: Path) -> None:
    lines, _ = read_lines(write(tmp_path, "a", TRACKER_MAP_TEXT))
    assert detect_format(lines, "a") == TRACKER_MAP
    lines, _ = read_lines(write(tmp_path, "b", VERTICES_TEXT))
    assert detect_format(lines, "b") == VERTICES


def test_name_and_format_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path, "strips.txt", TRACKER_MAP_TEXT)
    assert read_layout(path, "renamed", fmt=TRACKER_MAP).name == "renamed"
    with pytest.raises(GeometryFileError, match=r'strips\.txt:1: expected DETID NAME "x1,y1'):
        read_layout(path, fmt=VERTICES)


def test_blank_lines_and_a_byte_order_mark_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf\n  \n" + TRACKER_MAP_TEXT.encode())
    assert len(read_layout(path)) == 3
    lines, raw = read_lines(path)
    assert [n for n, _ in lines] == [3, 5, 6]
    assert raw.startswith(b"\xef\xbb\xbf")  # hashed as on disk


def test_module_list_is_parsed() -> None:
    modules = parse_modules([(1, "303042568 BPix_b"), (4, " 303042564 BPix_a ")], "m")
    assert modules.ids.tolist() == [303042568, 303042564]
    assert modules.ids.dtype == np.dtype("<u4")
    assert modules.names == ("BPix_b", "BPix_a")


def test_layout_name_is_the_file_stem() -> None:
    assert layout_name(Path("/plugins/data/fpix_disk1.txt")) == "fpix_disk1"
    assert layout_name(Path("vertices_barrel_1")) == "vertices_barrel_1"
    assert layout_name(Path("tec.v2.dat")) == "tec.v2"
    with pytest.raises(GeometryFileError, match=r"my layout\.txt: layout name 'my layout'"):
        layout_name(Path("my layout.txt"))


@needs_reference
@pytest.mark.parametrize(
    ("file", "shipped"),
    [("tracker_map_bare", "tracker_map"), ("vertices_barrel_1", "bpix_layer1")],
)
def test_reference_files_read_exactly_as_shipped(file: str, shipped: str) -> None:
    layout = read_layout(REFERENCE / file, shipped)
    expected = load_layout(shipped)
    for key in ("ids", "offsets", "x", "y"):
        np.testing.assert_array_equal(getattr(layout, key), getattr(expected, key), err_msg=key)
        assert getattr(layout, key).dtype == getattr(expected, key).dtype
    assert layout.names == expected.names


# --------------------------------------------------------------------------- bad files


BAD_LINES = {
    # tracker-map format
    "even field count": (TRACKER_MAP, "470180236 1 2 3 4 5 6 7", "found 8 fields"),
    "too few vertices": (TRACKER_MAP, "470180236 1 2 3 4", "at least 7"),
    "letter coordinate": (TRACKER_MAP, "470180236 1 2 3 4 5 x", "invalid coordinate 'x'"),
    "nan coordinate": (TRACKER_MAP, "470180236 1 2 3 4 5 nan", "invalid coordinate 'nan'"),
    "inf coordinate": (TRACKER_MAP, "470180236 1 2 3 inf 5 6", "invalid coordinate 'inf'"),
    "float32 overflow": (TRACKER_MAP, "470180236 1 2 3 4e38 5 6", "invalid coordinate '4e38'"),
    "underscore": (TRACKER_MAP, "470180236 1 2 3 4 5 1_0", "invalid coordinate '1_0'"),
    "negative id": (TRACKER_MAP, "-470180236 1 2 3 4 5 6", "invalid detector id '-470180236'"),
    "zero id": (TRACKER_MAP, "0 1 2 3 4 5 6", "invalid detector id '0'"),
    "id over 32 bits": (TRACKER_MAP, "4294967296 1 2 3 4 5 6", "invalid detector id"),
    "id of 11 digits": (TRACKER_MAP, "00470180236 1 2 3 4 5 6", "invalid detector id"),
    "duplicate id": (TRACKER_MAP, "369120277 1 2 3 4 5 6", "369120277 already appears on line 3"),
    # vertices format
    "no quotes": (VERTICES, "344262664 NAME 0,0 1,0 1,1", 'expected DETID NAME "x1,y1'),
    "bad vertex": (VERTICES, '344262664 NAME "0,0 1;0 1,1"', "vertex '1;0' is not of the form"),
    "three numbers": (VERTICES, '344262664 NAME "0,0,0 1,0 1,1"', "vertex '0,0,0'"),
    "two vertices": (VERTICES, '344262664 NAME "0,0 1,0"', "at least 3 vertices, found 2"),
    "no vertices": (VERTICES, '344262664 NAME ""', "at least 3 vertices, found 0"),
    "nan vertex": (VERTICES, '344262664 NAME "0,0 1,nan 1,1"', "invalid coordinate 'nan'"),
    "bad vertices id": (VERTICES, '3442x2664 NAME "0,0 1,0 1,1"', "invalid detector id"),
    "vertices duplicate": (VERTICES, '352588804 X "0,0 1,0 1,1"', "already appears on line 1"),
}


@pytest.mark.parametrize(("fmt", "line", "message"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_malformed_line_is_reported_with_file_and_line(
    tmp_path: Path, fmt: str, line: str, message: str
) -> None:
    good = TRACKER_MAP_TEXT if fmt == TRACKER_MAP else VERTICES_TEXT
    path = write(tmp_path, "bad_layout.txt", good + "\n" + line + "\n")
    number = good.count("\n") + 2
    with pytest.raises(GeometryFileError) as caught:
        read_layout(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:{number}: "), text
    assert message in text


def test_the_first_bad_line_in_the_file_is_reported(tmp_path: Path) -> None:
    # Line 2 has a bad coordinate, line 3 a bad field count: the fast path sees the
    # field counts first, but the user must hear about line 2.
    path = write(tmp_path, "two_bad.txt", "1 1 2 3 4 5 6\n2 1 2 3 4 5 x\n3 1 2\n")
    with pytest.raises(GeometryFileError, match=r"two_bad\.txt:2: invalid coordinate 'x'$"):
        read_layout(path)


def test_duplicate_reports_the_earliest_repeat_and_its_first_line(tmp_path: Path) -> None:
    text = "5 0 0 1 0 1 1\n7 0 0 1 0 1 1\n9 0 0 1 0 1 1\n7 0 0 1 0 1 1\n5 0 0 1 0 1 1\n"
    path = write(tmp_path, "dups.txt", text)
    with pytest.raises(GeometryFileError, match=r"dups\.txt:4: detector id 7 already .* line 2$"):
        read_layout(path)


def test_unknown_format_names_both_formats(tmp_path: Path) -> None:
    path = write(tmp_path, "what.txt", "\n303042564 NAME 0,0 1,0 1,1\n")
    with pytest.raises(GeometryFileError, match=r"what\.txt:2: cannot tell the layout format"):
        read_layout(path)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(GeometryFileError, match=r"empty\.txt: no layout lines"):
        read_layout(write(tmp_path, "empty.txt", "\n \n"))


def test_non_utf8_text_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"1 0 0 1 0 1 1\n2 0 0 1 0 1 1 \xe9\n")
    with pytest.raises(GeometryFileError, match=r"latin1\.txt:2: not UTF-8 text"):
        read_layout(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(GeometryFileError, match=r"missing geometry file: .*nowhere\.txt"):
        read_layout(tmp_path / "nowhere.txt")
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(GeometryFileError, match=r"folder\.txt is a directory"):
        read_layout(tmp_path / "folder.txt")


def test_parse_layout_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown layout format 'svg'"):
        parse_layout([(1, "1 0 0 1 0 1 1")], "f", "f", fmt="svg")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- fast == exact

# An independent statement of the rules, token by token: the vectorised parser
# must accept exactly the lines this accepts, and read the same numbers.
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_F4_MAX = float(np.finfo(np.float32).max)


def _coordinate_ok(token: str) -> bool:
    if not _NUMBER.fullmatch(token):
        return False
    value = float(token)
    return math.isfinite(value) and abs(value) <= _F4_MAX


def _id_ok(token: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{1,10}", token)) and 0 < int(token) <= 0xFFFFFFFF


GOOD_COORDINATES = ["1", "-2.5", "+.5", "5.", "1e3", "1E-3", "0", "3.4028234e38", "228.975"]
BAD_COORDINATES = ["nan", "inf", "1_0", "x", "1e", "e5", ".", "--1", "1e39", "0x10", "١", "1-2"]
BAD_COORDINATES += ["+", "1,2"]
BAD_IDS = ["0", "4294967296", "00000000001", "+5", "٣", "1.0"]
# Mostly good tokens and shapes, so that whole files are often valid as well
# (about half of the examples) and both outcomes are exercised.
COORDINATES = st.sampled_from(GOOD_COORDINATES * 40 + BAD_COORDINATES)
IDS = st.one_of(*[st.integers(1, 0xFFFFFFFF).map(str)] * 20, st.sampled_from(BAD_IDS))
PAIRS = st.lists(st.tuples(COORDINATES, COORDINATES), min_size=3, max_size=5)
CHANGE = st.sampled_from([0] * 20 + [-1, -2, 1])  # drop or add coordinates now and then


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(IDS, PAIRS, CHANGE), min_size=1, max_size=4))
def test_fast_tracker_map_parser_agrees_with_the_token_rules(
    rows: list[tuple[str, list[tuple[str, str]], int]],
) -> None:
    table = []
    for detid, pairs, change in rows:
        coords = [token for pair in pairs for token in pair]
        coords = [*coords, "7"] if change > 0 else coords[: len(coords) + change]
        table.append((detid, coords))
    lines = [(n, " ".join([detid, *coords])) for n, (detid, coords) in enumerate(table, start=1)]
    valid = all(
        len(coords) >= 6
        and len(coords) % 2 == 0
        and _id_ok(detid)
        and all(map(_coordinate_ok, coords))
        for detid, coords in table
    ) and len({int(detid) for detid, _ in table}) == len(table)
    if not valid:
        with pytest.raises(GeometryFileError, match=r"^f:\d+: "):
            parse_tracker_map(lines, "f")
        return
    polygons = parse_tracker_map(lines, "f")
    assert polygons.ids.tolist() == [int(detid) for detid, _ in table]
    flat = [float(token) for _, coords in table for token in coords]
    np.testing.assert_array_equal(polygons.x, np.array(flat[0::2], dtype="<f4"))
    np.testing.assert_array_equal(polygons.y, np.array(flat[1::2], dtype="<f4"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(PAIRS, CHANGE), min_size=1, max_size=4))
def test_fast_vertices_parser_agrees_with_the_token_rules(
    rows: list[tuple[list[tuple[str, str]], int]],
) -> None:
    table = [pairs[: len(pairs) + min(change, 0)] for pairs, change in rows]
    lines = [
        (n, f'{n} M{n} "{" ".join(f"{x},{y}" for x, y in pairs)}"')
        for n, pairs in enumerate(table, start=1)
    ]
    valid = all(
        len(pairs) >= 3 and all(_coordinate_ok(x) and _coordinate_ok(y) for x, y in pairs)
        for pairs in table
    )
    if not valid:
        with pytest.raises(GeometryFileError, match=r"^f:\d+: "):
            parse_vertices(lines, "f")
        return
    polygons = parse_vertices(lines, "f")
    assert polygons.names == tuple(f"M{n}" for n in range(1, len(table) + 1))
    assert polygons.counts.tolist() == [len(pairs) for pairs in table]
    np.testing.assert_array_equal(
        polygons.x, np.array([float(x) for pairs in table for x, _ in pairs], dtype="<f4")
    )
    np.testing.assert_array_equal(
        polygons.y, np.array([float(y) for pairs in table for _, y in pairs], dtype="<f4")
    )
