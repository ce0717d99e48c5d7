"""Datasets: declare a schema, ingest records (JSON or CSV) with per-row validation, list records."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import utcnow
from arrakis_common.ownership import require_owner
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..events import DatasetCreated, DatasetUpdated
from ..ingest import IngestRejected, RowError, parse_csv_rows, parse_json_rows, validate_rows
from ..models import Dataset, Record
from ..runner import append_records
from ..schema import Column, columns_of
from .common import aware, load

router = APIRouter(prefix="/datasets", tags=["datasets"])
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$"


class DatasetIn(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, examples=["sales"])
    description: str = Field(default="", max_length=2000)
    columns: list[Column] = Field(min_length=1, max_length=200)

    @field_validator("columns")
    @classmethod
    def _distinct(cls, columns: list[Column]) -> list[Column]:
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise ValueError("column names must be distinct")
        return columns


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    description: str
    columns: list[Column]
    record_count: int
    version: int
    derived_from: str | None
    created_by: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


class IngestResult(BaseModel):
    dataset_id: str
    accepted: int
    rejected: int
    errors: list[RowError]
    record_count: int


class RecordOut(BaseModel):
    position: int
    data: dict[str, Any]


def dataset_out(dataset: Dataset) -> DatasetOut:
    out = DatasetOut.model_validate(dataset)
    out.created_at, out.updated_at = aware(out.created_at), aware(out.updated_at)
    return out


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DatasetOut, summary="Create a dataset")
def create_dataset(body: DatasetIn, session: Session = db_session,
                   runtime: ServiceRuntime = Depends(get_runtime),
                   principal: Principal = Depends(require_roles("editor"))) -> DatasetOut:
    now = utcnow()
    columns = [c.model_dump() for c in body.columns]
    dataset = Dataset(id=str(uuid.uuid4()), name=body.name, description=body.description, columns=columns,
                      record_count=0, version=1, created_by=principal.subject, created_at=now, updated_at=now)
    session.add(dataset)
    session.flush()
    runtime.bus.publish(session, DatasetCreated(dataset_id=dataset.id, name=dataset.name, columns=columns))
    return dataset_out(dataset)


@router.get("", response_model=Page[DatasetOut], summary="List datasets")
def list_datasets(params: PageParams = Depends(page_params), session: Session = db_session,
                  _: Principal = Depends(require_roles())) -> Page[DatasetOut]:
    rows, total = paginate(session, select(Dataset).order_by(Dataset.name), params)
    return Page[DatasetOut](items=[dataset_out(d) for d in rows], total=total, limit=params.limit,
                            offset=params.offset)


@router.get("/{dataset_id}", response_model=DatasetOut, summary="Get a dataset and its schema")
def get_dataset(dataset_id: str, session: Session = db_session,
                _: Principal = Depends(require_roles())) -> DatasetOut:
    return dataset_out(load(session, Dataset, dataset_id))


async def read_ingest_body(request: Request) -> tuple[str, Any]:
    """The ingest body as ("json", document) or ("csv", bytes): JSON, text/csv, or a multipart ``file`` field."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, [{"loc": ["body", "file"], "msg": "multipart upload needs a 'file' part",
                                       "type": "missing"}])
        data = await upload.read()
        is_json = (upload.content_type or "").endswith("json") or (upload.filename or "").endswith(".json")
        return _decode_json(data) if is_json else ("csv", data)
    data = await request.body()
    if content_type in ("text/csv", "application/csv", "text/plain"):
        return "csv", data
    if content_type in ("application/json", ""):
        return _decode_json(data)
    raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                        "send application/json, text/csv or multipart/form-data with a 'file' part")


def _decode_json(data: bytes) -> tuple[str, Any]:
    try:
        return "json", json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(422, [{"loc": ["body"], "msg": f"invalid JSON: {exc}", "type": "json_invalid"}]) from exc


INGEST_BODY = {"requestBody": {"required": True, "content": {
    # Any JSON value is taken as a row; one that is not an object of column values is reported as that row's error.
    "application/json": {"schema": {"type": "array", "items": {"description": "A row: an object of column values"}}},
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
}}}


@router.post("/{dataset_id}/records", response_model=IngestResult, openapi_extra=INGEST_BODY,
             summary="Ingest records (JSON list, CSV text or CSV/JSON upload); invalid rows are reported per row")
def ingest_records(dataset_id: str, replace: bool = False, principal: Principal = Depends(require_roles("editor")),
                   body: tuple[str, Any] = Depends(read_ingest_body), session: Session = db_session,
                   runtime: ServiceRuntime = Depends(get_runtime)) -> IngestResult:
    dataset = load(session, Dataset, dataset_id)
    require_owner(dataset.created_by, principal, what=f"dataset {dataset_id}")
    if dataset.derived_from is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "derived datasets are written only by their transform")
    columns = columns_of(dataset.columns)
    kind, payload = body
    try:
        rows = parse_json_rows(payload) if kind == "json" else parse_csv_rows(payload, columns)
    except IngestRejected as exc:
        raise HTTPException(422, [{"loc": ["body"], "msg": str(exc), "type": "value_error"}]) from exc
    result = validate_rows(rows, columns, runtime.settings.max_reported_errors)  # type: ignore[attr-defined]
    if replace:
        session.query(Record).filter(Record.dataset_id == dataset.id).delete()
        dataset.record_count = 0
    if result.rows or replace:
        append_records(session, dataset, result.rows)
        dataset.version += 1
        dataset.updated_at = utcnow()
        runtime.bus.publish(session, DatasetUpdated(dataset_id=dataset.id, name=dataset.name,
                                                    record_count=dataset.record_count, version_number=dataset.version,
                                                    reason="replace" if replace else "ingest"))
    return IngestResult(dataset_id=dataset.id, accepted=len(result.rows), rejected=result.rejected,
                        errors=result.errors, record_count=dataset.record_count)


@router.get("/{dataset_id}/records", response_model=Page[RecordOut], summary="List a dataset's records in order")
def list_records(dataset_id: str, params: PageParams = Depends(page_params), session: Session = db_session,
                 _: Principal = Depends(require_roles())) -> Page[RecordOut]:
    load(session, Dataset, dataset_id)
    stmt = select(Record).where(Record.dataset_id == dataset_id).order_by(Record.position)
    rows, total = paginate(session, stmt, params)
    return Page[RecordOut](items=[RecordOut(position=r.position, data=r.data) for r in rows], total=total,
                           limit=params.limit, offset=params.offset)
