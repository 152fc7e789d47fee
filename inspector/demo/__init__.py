"""The demo conditions database: realistic 2024-like CMS conditions, built on demand.

``inspector demo-db PATH`` calls :func:`build_demo_database`; tests build
small ones with ``scale=0.02``.  See :mod:`inspector.demo.builder`.
"""

from inspector.demo.builder import (
    DemoPlan,
    DemoSummary,
    TagCounts,
    build_demo_database,
    plan,
)

__all__ = ["DemoPlan", "DemoSummary", "TagCounts", "build_demo_database", "plan"]
