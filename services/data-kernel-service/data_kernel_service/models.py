"""Tables of data-kernel-service: datasets, their records (JSON rows), transforms and transform runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class Dataset(Base):
    """A named table with a declared schema (``columns``: list of {name, type, nullable})."""

    __tablename__ = "datasets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Set when the dataset is the output of a transform (it is then replaced on every run).
    derived_from: Mapped[str | None] = mapped_column(String(36), default=None)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Record(Base):
    """One row of a dataset, stored as a JSON object; ``position`` orders rows within the dataset."""

    __tablename__ = "records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(String(36), ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("dataset_id", "position", name="uq_records_dataset_position"),)


class Transform(Base):
    """A source dataset and ordered steps producing the dataset named ``target_name``."""

    __tablename__ = "transforms"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    source_dataset_id: Mapped[str] = mapped_column(String(36), ForeignKey("datasets.id"), index=True)
    target_name: Mapped[str] = mapped_column(String(200))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TransformRun(Base):
    """One execution of a transform. ``event_id`` (UNIQUE) ties a run to the request event that caused it."""

    __tablename__ = "transform_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transform_id: Mapped[str] = mapped_column(String(36), ForeignKey("transforms.id", ondelete="CASCADE"),
                                              index=True)
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str | None] = mapped_column(String(120), default=None)
    event_id: Mapped[str | None] = mapped_column(String(36), unique=True, default=None)
    output_dataset_id: Mapped[str | None] = mapped_column(String(36), default=None)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    rows_out: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
