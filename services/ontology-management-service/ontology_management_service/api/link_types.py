"""Link types: named relations from objects of one type to objects of another, with a cardinality."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import utcnow
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..access import schema_editor
from ..events import LinkTypeCreated, LinkTypeDeleted, LinkTypeUpdated
from ..lookups import link_type_by_name, object_type_by_name, type_names
from ..models import Link, LinkType
from ..property_model import NAME_PATTERN

router = APIRouter(prefix="/link-types", tags=["link-types"])

Cardinality = Literal["one-to-one", "one-to-many", "many-to-many"]


class LinkTypeChange(BaseModel):
    display_name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    cardinality: Cardinality = Field(description="one-to-one: each object on either side has at most one link; "
                                                 "one-to-many: each target has at most one source")


class LinkTypeCreate(LinkTypeChange):
    api_name: str = Field(pattern=NAME_PATTERN)
    source_object_type: str = Field(description="api_name of the source object type")
    target_object_type: str = Field(description="api_name of the target object type")


class LinkTypeOut(BaseModel):
    id: str
    api_name: str
    display_name: str
    description: str
    source_object_type: str
    target_object_type: str
    cardinality: Cardinality
    version: int
    created_at: UtcDatetime
    updated_at: UtcDatetime


def to_out(session: Session, row: LinkType) -> LinkTypeOut:
    names = type_names(session, row.source_type_id, row.target_type_id)
    return LinkTypeOut(id=row.id, api_name=row.api_name, display_name=row.display_name, description=row.description,
                       source_object_type=names[row.source_type_id], target_object_type=names[row.target_type_id],
                       cardinality=row.cardinality, version=row.version, created_at=row.created_at,
                       updated_at=row.updated_at)  # type: ignore[arg-type]


def changed_event(out: LinkTypeOut, event: type[LinkTypeCreated] | type[LinkTypeUpdated]) -> LinkTypeCreated:
    return event(link_type_id=out.id, api_name=out.api_name, display_name=out.display_name,
                 source_object_type=out.source_object_type, target_object_type=out.target_object_type,
                 cardinality=out.cardinality)


def cardinality_violations(session: Session, link_type_id: str, cardinality: str) -> list[str]:
    """Which sides of existing links of a link type already hold more links than ``cardinality`` allows."""
    sides = {"one-to-one": [Link.source_object_id, Link.target_object_id], "one-to-many": [Link.target_object_id],
             "many-to-many": []}[cardinality]
    crowded = []
    for column in sides:
        stmt = (select(column).where(Link.link_type_id == link_type_id).group_by(column)
                .having(func.count() > 1).limit(1))
        if session.execute(stmt).first() is not None:
            crowded.append("source" if column is Link.source_object_id else "target")
    return crowded


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a link type (role ontology-editor)")
def create_link_type(body: LinkTypeCreate, session: Session = db_session,
                     runtime: ServiceRuntime = Depends(get_runtime),
                     _: Principal = Depends(schema_editor)) -> LinkTypeOut:
    source = object_type_by_name(session, body.source_object_type)
    target = object_type_by_name(session, body.target_object_type)
    if session.scalar(select(exists().where(LinkType.api_name == body.api_name))):
        raise HTTPException(status.HTTP_409_CONFLICT, f"link type {body.api_name!r} already exists")
    row = LinkType(api_name=body.api_name, display_name=body.display_name, description=body.description,
                   source_type_id=source.id, target_type_id=target.id, cardinality=body.cardinality, version=1)
    session.add(row)
    session.flush()
    out = to_out(session, row)
    runtime.bus.publish(session, changed_event(out, LinkTypeCreated))
    return out


@router.get("", summary="List link types")
def list_link_types(session: Session = db_session,
                    params: PageParams = Depends(page_params),
                    _: Principal = Depends(require_roles())) -> Page[LinkTypeOut]:
    rows, total = paginate(session, select(LinkType).order_by(LinkType.api_name), params)
    return Page(items=[to_out(session, r) for r in rows], total=total, limit=params.limit, offset=params.offset)


@router.get("/{api_name}", summary="Get a link type")
def get_link_type(api_name: str, session: Session = db_session,
                  _: Principal = Depends(require_roles())) -> LinkTypeOut:
    return to_out(session, link_type_by_name(session, api_name))


@router.put("/{api_name}", summary="Change a link type's names or cardinality (409 if existing links break it)")
def update_link_type(api_name: str, body: LinkTypeChange, session: Session = db_session,
                     runtime: ServiceRuntime = Depends(get_runtime),
                     _: Principal = Depends(schema_editor)) -> LinkTypeOut:
    row = link_type_by_name(session, api_name)
    crowded = cardinality_violations(session, row.id, body.cardinality)
    if crowded:
        raise HTTPException(status.HTTP_409_CONFLICT, f"existing links violate {body.cardinality} on the "
                                                      f"{' and '.join(crowded)} side")
    row.display_name = body.display_name
    row.description = body.description
    row.cardinality = body.cardinality
    row.version += 1
    row.updated_at = utcnow()
    session.flush()
    out = to_out(session, row)
    runtime.bus.publish(session, changed_event(out, LinkTypeUpdated))
    return out


@router.delete("/{api_name}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a link type without links")
def delete_link_type(api_name: str, session: Session = db_session,
                     runtime: ServiceRuntime = Depends(get_runtime),
                     _: Principal = Depends(schema_editor)) -> Response:
    row = link_type_by_name(session, api_name)
    if session.scalar(select(exists().where(Link.link_type_id == row.id))):
        raise HTTPException(status.HTTP_409_CONFLICT, f"link type {api_name!r} still has links")
    session.delete(row)
    runtime.bus.publish(session, LinkTypeDeleted(link_type_id=row.id, api_name=row.api_name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
