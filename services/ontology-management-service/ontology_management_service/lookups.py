"""Loading rows by their public key, or answering 404."""

from __future__ import annotations

from typing import TypeVar

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Base, Link, LinkType, ObjectType, OntologyObject

T = TypeVar("T", bound=Base)


def one_or_404(session: Session, model: type[T], what: str, key: str, **where: str) -> T:
    """The row of ``model`` matching ``where``; 404 naming ``what`` otherwise."""
    found = session.scalars(select(model).filter_by(**where)).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{what} {key!r} not found")
    return found


def object_type_by_name(session: Session, api_name: str) -> ObjectType:
    return one_or_404(session, ObjectType, "object type", api_name, api_name=api_name)


def link_type_by_name(session: Session, api_name: str) -> LinkType:
    return one_or_404(session, LinkType, "link type", api_name, api_name=api_name)


def object_by_id(session: Session, object_id: str) -> OntologyObject:
    return one_or_404(session, OntologyObject, "object", object_id, id=object_id)


def link_by_id(session: Session, link_id: str) -> Link:
    return one_or_404(session, Link, "link", link_id, id=link_id)


def type_names(session: Session, *type_ids: str) -> dict[str, str]:
    """api_name of each object type id."""
    rows = session.execute(select(ObjectType.id, ObjectType.api_name).where(ObjectType.id.in_(set(type_ids))))
    return {row.id: row.api_name for row in rows}


def link_type_names(session: Session, *link_type_ids: str) -> dict[str, str]:
    """api_name of each link type id."""
    rows = session.execute(select(LinkType.id, LinkType.api_name).where(LinkType.id.in_(set(link_type_ids))))
    return {row.id: row.api_name for row in rows}
