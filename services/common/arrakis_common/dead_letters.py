"""Events a consumer could not handle, kept with the reason instead of being dropped.

A durable consumer dead-letters a message when its envelope does not parse (``malformed``), when its payload fails
the handler's validation (``invalid_payload``), or when the handler has failed on every allowed delivery
(``handler_failed``). The row holds the raw message, so an operator can read why, fix the cause and replay it; the
message is then terminated on the stream. Each service that consumes events has the table in its Alembic chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

TABLE_NAME = "event_dead_letters"
# The metric's ``reason`` label takes one of these; the row's ``detail`` says the rest.
REASONS = ("malformed", "invalid_payload", "handler_failed")
DETAIL_LIMIT = 2000

metadata = MetaData()
event_dead_letters = Table(
    TABLE_NAME,
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consumer", String(120), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("event_id", String(64), nullable=True),
    Column("stream_seq", BigInteger, nullable=True),
    Column("deliveries", Integer, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("consumer", "stream_seq", name="uq_event_dead_letters_consumer_seq"),
    Index("ix_event_dead_letters_event_id", "event_id"),
)


def include_in(target: MetaData) -> Table:
    """Add the dead-letter table to a service's metadata, so its schema checks and ``create_all`` know it."""
    return event_dead_letters.to_metadata(target)


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
    try:
        with engine.begin() as conn:
            conn.execute(insert(event_dead_letters).values(**values))
    except IntegrityError:
        return False
    return True


def count(engine: Any, consumer: str | None = None) -> int:
    """How many messages are dead-lettered (by ``consumer`` when given)."""
    stmt = select(func.count()).select_from(event_dead_letters)
    if consumer is not None:
        stmt = stmt.where(event_dead_letters.c.consumer == consumer)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())
