"""Object types: typed property definitions, versioned on every change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import utcnow
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..access import schema_editor
from ..events import ObjectTypeCreated, ObjectTypeDeleted, ObjectTypeUpdated
from ..lookups import object_type_by_name
from ..models import LinkType, ObjectType, ObjectTypeVersion, OntologyObject
from ..property_model import NAME_PATTERN, PropertyDefinition, check_definitions, object_title

router = APIRouter(prefix="/object-types", tags=["object-types"])


class ObjectTypeDefinition(BaseModel):
    """The changeable part of an object type."""

    display_name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    properties: list[PropertyDefinition] = Field(min_length=1, max_length=200)
    title_property: str = Field(description="Name of the property that titles each object")

    @model_validator(mode="after")
    def _consistent(self) -> ObjectTypeDefinition:
        check_definitions(self.properties, self.title_property)
        return self


class ObjectTypeCreate(ObjectTypeDefinition):
    api_name: str = Field(pattern=NAME_PATTERN, description="Stable name used in URLs and events, e.g. Person")


class ObjectTypeOut(BaseModel):
    id: str
    api_name: str
    display_name: str
    description: str
    properties: list[PropertyDefinition]
    title_property: str
    version: int
    created_by: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ObjectTypeVersionOut(BaseModel):
    version: int
    definition: dict[str, Any]
    changed_by: str
    valid_from: UtcDatetime
    valid_until: UtcDatetime | None = Field(description="When this definition was replaced; null for the current one")


def to_out(row: ObjectType) -> ObjectTypeOut:
    return ObjectTypeOut.model_validate(row, from_attributes=True)


def definition_of(row: ObjectType) -> dict[str, Any]:
    return {"display_name": row.display_name, "description": row.description, "properties": row.properties,
            "title_property": row.title_property}


def changed_event(row: ObjectType, event: type[ObjectTypeCreated] | type[ObjectTypeUpdated]) -> ObjectTypeCreated:
    return event(object_type_id=row.id, api_name=row.api_name, display_name=row.display_name,
                 type_version=row.version, title_property=row.title_property, properties=row.properties)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an object type (role ontology-editor)")
def create_object_type(body: ObjectTypeCreate, session: Session = db_session,
                       runtime: ServiceRuntime = Depends(get_runtime),
                       principal: Principal = Depends(schema_editor)) -> ObjectTypeOut:
    if session.scalar(select(exists().where(ObjectType.api_name == body.api_name))):
        raise HTTPException(status.HTTP_409_CONFLICT, f"object type {body.api_name!r} already exists")
    row = ObjectType(api_name=body.api_name, display_name=body.display_name, description=body.description,
                     properties=[p.model_dump() for p in body.properties], title_property=body.title_property,
                     version=1, created_by=principal.subject)
    session.add(row)
    session.flush()
    runtime.bus.publish(session, changed_event(row, ObjectTypeCreated))
    return to_out(row)


@router.get("", summary="List object types")
def list_object_types(session: Session = db_session,
                      params: PageParams = Depends(page_params),
                      _: Principal = Depends(require_roles())) -> Page[ObjectTypeOut]:
    rows, total = paginate(session, select(ObjectType).order_by(ObjectType.api_name), params)
    return Page(items=[to_out(r) for r in rows], total=total, limit=params.limit, offset=params.offset)


@router.get("/{api_name}", summary="Get an object type")
def get_object_type(api_name: str, session: Session = db_session,
                    _: Principal = Depends(require_roles())) -> ObjectTypeOut:
    return to_out(object_type_by_name(session, api_name))


@router.put("/{api_name}", summary="Change an object type (new version; the previous one goes to the history)")
def update_object_type(api_name: str, body: ObjectTypeDefinition,
                       session: Session = db_session,
                       runtime: ServiceRuntime = Depends(get_runtime),
                       principal: Principal = Depends(schema_editor)) -> ObjectTypeOut:
    row = object_type_by_name(session, api_name)
    now = utcnow()
    session.add(ObjectTypeVersion(object_type_id=row.id, version=row.version, definition=definition_of(row),
                                  changed_by=principal.subject, valid_from=row.updated_at, valid_until=now))
    row.display_name = body.display_name
    row.description = body.description
    row.properties = [p.model_dump() for p in body.properties]
    if body.title_property != row.title_property:
        for obj in session.scalars(select(OntologyObject).where(OntologyObject.object_type_id == row.id)):
            obj.title = object_title(body.title_property, obj.properties)
    row.title_property = body.title_property
    row.version += 1
    row.updated_at = now
    session.flush()
    runtime.bus.publish(session, changed_event(row, ObjectTypeUpdated))
    return to_out(row)


@router.get("/{api_name}/versions", summary="Version history of an object type, oldest first, current last")
def object_type_versions(api_name: str, session: Session = db_session,
                         _: Principal = Depends(require_roles())) -> list[ObjectTypeVersionOut]:
    row = object_type_by_name(session, api_name)
    history = session.scalars(select(ObjectTypeVersion).where(ObjectTypeVersion.object_type_id == row.id)
                              .order_by(ObjectTypeVersion.version)).all()
    past = [ObjectTypeVersionOut.model_validate(h, from_attributes=True) for h in history]
    current = ObjectTypeVersionOut(version=row.version, definition=definition_of(row),
                                   changed_by=past[-1].changed_by if past else row.created_by,
                                   valid_from=row.updated_at, valid_until=None)
    return [*past, current]


@router.delete("/{api_name}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an object type that has no objects and no link types")
def delete_object_type(api_name: str, session: Session = db_session,
                       runtime: ServiceRuntime = Depends(get_runtime),
                       _: Principal = Depends(schema_editor)) -> Response:
    row = object_type_by_name(session, api_name)
    if session.scalar(select(exists().where(OntologyObject.object_type_id == row.id))):
        raise HTTPException(status.HTTP_409_CONFLICT, f"object type {api_name!r} still has objects")
    if session.scalar(select(exists().where(or_(LinkType.source_type_id == row.id,
                                                LinkType.target_type_id == row.id)))):
        raise HTTPException(status.HTTP_409_CONFLICT, f"object type {api_name!r} is used by link types")
    session.execute(delete(ObjectTypeVersion).where(ObjectTypeVersion.object_type_id == row.id))
    session.delete(row)
    runtime.bus.publish(session, ObjectTypeDeleted(object_type_id=row.id, api_name=row.api_name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
