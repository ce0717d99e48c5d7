"""Transforms: create and replace (checked against the source schema), delete, list, run now, run history."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import utcnow
from arrakis_common.ownership import require_owner
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..models import Dataset, Transform, TransformRun
from ..runner import STEPS, run_transform
from ..schema import Column, columns_of
from ..transforms import Step, StepError, plan
from .common import aware, load
from .datasets import NAME_PATTERN

router = APIRouter(prefix="/transforms", tags=["transforms"])


class TransformIn(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = Field(default="", max_length=2000)
    source_dataset_id: str
    target_dataset: str = Field(pattern=NAME_PATTERN, description="Name of the derived dataset (created or replaced)")
    steps: list[Step] = Field(min_length=1, max_length=50)


class TransformOut(BaseModel):
    id: str
    name: str
    description: str
    source_dataset_id: str
    target_dataset: str
    steps: list[dict[str, Any]]
    output_columns: list[Column]
    created_by: str
    created_at: UtcDatetime


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    transform_id: str
    status: str
    trigger: str
    requested_by: str | None
    event_id: str | None
    output_dataset_id: str | None
    started_at: UtcDatetime
    finished_at: UtcDatetime | None
    rows_in: int
    rows_out: int
    error: str | None


def transform_out(session: Session, transform: Transform) -> TransformOut:
    source = session.get(Dataset, transform.source_dataset_id)
    try:
        output = plan(STEPS.validate_python(transform.steps), columns_of(source.columns)).columns if source else []
    except (StepError, ValueError):
        output = []  # the source changed shape since creation; the next run reports why
    return TransformOut(id=transform.id, name=transform.name, description=transform.description,
                        source_dataset_id=transform.source_dataset_id, target_dataset=transform.target_name,
                        steps=transform.steps, output_columns=output, created_by=transform.created_by,
                        created_at=aware(transform.created_at))


def run_out(run: TransformRun) -> RunOut:
    out = RunOut.model_validate(run)
    out.started_at, out.finished_at = aware(out.started_at), aware(out.finished_at)
    return out


def _invalid(field: list[Any], message: str) -> HTTPException:
    return HTTPException(422,
                         [{"loc": ["body", *field], "msg": message, "type": "value_error"}])


def checked_source(session: Session, body: TransformIn) -> Dataset:
    """The source dataset of ``body`` once its steps fit the source's schema and its target may be written."""
    source = session.get(Dataset, body.source_dataset_id)
    if source is None:
        raise _invalid(["source_dataset_id"], f"dataset {body.source_dataset_id} not found")
    if body.target_dataset == source.name:
        raise _invalid(["target_dataset"], "a transform cannot overwrite its own source")
    try:
        plan(body.steps, columns_of(source.columns))
    except StepError as exc:
        raise _invalid(["steps", exc.index], str(exc)) from exc
    existing = session.execute(select(Dataset).where(Dataset.name == body.target_dataset)).scalar_one_or_none()
    if existing is not None and existing.derived_from is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"dataset {body.target_dataset!r} holds ingested data")
    return source


def stored_steps(body: TransformIn) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json", exclude_none=True) for s in body.steps]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TransformOut,
             summary="Create a transform (steps are checked against the source schema)")
def create_transform(body: TransformIn, session: Session = db_session,
                     principal: Principal = Depends(require_roles("editor"))) -> TransformOut:
    source = checked_source(session, body)
    transform = Transform(id=str(uuid.uuid4()), name=body.name, description=body.description,
                          source_dataset_id=source.id, target_name=body.target_dataset, steps=stored_steps(body),
                          created_by=principal.subject, created_at=utcnow())
    session.add(transform)
    session.flush()
    return transform_out(session, transform)


@router.put("/{transform_id}", response_model=TransformOut,
            summary="Replace a transform's definition (its creator or an admin; checked as at creation)")
def update_transform(transform_id: str, body: TransformIn, session: Session = db_session,
                     principal: Principal = Depends(require_roles("editor"))) -> TransformOut:
    transform = load(session, Transform, transform_id)
    require_owner(transform.created_by, principal, what=f"transform {transform_id}")
    source = checked_source(session, body)
    transform.name, transform.description = body.name, body.description
    transform.source_dataset_id, transform.target_name = source.id, body.target_dataset
    transform.steps = stored_steps(body)
    session.flush()
    return transform_out(session, transform)


@router.delete("/{transform_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a transform and its run history (its creator or an admin; its output dataset stays)")
def delete_transform(transform_id: str, session: Session = db_session,
                     principal: Principal = Depends(require_roles("editor"))) -> Response:
    transform = load(session, Transform, transform_id)
    require_owner(transform.created_by, principal, what=f"transform {transform_id}")
    session.execute(delete(TransformRun).where(TransformRun.transform_id == transform.id))
    session.delete(transform)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=Page[TransformOut], summary="List transforms")
def list_transforms(params: PageParams = Depends(page_params), session: Session = db_session,
                    _: Principal = Depends(require_roles())) -> Page[TransformOut]:
    rows, total = paginate(session, select(Transform).order_by(Transform.name), params)
    return Page[TransformOut](items=[transform_out(session, t) for t in rows], total=total, limit=params.limit,
                              offset=params.offset)


@router.get("/{transform_id}", response_model=TransformOut, summary="Get a transform and its output schema")
def get_transform(transform_id: str, session: Session = db_session,
                  _: Principal = Depends(require_roles())) -> TransformOut:
    return transform_out(session, load(session, Transform, transform_id))


@router.post("/{transform_id}/run", response_model=RunOut, summary="Run a transform now")
def run_now(transform_id: str, session: Session = db_session, runtime: ServiceRuntime = Depends(get_runtime),
            principal: Principal = Depends(require_roles("editor"))) -> RunOut:
    transform = load(session, Transform, transform_id)
    require_owner(transform.created_by, principal, what=f"transform {transform_id}")
    return run_out(run_transform(session, runtime.bus, transform, trigger="api", requested_by=principal.subject))


@router.get("/{transform_id}/runs", response_model=Page[RunOut], summary="Run history of a transform, newest first")
def list_runs(transform_id: str, params: PageParams = Depends(page_params), session: Session = db_session,
              _: Principal = Depends(require_roles())) -> Page[RunOut]:
    load(session, Transform, transform_id)
    stmt = (select(TransformRun).where(TransformRun.transform_id == transform_id)
            .order_by(TransformRun.started_at.desc(), TransformRun.id))
    rows, total = paginate(session, stmt, params)
    return Page[RunOut](items=[run_out(r) for r in rows], total=total, limit=params.limit, offset=params.offset)
