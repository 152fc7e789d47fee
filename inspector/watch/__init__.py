"""The calibration watch: are the watched tags keeping up with the runs?

Pure logic (:mod:`inspector.watch.status`) decides a status from measured
facts and a "now"; :mod:`inspector.watch.evaluate` measures those facts in a
conditions database.  No HTTP here: the web pages and API are thin edges.
See docs/runs-and-watch.md for the definitions.
"""

from inspector.watch.evaluate import Clock, system_clock, watch_now, watch_report, watch_reports
from inspector.watch.readiness import (
    READINESS_RULE,
    RUN_SYNCHRONIZED,
    Readiness,
    ReadinessTable,
    RecordReadiness,
    RecordSpan,
    RecordState,
    RunReadiness,
    needs_upload,
    readiness_table,
    record_state,
    run_position,
    run_readiness,
)
from inspector.watch.status import Status, WatchReport, classify, waiting_point

__all__ = [
    "READINESS_RULE",
    "RUN_SYNCHRONIZED",
    "Clock",
    "Readiness",
    "ReadinessTable",
    "RecordReadiness",
    "RecordSpan",
    "RecordState",
    "RunReadiness",
    "Status",
    "WatchReport",
    "classify",
    "needs_upload",
    "readiness_table",
    "record_state",
    "run_position",
    "run_readiness",
    "system_clock",
    "waiting_point",
    "watch_now",
    "watch_report",
    "watch_reports",
]
