"""Tables of embedding-service: collections, their items (vectors as float32 bytes) and the event outbox/inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
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


class Collection(Base):
    """A set of vectors of one dimension; ``revision`` grows with every write so caches know they are stale."""

    __tablename__ = "collections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    dimension: Mapped[int] = mapped_column(Integer)
    embedder: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # The account that created it; None for collections made before owners were recorded (then admins only).
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Item(Base):
    """One vector of a collection with the text it came from (if any) and metadata for equality filters."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("collection_id", "item_id", name="uq_items_collection_item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    item_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
