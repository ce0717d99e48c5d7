"""Objects: property values validated against their object type; filtered, paginated listing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import utcnow
from arrakis_common.ownership import require_owner
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..events import LinkDeleted, ObjectCreated, ObjectDeleted, ObjectUpdated
from ..lookups import object_by_id, object_type_by_name, type_names
from ..models import Link, LinkType, ObjectType, OntologyObject, PropertyValue, new_id
from ..property_model import canonical, filter_value, object_title, search_text, validate_properties

router = APIRouter(prefix="/objects", tags=["objects"])
FILTER_PREFIX = "property."


class ObjectCreate(BaseModel):
    object_type: str = Field(description="api_name of the object's type")
    properties: dict[str, Any] = Field(default_factory=dict)


class ObjectReplace(BaseModel):
    properties: dict[str, Any] = Field(description="All property values (replaces the previous ones)")


class ObjectOut(BaseModel):
    id: str
    object_type: str
    title: str
    properties: dict[str, Any]
    version: int
    created_by: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


def to_out(row: OntologyObject, type_name: str) -> ObjectOut:
    return ObjectOut(id=row.id, object_type=type_name, title=row.title, properties=row.properties,
                     version=row.version, created_by=row.created_by, created_at=row.created_at,
                     updated_at=row.updated_at)


def store_values(session: Session, row: OntologyObject, object_type: ObjectType, values: dict[str, Any]) -> None:
    """Set validated property values and refresh the title, search text and equality-filter index."""
    row.properties = values
    row.title = object_title(object_type.title_property, values)
    row.search_text = search_text(values)
    session.execute(delete(PropertyValue).where(PropertyValue.object_id == row.id))
    for name, value in values.items():
        text = canonical(value)
        if text is not None:
            session.add(PropertyValue(object_id=row.id, name=name, value=text))


def changed_event(row: OntologyObject, type_name: str, event: type[ObjectCreated] | type[ObjectUpdated]
                  ) -> ObjectCreated:
    return event(object_id=row.id, object_type=type_name, properties=row.properties, title=row.title,
                 object_version=row.version)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an object of a type")
def create_object(body: ObjectCreate, session: Session = db_session,
                  runtime: ServiceRuntime = Depends(get_runtime),
                  principal: Principal = Depends(require_roles("editor"))) -> ObjectOut:
    object_type = object_type_by_name(session, body.object_type)
    values = validate_properties(object_type.properties, body.properties)
    # Everything is built before the first write, so on SQLite the database's write lock is held for one flush at
    # commit (the object, its values and the outbox row) instead of across the whole request.
    now = utcnow()
    row = OntologyObject(id=new_id(), object_type_id=object_type.id, version=1, created_by=principal.subject,
                         properties=values, title=object_title(object_type.title_property, values),
                         search_text=search_text(values), created_at=now, updated_at=now)
    session.add(row)
    session.add_all([PropertyValue(object_id=row.id, name=name, value=text) for name, value in values.items()
                     if (text := canonical(value)) is not None])
    runtime.bus.publish(session, changed_event(row, object_type.api_name, ObjectCreated))
    return to_out(row, object_type.api_name)


@router.get("", summary="List objects: by type, property equality (property.<name>=value) and text (q)")
def list_objects(request: Request, object_type: str | None = Query(None, description="api_name of the type"),
                 q: str | None = Query(None, min_length=1, max_length=200,
                                       description="Case-insensitive text contained in a string property"),
                 session: Session = db_session, params: PageParams = Depends(page_params),
                 _: Principal = Depends(require_roles())) -> Page[ObjectOut]:
    stmt = select(OntologyObject)
    definitions: dict[str, dict[str, Any]] | None = None
    if object_type is not None:
        type_row = object_type_by_name(session, object_type)
        stmt = stmt.where(OntologyObject.object_type_id == type_row.id)
        definitions = {p["name"]: p for p in type_row.properties}
    for key, raw in request.query_params.multi_items():
        if not key.startswith(FILTER_PREFIX):
            continue
        name = key[len(FILTER_PREFIX):]
        if definitions is not None and name not in definitions:
            raise RequestValidationError([{"type": "value_error", "loc": ("query", key), "input": raw,
                                           "msg": f"object type {object_type!r} has no property {name!r}"}])
        value = filter_value(definitions.get(name) if definitions else None, name, raw)
        matches = select(PropertyValue.object_id).where(PropertyValue.name == name, PropertyValue.value == value)
        stmt = stmt.where(OntologyObject.id.in_(matches))
    if q:
        stmt = stmt.where(OntologyObject.search_text.contains(q.lower(), autoescape=True))
    rows, total = paginate(session, stmt.order_by(OntologyObject.created_at, OntologyObject.id), params)
    names = type_names(session, *(r.object_type_id for r in rows))
    return Page(items=[to_out(r, names[r.object_type_id]) for r in rows], total=total, limit=params.limit,
                offset=params.offset)


@router.get("/{object_id}", summary="Get an object")
def get_object(object_id: str, session: Session = db_session,
               _: Principal = Depends(require_roles())) -> ObjectOut:
    row = object_by_id(session, object_id)
    return to_out(row, type_names(session, row.object_type_id)[row.object_type_id])


@router.put("/{object_id}", summary="Replace an object's properties (validated against its type's current version)")
def replace_object(object_id: str, body: ObjectReplace, session: Session = db_session,
                   runtime: ServiceRuntime = Depends(get_runtime),
                   principal: Principal = Depends(require_roles("editor"))) -> ObjectOut:
    row = object_by_id(session, object_id)
    require_owner(row.created_by, principal, what=f"object {object_id}")
    object_type = session.get_one(ObjectType, row.object_type_id)
    values = validate_properties(object_type.properties, body.properties)
    store_values(session, row, object_type, values)
    row.version += 1
    row.updated_at = utcnow()
    session.flush()
    runtime.bus.publish(session, changed_event(row, object_type.api_name, ObjectUpdated))
    return to_out(row, object_type.api_name)


@router.delete("/{object_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an object and the links that touch it")
def delete_object(object_id: str, session: Session = db_session,
                  runtime: ServiceRuntime = Depends(get_runtime),
                  principal: Principal = Depends(require_roles("editor"))) -> Response:
    row = object_by_id(session, object_id)
    require_owner(row.created_by, principal, what=f"object {object_id}")
    links = session.execute(select(Link, LinkType.api_name).join(LinkType, LinkType.id == Link.link_type_id)
                            .where(or_(Link.source_object_id == row.id, Link.target_object_id == row.id))).all()
    for link, link_type in links:
        session.delete(link)
        runtime.bus.publish(session, LinkDeleted(link_id=link.id, link_type=link_type,
                                                 source_object_id=link.source_object_id,
                                                 target_object_id=link.target_object_id))
    session.flush()
    type_name = type_names(session, row.object_type_id)[row.object_type_id]
    session.execute(delete(PropertyValue).where(PropertyValue.object_id == row.id))
    session.delete(row)
    runtime.bus.publish(session, ObjectDeleted(object_id=row.id, object_type=type_name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
