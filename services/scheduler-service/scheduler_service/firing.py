"""Firing jobs: one transaction records the run and puts the job.fired and target events into the outbox.

At-least-once across scheduler instances: the run's idempotency key ``<job_id>:<scheduled_for isoformat>`` is
UNIQUE, so when two instances fire the same slot one insert fails and that instance rolls back. Both events carry
envelope ids derived from the key, so a duplicate that slipped through is dropped by NATS (``Nats-Msg-Id``) and by
consumers' inboxes.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arrakis_common.db import Database
from arrakis_common.events import Envelope, EventBus, utcnow

from .cron import as_utc, next_fire_time
from .events import JobFired
from .models import Job, JobRun

log = logging.getLogger(__name__)

# Namespace of the envelope ids derived from idempotency keys; changing it would break deduplication.
RUN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://arrakis.example/scheduler-service/runs")


def idempotency_key(job_id: str, scheduled_for: datetime) -> str:
    """The key of a scheduled run; equal for every instance that fires the same slot."""
    return f"{job_id}:{as_utc(scheduled_for).isoformat()}"


def target_event_id(key: str) -> str:
    """Envelope id of the target event of the run with ``key``."""
    return str(uuid.uuid5(RUN_NAMESPACE, key))


def fired_event_id(key: str) -> str:
    """Envelope id of the ``job.fired`` event of the run with ``key``."""
    return str(uuid.uuid5(RUN_NAMESPACE, f"fired:{key}"))


def record_run(session: Session, bus: EventBus, job: Job, scheduled_for: datetime, key: str, trigger: str) -> JobRun:
    """Insert the run and enqueue both events in ``session``; raises IntegrityError when ``key`` was used."""
    scheduled_for = as_utc(scheduled_for)
    run = JobRun(id=str(uuid.uuid4()), job_id=job.id, scheduled_for=scheduled_for, idempotency_key=key,
                 trigger=trigger, status="fired", event_id=target_event_id(key), fired_at=utcnow())
    session.add(run)
    session.flush()
    fired = JobFired(job_id=job.id, run_id=run.id, idempotency_key=key, target_subject=job.target_subject,
                     scheduled_for=scheduled_for)
    # Both carry the job's owner as actor: the target's payload is the owner's text and may claim anyone.
    fired_envelope = Envelope.wrap(fired, source=bus.source, actor=job.created_by).model_copy(
        update={"id": fired_event_id(key)})
    bus.publish_envelope(session, fired_envelope)
    target = Envelope.wrap(fired, source=bus.source, subject=job.target_subject, actor=job.created_by).model_copy(
        update={"id": run.event_id, "type": "ScheduledJobEvent", "version": 1, "payload": dict(job.payload or {})})
    bus.publish_envelope(session, target)
    job.last_run_at = run.fired_at
    return run


def due_jobs(db: Database, now: datetime, limit: int) -> list[tuple[str, datetime]]:
    """(job id, next_run_at) of active jobs due at ``now``, oldest first."""
    with db.session() as session:
        stmt = (select(Job.id, Job.next_run_at)
                .where(Job.paused.is_(False), Job.next_run_at.is_not(None), Job.next_run_at <= as_utc(now))
                .order_by(Job.next_run_at).limit(limit))
        return [(job_id, as_utc(at)) for job_id, at in session.execute(stmt)]


def fire_job(db: Database, bus: EventBus, job_id: str, scheduled_for: datetime, now: datetime) -> str | None:
    """Fire one due slot of a job in one transaction; returns the run id, or None when another instance did."""
    key = idempotency_key(job_id, scheduled_for)
    try:
        with db.session() as session:
            job = session.get(Job, job_id)
            if job is None or job.paused or job.next_run_at is None or as_utc(job.next_run_at) != scheduled_for:
                return None
            run = record_run(session, bus, job, scheduled_for, key, trigger="schedule")
            # Missed slots collapse into this run: the next one is computed from now, not from scheduled_for.
            job.next_run_at = next_fire_time(job.cron, max(as_utc(now), scheduled_for))
            return run.id
    except IntegrityError:
        log.info("run %s was fired by another scheduler instance", key)
        _advance_past(db, job_id, scheduled_for, now)
        return None


def _advance_past(db: Database, job_id: str, scheduled_for: datetime, now: datetime) -> None:
    """Move a job whose slot was taken elsewhere past that slot, unless someone already did (compare-and-set)."""
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        following = next_fire_time(job.cron, max(as_utc(now), scheduled_for))
        session.execute(update(Job).where(Job.id == job_id, Job.next_run_at == scheduled_for)
                        .values(next_run_at=following))


def fire_due_jobs(db: Database, bus: EventBus, now: datetime | None = None, limit: int = 100) -> list[str]:
    """One scheduler tick: fire every job due at ``now``; returns the ids of the runs this call recorded."""
    now = as_utc(now or utcnow())
    fired = []
    for job_id, scheduled_for in due_jobs(db, now, limit):
        run_id = fire_job(db, bus, job_id, scheduled_for, now)
        if run_id is not None:
            fired.append(run_id)
    return fired
