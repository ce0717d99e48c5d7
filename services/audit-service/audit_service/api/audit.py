"""Read-only access to the audit log: queries, single entries, chain verification and NDJSON export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import IsoDatetime, UtcDatetime

from ..chain import as_utc, verify_chain
from ..models import AuditEntry
from ..queries import AuditFilter, subject_pattern_error
from ..stream_coverage import StreamCoverage, check_stream

router = APIRouter(prefix="/audit", tags=["audit"])
auditor = require_roles("auditor")


class AuditEntryOut(BaseModel):
    seq: int
    event_id: str
    subject: str
    type: str
    version: int
    source: str = Field(description="The service the event says published it")
    actor: str = Field(description="Who the event says caused it (a payload field, else its envelope's actor, else "
                                   "its source)")
    publisher: str | None = Field(description="The service whose signature the log checked (null: not checked)")
    authenticated_actor: str | None = Field(description="The caller that publisher authenticated and stamped in the "
                                                        "envelope (an inbound event's caller, a job's owner)")
    occurred_at: UtcDatetime
    recorded_at: UtcDatetime
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(seq=entry.seq, event_id=entry.event_id, subject=entry.subject, type=entry.event_type,
                   version=entry.event_version, source=entry.source, actor=entry.actor,
                   publisher=entry.publisher, authenticated_actor=entry.authenticated_actor,
                   occurred_at=as_utc(entry.occurred_at), recorded_at=as_utc(entry.recorded_at),
                   payload=entry.payload, prev_hash=entry.prev_hash, hash=entry.hash)


class VerifyOut(BaseModel):
    ok: bool
    count: int = Field(description="Entries verified before the first broken one (all of them when ok)")
    head_hash: str = Field(description="Hash of the last verified entry (the genesis hash for an empty log)")
    broken_seq: int | None = Field(None, description="Sequence number of the first entry that does not verify")
    reason: str | None = None
    stream: StreamCoverage | None = Field(None, description="The JetStream stream's range against the log (null "
                                          "when the service runs without events); a gap makes ok false")


def audit_filter(
    actor: str | None = Query(None, max_length=255, description="Exact actor (user id or service name)"),
    subject: str | None = Query(None, max_length=255, description="Subject or NATS pattern, e.g. arrakis.*.object.>"),
    occurred_from: IsoDatetime | None = Query(None, alias="from", description="occurred_at at or after (ISO 8601)"),
    occurred_to: IsoDatetime | None = Query(None, alias="to", description="occurred_at strictly before (ISO 8601)"),
) -> AuditFilter:
    """Query parameters shared by the listing and the export."""
    if subject and (problem := subject_pattern_error(subject)):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            [{"loc": ["query", "subject"], "msg": problem, "type": "value_error"}])
    return AuditFilter(actor=actor, subject=subject, occurred_from=occurred_from, occurred_to=occurred_to)


@router.get("/events", summary="Query the log by actor, subject pattern and time range, oldest first")
def list_events(filters: AuditFilter = Depends(audit_filter), page: PageParams = Depends(page_params),
                session: Session = db_session, _: Principal = Depends(auditor)) -> Page[AuditEntryOut]:
    entries, total = paginate(session, filters.apply(select(AuditEntry)).order_by(AuditEntry.seq), page)
    return Page[AuditEntryOut](items=[AuditEntryOut.of(e) for e in entries], total=total, limit=page.limit,
                               offset=page.offset)


@router.get("/events/{seq}", summary="One log entry by sequence number")
def get_event(seq: int, session: Session = db_session, _: Principal = Depends(auditor)) -> AuditEntryOut:
    entry = session.get(AuditEntry, seq)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "audit entry not found")
    return AuditEntryOut.of(entry)


@router.get("/verify", summary="Recompute the whole hash chain and report the first broken entry, if any")
def verify(session: Session = db_session, runtime: ServiceRuntime = Depends(get_runtime),
           _: Principal = Depends(auditor)) -> VerifyOut:
    report = verify_chain(session, runtime.settings.audit_batch_size)  # type: ignore[attr-defined]
    coverage = check_stream(runtime)
    gap = coverage is not None and coverage.checked and not coverage.complete
    reason = report.reason
    if report.ok and gap:
        reason = (f"the stream holds {coverage.missing} events the log does not and {coverage.dead_lettered} "
                  "dead-lettered ones")
    return VerifyOut(ok=report.ok and not gap, count=report.count, head_hash=report.head_hash,
                     broken_seq=report.broken_seq, reason=reason, stream=coverage)


def export_lines(runtime: ServiceRuntime, filters: AuditFilter) -> Iterator[str]:
    """Matching entries as NDJSON, read in batches by sequence number in short sessions of their own."""
    batch = runtime.settings.audit_batch_size  # type: ignore[attr-defined]
    last = 0
    while True:
        with runtime.database().session() as session:
            stmt = filters.apply(select(AuditEntry)).where(AuditEntry.seq > last).order_by(AuditEntry.seq)
            entries = session.scalars(stmt.limit(batch)).all()
            lines = [json.dumps(AuditEntryOut.of(e).model_dump(mode="json"), sort_keys=True) + "\n"
                     for e in entries]
        if not entries:
            return
        yield "".join(lines)
        last = entries[-1].seq


@router.get("/export", summary="Stream matching entries as NDJSON (one JSON object per line, in sequence order)",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                             "description": "One AuditEntry JSON object per line"}})
def export(filters: AuditFilter = Depends(audit_filter), runtime: ServiceRuntime = Depends(get_runtime),
           _: Principal = Depends(auditor)) -> StreamingResponse:
    return StreamingResponse(export_lines(runtime, filters), media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="audit-log.ndjson"'})
