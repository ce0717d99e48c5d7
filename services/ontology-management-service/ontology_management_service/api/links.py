"""Links between objects, checked against their link type's source/target types and cardinality."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.ownership import require_owner
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..events import LinkCreated, LinkDeleted
from ..lookups import link_by_id, link_type_by_name, link_type_names, object_by_id
from ..models import Link, LinkType

router = APIRouter(prefix="/links", tags=["links"])


class LinkCreate(BaseModel):
    link_type: str
    source_object_id: str
    target_object_id: str


class LinkOut(BaseModel):
    id: str
    link_type: str
    source_object_id: str
    target_object_id: str
    created_by: str
    created_at: UtcDatetime


def to_out(row: Link, link_type: str) -> LinkOut:
    return LinkOut(id=row.id, link_type=link_type, source_object_id=row.source_object_id,
                   target_object_id=row.target_object_id, created_by=row.created_by, created_at=row.created_at)


def link_event(row: Link, link_type: str, event: type[LinkCreated] | type[LinkDeleted]) -> LinkCreated:
    return event(link_id=row.id, link_type=link_type, source_object_id=row.source_object_id,
                 target_object_id=row.target_object_id)


def wrong_type(field: str, object_id: str, expected: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "input": object_id,
                                    "msg": f"object {object_id!r} is not of type {expected!r}"}])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Link two objects")
def create_link(body: LinkCreate, session: Session = db_session,
                runtime: ServiceRuntime = Depends(get_runtime),
                principal: Principal = Depends(require_roles("editor"))) -> LinkOut:
    link_type = link_type_by_name(session, body.link_type)
    source = object_by_id(session, body.source_object_id)
    target = object_by_id(session, body.target_object_id)
    if source.object_type_id != link_type.source_type_id:
        raise wrong_type("source_object_id", source.id, "the link type's source type")
    if target.object_type_id != link_type.target_type_id:
        raise wrong_type("target_object_id", target.id, "the link type's target type")
    of_type = Link.link_type_id == link_type.id
    if session.scalar(select(exists().where(of_type, Link.source_object_id == source.id,
                                            Link.target_object_id == target.id))):
        raise HTTPException(status.HTTP_409_CONFLICT, "these objects are already linked by this link type")
    if link_type.cardinality == "one-to-one" and session.scalar(select(exists().where(
            of_type, Link.source_object_id == source.id))):
        raise HTTPException(status.HTTP_409_CONFLICT, f"source already has a {link_type.api_name} link (one-to-one)")
    if link_type.cardinality in ("one-to-one", "one-to-many") and session.scalar(select(exists().where(
            of_type, Link.target_object_id == target.id))):
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"target already has a {link_type.api_name} link ({link_type.cardinality})")
    row = Link(link_type_id=link_type.id, source_object_id=source.id, target_object_id=target.id,
               created_by=principal.subject)
    session.add(row)
    session.flush()
    runtime.bus.publish(session, link_event(row, link_type.api_name, LinkCreated))
    return to_out(row, link_type.api_name)


@router.get("", summary="List links, by link type and/or an object on either end")
def list_links(link_type: str | None = Query(None), object_id: str | None = Query(None),
               session: Session = db_session, params: PageParams = Depends(page_params),
               _: Principal = Depends(require_roles())) -> Page[LinkOut]:
    stmt = select(Link)
    if link_type is not None:
        stmt = stmt.where(Link.link_type_id == link_type_by_name(session, link_type).id)
    if object_id is not None:
        stmt = stmt.where(or_(Link.source_object_id == object_id, Link.target_object_id == object_id))
    rows, total = paginate(session, stmt.order_by(Link.created_at, Link.id), params)
    names = link_type_names(session, *(r.link_type_id for r in rows))
    return Page(items=[to_out(r, names[r.link_type_id]) for r in rows], total=total, limit=params.limit,
                offset=params.offset)


@router.get("/{link_id}", summary="Get a link")
def get_link(link_id: str, session: Session = db_session,
             _: Principal = Depends(require_roles())) -> LinkOut:
    row = link_by_id(session, link_id)
    return to_out(row, session.get_one(LinkType, row.link_type_id).api_name)


@router.delete("/{link_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a link (its creator or an admin)")
def delete_link(link_id: str,
                session: Session = db_session,
                runtime: ServiceRuntime = Depends(get_runtime),
                principal: Principal = Depends(require_roles("editor"))) -> Response:
    row = link_by_id(session, link_id)
    require_owner(row.created_by, principal, what=f"link {link_id}")
    link_type = session.get_one(LinkType, row.link_type_id).api_name
    session.delete(row)
    runtime.bus.publish(session, link_event(row, link_type, LinkDeleted))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
