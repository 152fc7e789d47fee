"""Certified luminosity: Run Registry golden JSON files and the IOVs they keep.

Pure logic (no database, no HTTP): :mod:`~inspector.certification.golden`
reads and checks the files, :mod:`~inspector.certification.registry` holds
the configured files by name, and :mod:`~inspector.certification.overlap`
decides which IOVs of a Run, Lumi or Time tag overlap certified data.
``overlap`` is imported from its own module: it uses the run timeline of
:mod:`inspector.conddb`, which the configuration (importing this package)
must not pull in.
"""

from inspector.certification.golden import (
    Certification,
    CertifiedLumis,
    load_certification,
    parse_golden_json,
)
from inspector.certification.registry import (
    Certifications,
    CertificationUnavailable,
    parse_certification_table,
)

__all__ = [
    "Certification",
    "CertificationUnavailable",
    "Certifications",
    "CertifiedLumis",
    "load_certification",
    "parse_certification_table",
    "parse_golden_json",
]
