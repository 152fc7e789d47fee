"""JetMET text files → the decoded payload forms the drawers read (test helper).

CMS publishes JER and JEC as text files; CMSSW reads them with
``JME::JetResolutionObject(const std::string&)`` and
``JetCorrectorParameters(const std::string&, ...)`` and stores the objects in
CondDB.  These parsers follow the same reading rules (CondFormats/JetMETObjects/
src/JetResolutionObject.cc and JetCorrectorParameters.cc in cms-sw/cmssw) and
return the Python form the archive decoder gives (docs/payload-schemas.md,
"Decoded values"), so evaluation can be checked against the text files
before, and independently of, the decoder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: The real CMS JER files and their text files (never copied into the repository).
JER_DATA = ROOT.parent / "shared" / "data" / "cms-conditions" / "jer"
RANGE = np.dtype([("min", np.float32), ("max", np.float32)])


def ranges(pairs: list[tuple[float, float]]) -> np.ndarray[Any, Any]:
    """A ``std::vector<Range>`` as decoded: a structured array of min, max (float32)."""
    return np.array(pairs, dtype=RANGE)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def parse_jer_text(text: str) -> dict[str, Any]:
    """A JER resolution or scale-factor text file as a decoded ``JME::JetResolutionObject``."""
    lines = _lines(text)
    header = lines[0]
    tokens = header[header.index("{") + 1 : header.index("}")].split()
    n_bins = int(tokens[0])
    bins = tokens[1 : 1 + n_bins]
    n_vars = int(tokens[1 + n_bins])
    variables = tokens[2 + n_bins : 2 + n_bins + n_vars]
    formula = tokens[2 + n_bins + n_vars]
    if formula.lower() == "none":
        formula = ""
    records = []
    for line in lines[1:]:
        values = line.split()
        pos = 0
        bin_ranges = []
        for _ in range(n_bins):
            bin_ranges.append((float(values[pos]), float(values[pos + 1])))
            pos += 2
        n_params = int(values[pos])
        pos += 1
        var_ranges = []
        for _ in range(n_vars):
            var_ranges.append((float(values[pos]), float(values[pos + 1])))
            pos += 2
            n_params -= 2
        params = np.array([float(v) for v in values[pos : pos + n_params]], dtype=np.float32)
        records.append(
            {
                "m_bins_range": ranges(bin_ranges),
                "m_variables_range": ranges(var_ranges),
                "m_parameters_values": params,
            }
        )
    return {
        "m_definition": {
            "m_bins_name": bins,
            "m_variables_name": variables,
            "m_formula_str": formula,
        },
        "m_records": records,
        "m_valid": True,
    }


def jer_text(era: str, kind: str, jet: str) -> str:
    """The text file ``textFiles/<era>/<era>_<kind>_<jet>.txt`` of the shared data."""
    return (JER_DATA / "textFiles" / era / f"{era}_{kind}_{jet}.txt").read_text()


def parse_jec_text(text: str) -> dict[str, Any]:
    """One JEC level's text (one section) as a decoded ``JetCorrectorParameters``."""
    lines = _lines(text)
    header = lines[0]
    tokens = header[header.index("{") + 1 : header.index("}")].split()
    n_bins = int(tokens[0])
    bins = tokens[1 : 1 + n_bins]
    n_vars = int(tokens[1 + n_bins])
    variables = tokens[2 + n_bins : 2 + n_bins + n_vars]
    formula = tokens[2 + n_bins + n_vars]
    kind = tokens[3 + n_bins + n_vars]
    level = tokens[4 + n_bins + n_vars] if len(tokens) > 4 + n_bins + n_vars else ""
    records = []
    for line in lines[1:]:
        values = line.split()
        mins = [float(values[2 * i]) for i in range(n_bins)]
        maxs = [float(values[2 * i + 1]) for i in range(n_bins)]
        n_params = int(values[2 * n_bins])
        params = [float(v) for v in values[2 * n_bins + 1 :]]
        assert len(params) == n_params, line
        records.append(
            {
                "mNvar": np.uint32(n_bins),
                "mMin": np.array(mins, dtype=np.float32),
                "mMax": np.array(maxs, dtype=np.float32),
                "mParameters": np.array(params, dtype=np.float32),
            }
        )
    records.sort(key=lambda r: float(r["mMin"][0]))  # CMSSW sorts records by xMin(0)
    return {
        "mDefinitions": {
            "mIsResponse": kind == "Response",
            "mLevel": level,
            "mFormula": formula,
            "mParVar": variables,
            "mBinVar": bins,
        },
        "mRecords": records,
        "valid_": True,
    }


def jec_collection(levels: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """A decoded ``JetCorrectorParametersCollection`` holding ``{key: parameters}``."""
    return {
        "corrections_": [(np.int32(key), params) for key, params in levels.items()],
        "correctionsL5_": [],
        "correctionsL7_": [],
    }
