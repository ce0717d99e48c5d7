"""Events published by scheduler-service. A job's target event has a dynamic subject and the job's payload."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from arrakis_common.events import Event


class JobFired(Event):
    """A job run was recorded; its target event goes out in the same transaction."""

    subject: ClassVar[str] = "arrakis.scheduler.job.fired"
    version: ClassVar[int] = 1
    job_id: str
    run_id: str
    idempotency_key: str
    target_subject: str
    scheduled_for: datetime
