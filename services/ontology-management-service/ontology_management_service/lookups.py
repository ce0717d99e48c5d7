"""Loading rows by their public key, or answering 404."""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Link, LinkType, ObjectType, OntologyObject


def object_type_by_name(session: Session, api_name: str) -> ObjectType:
    found = session.scalars(select(ObjectType).where(ObjectType.api_name == api_name)).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"object type {api_name!r} not found")
    return found


def link_type_by_name(session: Session, api_name: str) -> LinkType:
    found = session.scalars(select(LinkType).where(LinkType.api_name == api_name)).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"link type {api_name!r} not found")
    return found


def object_by_id(session: Session, object_id: str) -> OntologyObject:
    found = session.get(OntologyObject, object_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"object {object_id!r} not found")
    return found


def link_by_id(session: Session, link_id: str) -> Link:
    found = session.get(Link, link_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"link {link_id!r} not found")
    return found


def type_names(session: Session, *type_ids: str) -> dict[str, str]:
    """api_name of each object type id."""
    rows = session.execute(select(ObjectType.id, ObjectType.api_name).where(ObjectType.id.in_(set(type_ids))))
    return {row.id: row.api_name for row in rows}


def link_type_names(session: Session, *link_type_ids: str) -> dict[str, str]:
    """api_name of each link type id."""
    rows = session.execute(select(LinkType.id, LinkType.api_name).where(LinkType.id.in_(set(link_type_ids))))
    return {row.id: row.api_name for row in rows}
