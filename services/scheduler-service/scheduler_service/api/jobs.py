"""Jobs: CRUD, pause/resume, manual trigger and run history."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import utcnow
from arrakis_common.ownership import require_owner
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..cron import as_utc, cron_problem, next_fire_time, subject_problem
from ..firing import record_run
from ..models import Job, JobRun

router = APIRouter(prefix="/jobs", tags=["jobs"])


def _check_cron(value: str) -> str:
    value = " ".join(value.split())
    problem = cron_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_subject(value: str) -> str:
    problem = subject_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class JobIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    cron: str = Field(min_length=1, max_length=120, description="5 fields, or 6 with seconds first; UTC",
                      examples=["*/5 * * * *", "*/10 * * * * *"])
    target_subject: str = Field(max_length=255, examples=["arrakis.data.transform.requested"])
    payload: dict[str, Any] = Field(default_factory=dict, description="Payload of the target event")
    paused: bool = False

    _cron = field_validator("cron")(_check_cron)
    _subject = field_validator("target_subject")(_check_subject)


class JobPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    cron: str | None = Field(default=None, min_length=1, max_length=120)
    target_subject: str | None = Field(default=None, max_length=255)
    payload: dict[str, Any] | None = None

    _cron = field_validator("cron")(lambda v: None if v is None else _check_cron(v))
    _subject = field_validator("target_subject")(lambda v: None if v is None else _check_subject(v))


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    description: str
    cron: str
    target_subject: str
    payload: dict[str, Any]
    paused: bool
    next_run_at: UtcDatetime | None
    last_run_at: UtcDatetime | None
    created_by: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    job_id: str
    scheduled_for: UtcDatetime
    idempotency_key: str
    trigger: str
    status: str
    event_id: str
    fired_at: UtcDatetime


def job_out(job: Job) -> JobOut:
    """API view of a job with UTC-aware timestamps on every backend."""
    out = JobOut.model_validate(job)
    for name in ("next_run_at", "last_run_at", "created_at", "updated_at"):
        value = getattr(out, name)
        if value is not None:
            setattr(out, name, as_utc(value))
    return out


def run_out(run: JobRun) -> RunOut:
    out = RunOut.model_validate(run)
    out.scheduled_for, out.fired_at = as_utc(out.scheduled_for), as_utc(out.fired_at)
    return out


def load_job(session: Session, job_id: str, changer: Principal | None = None) -> Job:
    """The job ``job_id``; with ``changer``, only if that caller owns it or is an admin (jobs are visible to all)."""
    job = session.get(Job, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job_id} not found")
    if changer is not None:
        require_owner(job.created_by, changer, what=f"job {job_id}")
    return job


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobOut, summary="Create a job")
def create_job(body: JobIn, session: Session = db_session,
               principal: Principal = Depends(require_roles("editor"))) -> JobOut:
    now = utcnow()
    job = Job(id=str(uuid.uuid4()), name=body.name, description=body.description, cron=body.cron,
              target_subject=body.target_subject, payload=body.payload, paused=body.paused,
              next_run_at=next_fire_time(body.cron, now), created_by=principal.subject, created_at=now,
              updated_at=now)
    session.add(job)
    session.flush()
    return job_out(job)


@router.get("", response_model=Page[JobOut], summary="List jobs")
def list_jobs(paused: bool | None = None, params: PageParams = Depends(page_params),
              session: Session = db_session, _: Principal = Depends(require_roles())) -> Page[JobOut]:
    stmt = select(Job).order_by(Job.created_at, Job.id)
    if paused is not None:
        stmt = stmt.where(Job.paused.is_(paused))
    rows, total = paginate(session, stmt, params)
    return Page[JobOut](items=[job_out(j) for j in rows], total=total, limit=params.limit, offset=params.offset)


@router.get("/{job_id}", response_model=JobOut, summary="Get a job")
def get_job(job_id: str, session: Session = db_session,
            _: Principal = Depends(require_roles())) -> JobOut:
    return job_out(load_job(session, job_id))


@router.patch("/{job_id}", response_model=JobOut, summary="Change a job's name, schedule, target or payload")
def update_job(job_id: str, body: JobPatch, session: Session = db_session,
               principal: Principal = Depends(require_roles("editor"))) -> JobOut:
    job = load_job(session, job_id, principal)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in changes.items():
        setattr(job, name, value)
    job.updated_at = utcnow()
    if "cron" in changes:
        job.next_run_at = next_fire_time(job.cron, job.updated_at)
    session.flush()
    return job_out(job)


@router.delete("/{job_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a job and its run history")
def delete_job(job_id: str, session: Session = db_session,
               principal: Principal = Depends(require_roles("editor"))) -> Response:
    job = load_job(session, job_id, principal)
    session.query(JobRun).filter(JobRun.job_id == job.id).delete()
    session.delete(job)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{job_id}/pause", response_model=JobOut, summary="Pause a job: it stops firing")
def pause_job(job_id: str, session: Session = db_session,
              principal: Principal = Depends(require_roles("editor"))) -> JobOut:
    job = load_job(session, job_id, principal)
    job.paused, job.updated_at = True, utcnow()
    return job_out(job)


@router.post("/{job_id}/resume", response_model=JobOut, summary="Resume a job from its next slot after now")
def resume_job(job_id: str, session: Session = db_session,
               principal: Principal = Depends(require_roles("editor"))) -> JobOut:
    job = load_job(session, job_id, principal)
    if job.paused:
        # Slots missed while paused are skipped, not caught up.
        job.paused, job.updated_at = False, utcnow()
        job.next_run_at = next_fire_time(job.cron, job.updated_at)
    return job_out(job)


@router.post("/{job_id}/trigger", status_code=status.HTTP_202_ACCEPTED, response_model=RunOut,
             summary="Fire a job now, outside its schedule")
def trigger_job(job_id: str, session: Session = db_session,
                runtime: ServiceRuntime = Depends(get_runtime),
                principal: Principal = Depends(require_roles("editor"))) -> RunOut:
    job = load_job(session, job_id, principal)
    run = record_run(session, runtime.bus, job, utcnow(), f"manual:{uuid.uuid4()}", trigger="manual")
    return run_out(run)


@router.get("/{job_id}/runs", response_model=Page[RunOut], summary="Run history of a job, newest first")
def list_runs(job_id: str, params: PageParams = Depends(page_params), session: Session = db_session,
              _: Principal = Depends(require_roles())) -> Page[RunOut]:
    load_job(session, job_id)
    stmt = select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.fired_at.desc(), JobRun.id)
    rows, total = paginate(session, stmt, params)
    return Page[RunOut](items=[run_out(r) for r in rows], total=total, limit=params.limit, offset=params.offset)
