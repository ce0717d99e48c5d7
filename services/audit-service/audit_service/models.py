"""audit-service tables: the hash-chained audit log, beside the platform's outbox and inbox.

Log rows are append-only: the ORM refuses to update or delete them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, event, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, ORMExecuteState, Session, mapped_column

from arrakis_common.dead_letters import DeadLetterMixin
from arrakis_common.events import InboxMixin, OutboxMixin, utcnow
from arrakis_common.idempotency import IdempotencyKeyMixin


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class DeadLetter(DeadLetterMixin, Base):
    """Events this service's consumers could not handle, with the reason."""


class AuditEntry(Base):
    """One recorded event; ``hash`` = sha256(prev_hash + canonical JSON of the entry's content)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_seq", "actor", "seq"),
        Index("ix_audit_log_subject", "subject"),
        Index("ix_audit_log_occurred_at", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(120))
    event_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(120))
    actor: Mapped[str] = mapped_column(String(255))
    # ``source`` and ``actor`` are what the event claims; these are what the consumer authenticated: the service whose
    # signature it verified, and the caller that service authenticated and stamped in the envelope (if any).
    publisher: Mapped[str | None] = mapped_column(String(120), default=None)
    authenticated_actor: Mapped[str | None] = mapped_column(String(255), default=None)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AppendOnlyViolation(RuntimeError):
    """Something tried to change or remove an audit log row."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper: Mapper[Any], _connection: Any, target: AuditEntry) -> None:
    raise AppendOnlyViolation(f"audit log entry {target.seq} is append-only: updates are refused")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper: Mapper[Any], _connection: Any, target: AuditEntry) -> None:
    raise AppendOnlyViolation(f"audit log entry {target.seq} is append-only: deletes are refused")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    # Bulk ``update(AuditEntry)``/``delete(AuditEntry)`` statements skip the mapper events above.
    if (state.is_update or state.is_delete) and state.bind_mapper is inspect(AuditEntry):
        raise AppendOnlyViolation("audit log entries are append-only: bulk updates and deletes are refused")
