"""Background jobs for heavy plots: a bounded pool, progress, joining, a TTL.

A history over hundreds of large payloads can take seconds to minutes cold.
Instead of holding an HTTP request that long, the web layer asks
:func:`is_heavy` and, for a heavy request, starts (or joins) a :class:`Job`
on a :class:`JobManager`.  This package knows no HTTP: it runs callables,
counts their progress and keeps their outcome for a while.  With a Redis
(``[cache] redis_url``), :mod:`inspector.jobs.queue` keeps the same state in
Redis instead and queues the job on RQ for ``inspector worker`` processes.
"""

from inspector.jobs.cost import Cost, is_heavy
from inspector.jobs.manager import JobManager, QueueFull
from inspector.jobs.model import Job, JobError, JobStatus, job_id
from inspector.jobs.settings import JobSettings

__all__ = [
    "Cost",
    "Job",
    "JobError",
    "JobManager",
    "JobSettings",
    "JobStatus",
    "QueueFull",
    "is_heavy",
    "job_id",
]
