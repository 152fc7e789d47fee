"""Alignments: one AlignTransform per alignable, as CMSSW stores tracker geometry corrections.

``Alignments::m_align`` holds, per alignable, its global translation
(``CLHEP::Hep3Vector``: dx, dy, dz in cm), its orientation as CLHEP Euler
angles (phi, theta, psi in rad) and its raw DetId, sorted by DetId
(CondFormats/Alignment/interface/AlignTransform.h, see the layout's sources).
The archive decodes ``m_align`` as one structured array with nested fields;
these helpers give it the flat column names the drawers use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["COLUMNS", "columns", "members"]

#: column name → (AlignTransform member, its field)
COLUMNS: Final = {
    "x": ("m_translation", "dx"),
    "y": ("m_translation", "dy"),
    "z": ("m_translation", "dz"),
    "phi": ("m_eulerAngles", "phi_"),
    "theta": ("m_eulerAngles", "theta_"),
    "psi": ("m_eulerAngles", "psi_"),
}


def members(detid: npt.ArrayLike, parameters: npt.ArrayLike) -> dict[str, Any]:
    """Alignments members for DetIds and (n, 6) x, y, z [cm], phi, theta, psi [rad], by DetId."""
    ids = np.asarray(detid, np.uint32)
    values = np.asarray(parameters, np.float64)
    order = np.argsort(ids, kind="stable")
    transform: dict[str, Any] = {"m_translation": {}, "m_eulerAngles": {}}
    for k, (member, field) in enumerate(COLUMNS.values()):
        transform[member][field] = values[order, k]
    transform["m_rawId"] = ids[order]
    return {"m_align": transform}


def columns(payload: Mapping[str, Any]) -> dict[str, npt.NDArray[Any]]:
    """``detid`` and the six coordinates of every alignable, as flat arrays (views)."""
    align = payload["m_align"]
    out: dict[str, npt.NDArray[Any]] = {"detid": np.asarray(align["m_rawId"])}
    for name, (member, field) in COLUMNS.items():
        out[name] = np.asarray(align[member][field])
    return out
