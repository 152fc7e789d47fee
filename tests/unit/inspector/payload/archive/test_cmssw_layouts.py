"""The CMSSW archive layouts of real CMS classes (``payload_schemas/*.archive.toml``).

Each layout must parse, name the OBJECT_TYPE CondDB stores, cite the cmssw
header and commit it was written from, and declare nothing it does not use.
A realistic instance of each class survives encode → decode → encode
unchanged, and tiny instances encode to byte strings derived by hand from
the encoding rules of ``docs/payload-schemas.md`` (and decode back from
those bytes, so the reader is checked independently of the writer).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inspector.cmssw.pixel_gains import unpack
from inspector.cmssw.pixels import FOR_HLT
from inspector.cmssw.strips import decode_noises, encode_noises
from inspector.payload import ArchiveLayout, SchemaRegistry, load_archive_layout
from inspector.payload.archive.reader import read_archive
from inspector.payload.archive.types import (
    ArrayType,
    ClassType,
    CType,
    EnumType,
    MapType,
    PairType,
    SeqType,
)
from inspector.payload.archive.writer import write_archive

LAYOUT_DIR = Path(__file__).resolve().parents[5] / "payload_schemas"

#: file → the OBJECT_TYPE CondDB stores (cond::demangledName of the C++ class)
OBJECT_TYPES = {
    "Alignments.archive.toml": "Alignments",
    "BeamSpotObjects.archive.toml": "BeamSpotObjects",
    "EcalPedestals.archive.toml": "EcalCondObjectContainer<EcalPedestal>",
    "SiPixelGainCalibrationForHLT.archive.toml": "SiPixelGainCalibrationForHLT",
    "SiPixelGainCalibrationOffline.archive.toml": "SiPixelGainCalibrationOffline",
    "SiStripNoises.archive.toml": "SiStripNoises",
}

LIBRARY_VERSION = 19  # boost 1.78; written as the header's second token


def _layout(name: str) -> ArchiveLayout:
    return load_archive_layout(LAYOUT_DIR / name)


def _hex(text: str) -> bytes:
    """Bytes from spaced hex, ``|`` allowed as a visual separator."""
    return bytes.fromhex(text.replace("|", " "))


def _assert_same(got: Any, want: Any, path: str = "root") -> None:
    """Equal values of equal types: dicts, lists, numpy arrays (dtype included), scalars."""
    if isinstance(want, Mapping):
        assert isinstance(got, Mapping), path
        assert list(got) == list(want), path
        for key in want:
            _assert_same(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), path
        assert got.dtype == want.dtype, f"{path}: {got.dtype} != {want.dtype}"
        assert got.shape == want.shape, path
        np.testing.assert_array_equal(got, want, err_msg=path)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_same(g, w, f"{path}[{i}]")
    else:
        assert type(got) is type(want), f"{path}: {type(got)} != {type(want)}"
        assert got == want, path


def _round_trip(layout: ArchiveLayout, values: Mapping[str, Any]) -> bytes:
    """Encode, decode, compare, and check that the decoded values encode to the same bytes."""
    blob = write_archive(layout, values, library_version=LIBRARY_VERSION)
    decoded, version = read_archive(blob, layout)
    assert version == LIBRARY_VERSION
    _assert_same(decoded, values)
    assert write_archive(layout, decoded, library_version=LIBRARY_VERSION) == blob
    return blob


# --------------------------------------------------------------------- the files


def test_every_class_layout_ships() -> None:
    assert set(OBJECT_TYPES) <= {p.name for p in LAYOUT_DIR.glob("*.archive.toml")}


@pytest.mark.parametrize("name", sorted(OBJECT_TYPES))
def test_layout_parses_and_names_the_stored_object_type(name: str) -> None:
    layout = _layout(name)
    assert layout.object_type == OBJECT_TYPES[name]
    assert layout.root == layout.object_type  # CondDB's type name is the root class
    assert layout.description


@pytest.mark.parametrize("name", sorted(OBJECT_TYPES))
def test_layout_cites_cmssw_headers_and_commits(name: str) -> None:
    text = (LAYOUT_DIR / name).read_text(encoding="utf-8")
    assert text.startswith("# "), "a top-of-file comment notes what is surprising"
    source = tomllib.loads(text)["source"]
    cited = re.findall(r"([\w/]+\.(?:h|cc|hpp)), ([\w-]+/cmssw)@([0-9a-f]{40})", source)
    assert cited, source
    assert any(path.endswith("/interface/" + path.rsplit("/", 1)[-1]) for path, _, _ in cited)


def _classes_in(node: CType) -> Iterator[str]:
    if isinstance(node, ClassType):
        yield node.name
    elif isinstance(node, SeqType | ArrayType):
        yield from _classes_in(node.elem)
    elif isinstance(node, MapType):
        yield from _classes_in(node.key)
        yield from _classes_in(node.value)
    elif isinstance(node, PairType):
        yield from _classes_in(node.first)
        yield from _classes_in(node.second)


def _enums_in(node: CType) -> Iterator[str]:
    if isinstance(node, EnumType):
        yield node.name
    elif isinstance(node, SeqType | ArrayType):
        yield from _enums_in(node.elem)


@pytest.mark.parametrize("name", sorted(OBJECT_TYPES))
def test_every_declaration_is_used(name: str) -> None:
    """Every class is reachable from the root and every typedef and enum is spelled somewhere."""
    layout = _layout(name)
    reached: set[str] = set()
    todo = [layout.root]
    while todo:
        cls = todo.pop()
        if cls in reached:
            continue
        reached.add(cls)
        todo.extend(layout.cls(cls).bases)
        for member in layout.cls(cls).members:
            todo.extend(_classes_in(member.type))
    assert reached == set(layout.classes)

    raw = tomllib.loads((LAYOUT_DIR / name).read_text(encoding="utf-8"))
    spellings = [m["type"] for c in raw["classes"].values() for m in c.get("members", [])]
    spellings += list(raw.get("typedefs", {}).values())
    for declared in [*raw.get("typedefs", {}), *raw.get("enums", {})]:
        assert any(declared in s for s in spellings), f"{declared} is declared but never used"


def test_the_layouts_load_together_in_one_registry() -> None:
    registry = SchemaRegistry()
    loaded = registry.load_directory(LAYOUT_DIR)
    assert set(OBJECT_TYPES.values()) <= {layout.object_type for layout in loaded}
    for object_type in OBJECT_TYPES.values():
        assert registry.get(object_type, 0).object_type == object_type


def test_flat_classes_decode_to_structured_arrays() -> None:
    """The per-module and per-crystal classes are flat: their vectors are numpy records."""
    assert set(_layout("SiStripNoises.archive.toml").flat) == {"SiStripNoises::DetRegistry"}
    assert "EcalPedestal" in _layout("EcalPedestals.archive.toml").flat
    flat = _layout("Alignments.archive.toml").flat["AlignTransform"]
    assert flat.names == ("m_translation", "m_eulerAngles", "m_rawId")
    assert flat["m_translation"].names == ("dx", "dy", "dz")


# ------------------------------------------------------------ realistic instances


def test_beam_spot_round_trips() -> None:
    rng = np.random.default_rng(2024)
    errors = np.array([1.1e-4, 1.0e-4, 0.18, 0.13, 2.0e-6, 2.0e-6, 5.0e-5])
    correlation = np.eye(7)
    correlation[0, 1] = correlation[1, 0] = 0.05
    correlation[4, 5] = correlation[5, 4] = -0.1
    covariance = correlation * np.outer(errors, errors)
    values = {
        "position_": np.array([0.0268, -0.0158, 0.2474]),
        "sigmaZ_": np.float64(3.62),
        "beamwidthX_": np.float64(9.6e-4),
        "beamwidthY_": np.float64(8.8e-4),
        "beamwidthXError_": np.float64(5.0e-5),
        "beamwidthYError_": np.float64(5.0e-5),
        "dxdz_": np.float64(rng.normal(0, 1e-5)),
        "dydz_": np.float64(rng.normal(0, 1e-5)),
        "covariance_": covariance,
        "type_": np.int32(2),
        "emittanceX_": np.float64(0.0),
        "emittanceY_": np.float64(0.0),
        "betaStar_": np.float64(30.0),
    }
    _round_trip(_layout("BeamSpotObjects.archive.toml"), values)


#: raw DetIds of a few strip modules: TIB, TID, TOB and TEC (subdetector bits 3..6)
STRIP_MODULES = [
    (369120277, 768),
    (369120278, 768),
    (402664069, 512),
    (436232326, 512),
    (436232330, 768),
    (470065830, 512),
    (470065834, 768),
]


def test_strip_noises_round_trip_and_unpack() -> None:
    rng = np.random.default_rng(14)
    counts = np.array([n for _, n in STRIP_MODULES])
    codes = np.clip(rng.normal(45, 6, int(counts.sum())), 0, 511).astype(np.uint16)
    v_noises, ibegin, iend = encode_noises(codes, counts)
    registry = np.zeros(
        len(STRIP_MODULES),
        dtype=_layout("SiStripNoises.archive.toml").flat["SiStripNoises::DetRegistry"],
    )
    registry["detid"] = [d for d, _ in STRIP_MODULES]
    registry["ibegin"], registry["iend"] = ibegin, iend
    values = {"v_noises": v_noises, "indexes": registry}
    layout = _layout("SiStripNoises.archive.toml")
    blob = _round_trip(layout, values)
    decoded, _ = read_archive(blob, layout)
    got, got_counts = decode_noises(
        decoded["v_noises"], decoded["indexes"]["ibegin"], decoded["indexes"]["iend"]
    )
    np.testing.assert_array_equal(got, codes)
    np.testing.assert_array_equal(got_counts, counts)


def test_pixel_gains_round_trip() -> None:
    """Modules of 52-column ROCs: per column, 80 pedestal codes then one gain code per ROC."""
    layout = _layout("SiPixelGainCalibrationOffline.archive.toml")
    rng = np.random.default_rng(7)
    modules = [(302056964, 416, 2), (302059012, 416, 2), (344000516, 260, 2)]  # BPIX, FPIX
    blocks: list[np.ndarray[Any, Any]] = []
    rows: list[tuple[int, int, int, int]] = []
    for detid, ncols, roc_rows in modules:  # roc_rows: ROCs stacked along a column
        size = ncols * roc_rows * 81
        rows.append((detid, sum(b.size for b in blocks), ncols, size))
        codes = rng.integers(0, 254, size, endpoint=True).astype(np.uint8)
        codes[rng.integers(0, size, 3)] = 255  # a few dead pixels
        blocks.append(codes.view(np.int8))  # char is signed: codes above 127 are negative
    registry = np.zeros(
        len(modules), dtype=layout.flat["SiPixelGainCalibrationOffline::DetRegistry"]
    )
    for i, (detid, begin, ncols, size) in enumerate(rows):
        registry[i] = (detid, begin, begin + size, ncols)
    values = {
        "v_pedestals": np.concatenate(blocks),
        "indexes": registry,
        "minPed_": np.float32(0.0),
        "maxPed_": np.float32(254.0),
        "minGain_": np.float32(0.0),
        "maxGain_": np.float32(8.0),
        "numberOfRowsToAverageOver_": np.uint32(80),
        "nBinsToUseForEncoding_": np.uint32(253),
        "deadFlag_": np.uint32(255),
        "noisyFlag_": np.uint32(254),
    }
    assert values["v_pedestals"].min() < 0  # the negative chars are exercised
    _round_trip(layout, values)


def test_ecal_pedestals_of_every_crystal_round_trip() -> None:
    layout = _layout("EcalPedestals.archive.toml")
    rng = np.random.default_rng(61200)

    def crystals(n: int) -> np.ndarray[Any, Any]:
        items = np.zeros(n, dtype=layout.flat["EcalPedestal"])
        for gain, (mean, rms) in {"x12": (200, 1.1), "x6": (200, 0.8), "x1": (200, 0.6)}.items():
            items[f"mean_{gain}"] = rng.normal(mean, 3, n)
            items[f"rms_{gain}"] = rng.normal(rms, 0.05, n)
        return items

    values = {"eb_": {"m_items": crystals(61200)}, "ee_": {"m_items": crystals(14648)}}
    _round_trip(layout, values)


def test_alignments_round_trip() -> None:
    layout = _layout("Alignments.archive.toml")
    rng = np.random.default_rng(3)
    n = 12
    items = np.zeros(n, dtype=layout.flat["AlignTransform"])
    items["m_rawId"] = np.sort(rng.choice(np.arange(302056964, 302100000, 4), n, replace=False))
    for axis, spread in (("dx", 4.0), ("dy", 4.0), ("dz", 26.0)):
        items["m_translation"][axis] = rng.uniform(-spread, spread, n)
    for angle in ("phi_", "theta_", "psi_"):
        items["m_eulerAngles"][angle] = rng.uniform(-np.pi, np.pi, n)
    _round_trip(layout, {"m_align": items})


# --------------------------------------------------------------- bytes by hand
#
# The rules (docs/payload-schemas.md, eos::portable_oarchive): the archive is
# 7f and the library version; an integer is a size byte s then |s| little-endian
# bytes (00 for zero, s < 0 for a negative value); a double or float is the
# integer of its IEEE bits; a class header (00 tracking, 00 version) comes the
# first time a class appears; vectors are count, item_version, elements (a
# header first unless the elements are numbers); C arrays are count, elements.

ONE = "08 00 00 00 00 00 00 f0 3f"  # 1.0 = 0x3ff0000000000000
HALF = "08 00 00 00 00 00 00 e0 3f"  # 0.5 = 0x3fe0000000000000


def _check_bytes(layout: ArchiveLayout, values: Mapping[str, Any], expected: bytes) -> None:
    assert write_archive(layout, values, library_version=LIBRARY_VERSION).hex(" ") == expected.hex(
        " "
    )
    decoded, version = read_archive(expected, layout)
    assert version == LIBRARY_VERSION
    _assert_same(decoded, values)


def test_beam_spot_bytes_by_hand() -> None:
    covariance = np.zeros((7, 7))
    covariance[0, 0] = 1.0
    values = {
        "position_": np.array([0.0, 1.0, -2.0]),
        "sigmaZ_": np.float64(3.5),
        "beamwidthX_": np.float64(0.0),
        "beamwidthY_": np.float64(0.0),
        "beamwidthXError_": np.float64(0.0),
        "beamwidthYError_": np.float64(0.0),
        "dxdz_": np.float64(0.5),
        "dydz_": np.float64(0.0),
        "covariance_": covariance,
        "type_": np.int32(-1),
        "emittanceX_": np.float64(5e-324),  # the smallest subnormal: bits 0x1, one byte
        "emittanceY_": np.float64(0.0),
        "betaStar_": np.float64(1.5),
    }
    expected = _hex(
        "7f 01 13"  # magic, library version 19
        "| 00 00"  # BeamSpotObjects: not tracked, version 0
        f"| 01 03 | 00 | {ONE} | 08 00 00 00 00 00 00 00 c0"  # position_: 3; 0, 1, -2
        "| 08 00 00 00 00 00 00 0c 40"  # sigmaZ_ 3.5 = 0x400c000000000000
        "| 00 | 00 | 00 | 00"  # the four widths
        f"| {HALF} | 00"  # dxdz_, dydz_
        f"| 01 07 | 01 07 {ONE} 00 00 00 00 00 00"  # covariance_: 7 rows; row 0
        + " 01 07 00 00 00 00 00 00 00"
        * 6  # rows 1..6: 7, then seven zeros
        + "| ff ff"  # type_ -1: size -1, byte ff
        "| 01 01 | 00"  # emittanceX_ (bits 1), emittanceY_
        "| 08 00 00 00 00 00 00 f8 3f"  # betaStar_ 1.5 = 0x3ff8000000000000
    )
    assert (
        len(expected)
        == 3 + 2 + 2 + 1 + 9 + 9 + 9 + 4 + 9 + 1 + 2 + (2 + 9 + 6) + 6 * 9 + 2 + 2 + 1 + 9
    )
    _check_bytes(_layout("BeamSpotObjects.archive.toml"), values, expected)


def test_strip_noises_bytes_by_hand() -> None:
    layout = _layout("SiStripNoises.archive.toml")
    registry = np.zeros(2, dtype=layout.flat["SiStripNoises::DetRegistry"])
    registry[0] = (369120277, 0, 2)  # 0x16005415
    registry[1] = (256, 2, 3)
    values = {"v_noises": np.array([0x00, 0xFF, 0x12], np.uint8), "indexes": registry}
    expected = _hex(
        "7f 01 13 | 00 00"  # archive, SiStripNoises header
        "| 01 03 00 | 00 | 01 ff | 01 12"  # v_noises: no header; 3, item_version; bytes
        "| 00 00 | 01 02 00"  # indexes: vector<DetRegistry> header; 2, item_version
        "| 00 00 | 04 15 54 00 16 | 00 | 01 02"  # DetRegistry header (first only); module 0
        "| 02 00 01 | 01 02 | 01 03"  # module 1: detid 256 takes two bytes
    )
    _check_bytes(layout, values, expected)


def test_pixel_gains_bytes_by_hand() -> None:
    layout = _layout("SiPixelGainCalibrationOffline.archive.toml")
    registry = np.zeros(1, dtype=layout.flat["SiPixelGainCalibrationOffline::DetRegistry"])
    registry[0] = (302056964, 0, 3, 52)  # 0x12010604
    values = {
        "v_pedestals": np.array([-1, 127, 0], np.int8),
        "indexes": registry,
        "minPed_": np.float32(0.0),
        "maxPed_": np.float32(254.0),
        "minGain_": np.float32(0.0),
        "maxGain_": np.float32(4.0),
        "numberOfRowsToAverageOver_": np.uint32(80),
        "nBinsToUseForEncoding_": np.uint32(253),
        "deadFlag_": np.uint32(255),
        "noisyFlag_": np.uint32(254),
    }
    expected = _hex(
        "7f 01 13 | 00 00"
        "| 01 03 00 | ff ff | 01 7f | 00"  # v_pedestals: signed chars -1, 127, 0
        "| 00 00 | 01 01 00 | 00 00 | 04 04 06 01 12 | 00 | 01 03 | 01 34"  # one module
        "| 00 | 04 00 00 7e 43 | 00 | 04 00 00 80 40"  # floats 0, 254 (0x437e0000), 0, 4
        "| 01 50 | 01 fd | 01 ff | 01 fe"  # 80, 253, 255, 254
    )
    _check_bytes(layout, values, expected)


def test_pixel_hlt_gains_bytes_by_hand() -> None:
    """ForHLT: one column block (gain code, then pedestal code), the two precisions between."""
    layout = _layout("SiPixelGainCalibrationForHLT.archive.toml")
    registry = np.zeros(1, dtype=layout.flat["SiPixelGainCalibrationForHLT::DetRegistry"])
    registry[0] = (302056964, 0, 2, 1)
    values = {
        "v_pedestals": np.array([16, -3], np.int8),  # gain code 16, pedestal code 253
        "indexes": registry,
        "minPed_": np.float32(0.0),
        "maxPed_": np.float32(253.0),
        "minGain_": np.float32(0.0),
        "maxGain_": np.float32(126.5),
        "pedPrecision": np.float32(1.0),
        "gainPrecision": np.float32(0.5),
        "numberOfRowsToAverageOver_": np.uint32(80),
        "nBinsToUseForEncoding_": np.uint32(253),
        "deadFlag_": np.uint32(255),
        "noisyFlag_": np.uint32(254),
    }
    expected = _hex(
        "7f 01 13 | 00 00"
        "| 01 02 00 | 01 10 | ff fd"  # v_pedestals: signed chars 16, -3
        "| 00 00 | 01 01 00 | 00 00 | 04 04 06 01 12 | 00 | 01 02 | 01 01"  # one module
        "| 00 | 04 00 00 7d 43 | 00 | 04 00 00 fd 42"  # floats 0, 253, 0, 126.5
        "| 04 00 00 80 3f | 04 00 00 00 3f"  # pedPrecision 1, gainPrecision 0.5
        "| 01 50 | 01 fd | 01 ff | 01 fe"  # 80, 253, 255, 254
    )
    _check_bytes(layout, values, expected)
    gains = unpack(read_archive(expected, layout)[0], FOR_HLT)
    assert gains.gains().tolist() == [8.0] and gains.pedestals().tolist() == [253.0]


def test_ecal_pedestals_bytes_by_hand() -> None:
    """Two EcalContainer classes, two headers; one vector<EcalPedestal> class, one header."""
    layout = _layout("EcalPedestals.archive.toml")
    eb = np.zeros(1, dtype=layout.flat["EcalPedestal"])
    eb[0] = (200.0, 1.0, 0.0, 0.0, 0.0, 0.0)
    ee = np.zeros(1, dtype=layout.flat["EcalPedestal"])
    ee[0] = (0.5, 0.0, 0.0, 0.0, 0.0, 0.0)
    values = {"eb_": {"m_items": eb}, "ee_": {"m_items": ee}}
    expected = _hex(
        "7f 01 13 | 00 00"  # archive, EcalCondObjectContainer<EcalPedestal> header
        "| 00 00 | 00 00 | 01 01 00"  # EcalContainer<EBDetId,..>, vector<EcalPedestal>; 1
        "| 00 00 | 04 00 00 48 43 | 04 00 00 80 3f | 00 00 00 00"  # EcalPedestal; 200f, 1f
        "| 00 00 | 01 01 00"  # EcalContainer<EEDetId,..> header; the vector's was written
        "| 04 00 00 00 3f | 00 00 00 00 00"  # 0.5f = 0x3f000000, no EcalPedestal header
    )
    _check_bytes(layout, values, expected)


def test_alignments_bytes_by_hand() -> None:
    layout = _layout("Alignments.archive.toml")
    items = np.zeros(2, dtype=layout.flat["AlignTransform"])
    items[0] = ((1.0, 0.0, 0.0), (0.0, 0.0, 0.0), 1)
    items[1] = ((0.0, 0.0, 0.0), (0.5, 0.0, 0.0), 302056964)
    expected = _hex(
        "7f 01 13 | 00 00"  # archive, Alignments header
        "| 00 00 | 01 02 00"  # vector<AlignTransform> header; 2, item_version
        f"| 00 00 | 00 00 {ONE} 00 00 | 00 00 00 00 00 | 01 01"  # headers of AlignTransform,
        # Hep3Vector and HepEulerAngles, each before its first value; rawId 1
        f"| 00 00 00 | {HALF} 00 00 | 04 04 06 01 12"  # no headers; rawId 0x12010604
    )
    _check_bytes(layout, {"m_align": items}, expected)


def _shape(layout: ArchiveLayout) -> dict[str, list[tuple[str, str]]]:
    """Every class as (member, canonical C++ type) pairs: what decides the bytes."""
    return {
        name: [(m.name, m.type.spelling) for m in cdef.members] + [("<bases>", str(cdef.bases))]
        for name, cdef in layout.classes.items()
    }
