"""Events a consumer could not handle, kept with the reason instead of being dropped.

A durable consumer dead-letters a message when its envelope does not parse (``malformed``), when its payload fails
the handler's validation (``invalid_payload``), or when the handler has failed on every allowed delivery
(``handler_failed``). The row holds the raw message, so an operator can read why, fix the cause and replay it; the
message is then terminated on the stream. Each service that consumes events maps :class:`DeadLetterMixin` on its
declarative base and has the table in its Alembic chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TABLE_NAME = "event_dead_letters"
# The metric's ``reason`` label takes one of these; the row's ``detail`` says the rest.
# refused: the provenance check kept it out (unsigned, forged, or not from the subject's owner)
REASONS = ("malformed", "invalid_payload", "handler_failed", "refused")
DETAIL_LIMIT = 2000

class DeadLetterMixin:
    """Columns of the dead-letter table; a service that consumes events maps it on its own declarative base."""

    __tablename__ = "event_dead_letters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stream_seq: Mapped[int | None] = mapped_column(BigInteger)
    deliveries: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class _Base(DeclarativeBase):
    pass


class _DeadLetterRow(DeadLetterMixin, _Base):
    pass


# The table as this module writes it, in whichever service's database the bus is bound to.
event_dead_letters = _DeadLetterRow.__table__


@dataclass(frozen=True)
class DeadLetter:
    """One message a consumer gave up on."""

    consumer: str
    subject: str
    event_id: str | None
    stream_seq: int | None
    deliveries: int
    reason: str
    detail: str
    body: str


def record(engine: Any, letter: DeadLetter) -> bool:
    """Store ``letter``; False when this consumer already dead-lettered that stream message (a redelivery)."""
    if letter.reason not in REASONS:
        raise ValueError(f"unknown dead-letter reason {letter.reason!r}")
    values = {**letter.__dict__, "subject": letter.subject[:255], "detail": letter.detail[:DETAIL_LIMIT],
              "event_id": (letter.event_id or None) and letter.event_id[:64], "created_at": datetime.now(UTC)}
    t = event_dead_letters
    with engine.begin() as conn:
        if letter.stream_seq is not None and conn.execute(select(t.c.id).where(
                t.c.consumer == letter.consumer, t.c.stream_seq == letter.stream_seq)).first() is not None:
            return False
        conn.execute(insert(t).values(**values))
    return True


def count(engine: Any, consumer: str | None = None) -> int:
    """How many messages are dead-lettered (by ``consumer`` when given)."""
    stmt = select(func.count()).select_from(event_dead_letters)
    if consumer is not None:
        stmt = stmt.where(event_dead_letters.c.consumer == consumer)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())
