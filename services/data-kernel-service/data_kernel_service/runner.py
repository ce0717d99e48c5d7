"""Running a transform: read the source rows, apply the plan, create or replace the target dataset, record the run
and publish the outcome, all in the caller's transaction (a failure rolls back only the output, not the run)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from arrakis_common.events import Envelope, EventBus, utcnow

from .events import DatasetCreated, DatasetUpdated, TransformCompleted, TransformFailed, TransformRequested
from .models import Dataset, Record, Transform, TransformRun
from .schema import columns_of
from .transforms import Step, plan

log = logging.getLogger(__name__)
STEPS = TypeAdapter(list[Step])


class TransformTargetConflict(Exception):
    """The target name belongs to a dataset that no transform (or another transform) produces."""


def append_records(session: Session, dataset: Dataset, rows: list[dict[str, Any]]) -> None:
    """Store ``rows`` after the dataset's existing records and bump its count."""
    if rows:
        start = dataset.record_count
        session.execute(insert(Record), [{"dataset_id": dataset.id, "position": start + i, "data": row}
                                         for i, row in enumerate(rows)])
    dataset.record_count += len(rows)


def dataset_rows(session: Session, dataset_id: str) -> list[dict[str, Any]]:
    stmt = select(Record.data).where(Record.dataset_id == dataset_id).order_by(Record.position)
    return [dict(row) for row in session.execute(stmt).scalars()]


def _write_output(session: Session, bus: EventBus, transform: Transform, columns: list[dict[str, Any]],
                  rows: list[dict[str, Any]]) -> Dataset:
    target = session.execute(select(Dataset).where(Dataset.name == transform.target_name)).scalar_one_or_none()
    now = utcnow()
    if target is None:
        target = Dataset(id=str(uuid.uuid4()), name=transform.target_name, description=f"Output of {transform.name}",
                         columns=columns, record_count=0, version=1, derived_from=transform.id,
                         created_by=transform.created_by, created_at=now, updated_at=now)
        session.add(target)
        session.flush()
        bus.publish(session, DatasetCreated(dataset_id=target.id, name=target.name, columns=columns,
                                            derived_from=transform.id))
    elif target.derived_from != transform.id:
        raise TransformTargetConflict(f"dataset {target.name!r} is not produced by this transform")
    else:
        session.execute(delete(Record).where(Record.dataset_id == target.id))
        target.columns, target.record_count, target.version, target.updated_at = columns, 0, target.version + 1, now
    append_records(session, target, rows)
    bus.publish(session, DatasetUpdated(dataset_id=target.id, name=target.name, record_count=target.record_count,
                                        version_number=target.version, reason="transform"))
    return target


def run_transform(session: Session, bus: EventBus, transform: Transform, *, trigger: str,
                  requested_by: str | None = None, event_id: str | None = None,
                  refusal: str | None = None) -> TransformRun:
    """Run ``transform`` now and record the run (succeeded or failed) with its event; with a ``refusal`` the run is
    recorded as failed for that reason without touching any data."""
    run = TransformRun(id=str(uuid.uuid4()), transform_id=transform.id, status="running", trigger=trigger,
                       requested_by=requested_by, event_id=event_id, started_at=utcnow())
    session.add(run)
    session.flush()
    try:
        with session.begin_nested():
            if refusal is not None:
                raise PermissionError(refusal)
            source = session.get(Dataset, transform.source_dataset_id)
            if source is None:
                raise LookupError("source dataset no longer exists")
            # The source may be a derived dataset whose schema changed since creation: check again.
            checked = plan(STEPS.validate_python(transform.steps), columns_of(source.columns))
            rows = dataset_rows(session, source.id)
            output = checked.apply(rows)
            columns = [c.model_dump() for c in checked.columns]
            target = _write_output(session, bus, transform, columns, output)
    except (LookupError, ValueError, ValidationError, TransformTargetConflict, ArithmeticError, TypeError,
            PermissionError) as exc:
        run.status, run.error, run.finished_at = "failed", str(exc)[:2000], utcnow()
        bus.publish(session, TransformFailed(transform_id=transform.id, run_id=run.id, error=run.error))
        return run
    run.status, run.finished_at = "succeeded", utcnow()
    run.rows_in, run.rows_out, run.output_dataset_id = len(rows), len(output), target.id
    bus.publish(session, TransformCompleted(transform_id=transform.id, run_id=run.id, output_dataset_id=target.id,
                                            rows_in=run.rows_in, rows_out=run.rows_out))
    return run


def transform_requested_handler(bus: EventBus):  # noqa: ANN201 - returns an arrakis_common event handler
    """Handler of ``arrakis.data.transform.requested``: runs the transform once per event id."""

    def handle(session: Session, envelope: Envelope) -> None:
        try:
            request = TransformRequested.model_validate(envelope.payload)
        except ValidationError:
            log.warning("ignoring transform request %s without a valid transform_id", envelope.id)
            return
        # The inbox already dedupes; the run's UNIQUE event_id makes a replay harmless even without it.
        if session.execute(select(TransformRun.id).where(TransformRun.event_id == envelope.id)).first():
            return
        transform = session.get(Transform, request.transform_id)
        if transform is None:
            log.warning("transform %s requested by event %s does not exist", request.transform_id, envelope.id)
            return
        # The envelope's actor is the account the publisher authenticated (a scheduler job's owner); the payload's
        # requested_by is only what the publisher was told.
        requested_by = envelope.actor or request.requested_by or envelope.source
        # A request made for an account (a scheduler job's owner) runs only that account's own transform, as the API's
        # run-now does for anyone but an admin; the event cannot say whether the account is an admin.
        refusal = None
        if envelope.actor is not None and envelope.actor != transform.created_by:
            refusal = f"requested for {envelope.actor}, who did not create transform {transform.id}"
            log.warning("transform request %s refused: %s", envelope.id, refusal)
        run_transform(session, bus, transform, trigger="event", requested_by=requested_by, event_id=envelope.id,
                      refusal=refusal)

    return handle
