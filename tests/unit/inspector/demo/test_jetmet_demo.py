"""JetMET demo payloads: deterministic, encodable as CMSSW writes them, realistic."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from inspector.demo import jetmet as demo
from inspector.payload import SchemaRegistry, decode, encode
from inspector_plugins import jetmet

JER = "JME::JetResolutionObject"
JEC = "JetCorrectorParametersCollection"


def same(a: Any, b: Any) -> bool:
    """Deep equality of decoded forms (numpy arrays by value and dtype)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return a.dtype == np.asarray(b).dtype and np.array_equal(a, b)
    return bool(a == b) and type(a) is type(b)


BUILDERS = [
    (JER, lambda era, jet, seed: demo.jer_scale_factor_payload(era, jet, seed=seed), demo.JER_ERAS),
    (JER, lambda era, jet, seed: demo.jer_resolution_payload(era, jet, seed=seed), demo.JER_ERAS),
    (JEC, lambda era, jet, seed: demo.jec_payload(era, jet, seed=seed), demo.JEC_ERAS),
    (JEC, lambda era, jet, seed: demo.jec_payload(era, jet, seed=seed, data=True), demo.JEC_ERAS),
]


@pytest.mark.parametrize(
    ("object_type", "build", "eras"), BUILDERS, ids=["sf", "res", "mc", "data"]
)
def test_deterministic_and_round_trips_through_the_archive(
    object_type: str, build: Any, eras: tuple[str, ...]
) -> None:
    schema = SchemaRegistry.builtin().get(object_type)
    blobs = set()
    for era in eras:
        for jet in demo.JETS:
            value = build(era, jet, 7)
            assert same(value, build(era, jet, 7))
            assert not same(value, build(era, jet, 8))
            blob = encode(schema, value)
            assert same(dict(decode(blob, schema)), value)
            blobs.add(blob)
    assert len(blobs) == len(eras) * len(demo.JETS)


def test_scale_factors_look_like_cms_ones() -> None:
    for era in demo.JER_ERAS:
        table = jetmet.jer_table(demo.jer_scale_factor_payload(era, "AK4PFchs"))
        nominal, down, up = table.params[:, 0], table.params[:, 1], table.params[:, 2]
        assert np.all((down < nominal) & (nominal < up))
        centre = (table.bin_min[:, 0] + table.bin_max[:, 0]) / 2
        barrel = nominal[np.abs(centre) < 1.3]
        peak = nominal[(np.abs(centre) > 2.85) & (np.abs(centre) < 3.0)]
        assert 1.0 < barrel.mean() < 1.25 and peak.min() > barrel.max()
        assert table.bin_min[0, 0] == np.float32(-5.191) and table.bin_max[-1, 0] == np.float32(
            5.191
        )


@pytest.mark.parametrize("jet", demo.JETS)
def test_resolution_and_corrections_have_realistic_values(jet: str) -> None:
    table = jetmet.jer_table(demo.jer_resolution_payload(demo.JER_ERAS[0], jet))
    pt = np.array([30.0, 100.0, 1000.0])
    resolution = jetmet.jer_formula_values(table, jetmet.jet_values(pt, 0.2, rho=20.0))
    assert np.all(np.diff(resolution) < 0)  # improves with pT
    assert 0.07 < resolution[1] < 0.15 and 0.03 < resolution[2] < 0.07
    levels = jetmet.jec_levels(demo.jec_payload(demo.JEC_ERAS[0], jet, data=True))
    assert list(levels) == ["L1FastJet", "L2Relative", "L3Absolute", "L2L3Residual", "Uncertainty"]
    values = jetmet.jet_values(pt, 0.2, rho=20.0, area=0.5)
    l1 = jetmet.jec_correction(levels["L1FastJet"], values)
    l2 = jetmet.jec_correction(levels["L2Relative"], values)
    residual = jetmet.jec_correction(levels["L2L3Residual"], values)
    if "Puppi" in jet:
        assert np.all(l1 == 1.0)  # PUPPI removes pile-up before clustering
    else:
        assert 0.6 < l1[0] < l1[1] < l1[2] < 1.0
    assert np.all((l2 > 0.95) & (l2 < 1.25)) and l2[0] > l2[2]
    assert np.all(np.abs(residual - 1.0) < 0.06)
    assert levels["Uncertainty"].is_uncertainty


def test_tag_names_follow_cms() -> None:
    assert demo.jer_tag("SF", "Summer23Prompt23_JRV1", "AK4PFPuppi") == (
        "JR_Summer23Prompt23_JRV1_MC_SF_AK4PFPuppi"
    )
    assert demo.jec_tag("Summer23Prompt23_V1", "AK4PFchs", data=True) == (
        "JetCorrectorParametersCollection_Summer23Prompt23_V1_DATA_AK4PFchs"
    )
