"""Tables of ontology-management-service: types, their version history, objects, links and the event outbox/inbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from arrakis_common.events import InboxMixin, OutboxMixin, utcnow
from arrakis_common.idempotency import IdempotencyKeyMixin


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class ObjectType(Base):
    """A kind of object with typed property definitions; ``version`` grows with every change."""

    __tablename__ = "object_types"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    api_name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    title_property: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ObjectTypeVersion(Base):
    """A previous definition of an object type, kept when the type changes."""

    __tablename__ = "object_type_versions"
    __table_args__ = (UniqueConstraint("object_type_id", "version", name="uq_object_type_versions_type_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    object_type_id: Mapped[str] = mapped_column(ForeignKey("object_types.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LinkType(Base):
    """A kind of relation from objects of one type to objects of another, with a cardinality."""

    __tablename__ = "link_types"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    api_name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source_type_id: Mapped[str] = mapped_column(ForeignKey("object_types.id"), index=True)
    target_type_id: Mapped[str] = mapped_column(ForeignKey("object_types.id"), index=True)
    cardinality: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OntologyObject(Base):
    """An object: property values validated against its type; ``search_text`` backs the ``q`` filter."""

    __tablename__ = "objects"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    object_type_id: Mapped[str] = mapped_column(ForeignKey("object_types.id"), index=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(String(500), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PropertyValue(Base):
    """One scalar property value of an object in canonical text form, so equality filters work on any database."""

    __tablename__ = "object_property_values"
    __table_args__ = (Index("ix_object_property_values_name_value", "name", "value"),)
    object_id: Mapped[str] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class Link(Base):
    """A link of one link type from a source object to a target object."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("link_type_id", "source_object_id", "target_object_id", name="uq_links_type_source_target"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    link_type_id: Mapped[str] = mapped_column(ForeignKey("link_types.id"), index=True)
    source_object_id: Mapped[str] = mapped_column(ForeignKey("objects.id"), index=True)
    target_object_id: Mapped[str] = mapped_column(ForeignKey("objects.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
