"""JME::JetResolutionObject as CMSSW prints it: the rows of its text file.

``JetResolutionObject::saveToFile`` writes one line per record: the min and
max of every bin, then the count of numbers that follow (two per formula
variable range, one per parameter), the variable ranges and the parameters
(CondFormats/JetMETObjects/src/JetResolutionObject.cc in cms-sw/cmssw).  The
JER text files physicists exchange are in this form, so the rows of a decoded
payload can be compared with them number for number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from inspector.payload.archive.values import plain

__all__ = ["OBJECT_TYPE", "header", "text_rows"]

OBJECT_TYPE = "JME::JetResolutionObject"


def header(payload: Mapping[str, Any]) -> str:
    """The text file's first line: ``{nbins bins... nvars vars... formula}``."""
    d = payload["m_definition"]
    bins, variables = list(d["m_bins_name"]), list(d["m_variables_name"])
    formula = d["m_formula_str"] or "None"
    return "{" + " ".join([str(len(bins)), *bins, str(len(variables)), *variables, formula]) + "}"


def _ranges(values: Any) -> list[float]:
    return [float(x) for r in np.asarray(values) for x in (r["min"], r["max"])]


def text_rows(payload: Mapping[str, Any]) -> list[list[float]]:
    """Every record as ``saveToFile`` writes it (float32 values as their shortest decimal)."""
    rows = []
    for record in payload["m_records"]:
        variables = _ranges(record["m_variables_range"])
        parameters = plain(np.asarray(record["m_parameters_values"]))
        rows.append(
            [
                *plain(np.asarray(_ranges(record["m_bins_range"]), np.float32)),
                len(variables) + len(parameters),
                *plain(np.asarray(variables, np.float32)),
                *parameters,
            ]
        )
    return rows


def text_view(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The view ``inspector decode --values`` shows: header and rows of the text file."""
    return {"header": header(payload), "rows": text_rows(payload)}
