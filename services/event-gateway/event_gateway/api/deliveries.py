"""Delivery attempts of events to subscriptions, the dead-letter list and replay.

A delivery is as private as its subscription: its creator and admins see it and replay it; for anyone else it does
not exist (404), and listings show only the caller's own.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from arrakis_common.app import db_session
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import utcnow
from arrakis_common.ownership import may_change, require_visible
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..models import Delivery, DeliveryStatus, WebhookSubscription
from ..webhooks import as_utc

router = APIRouter(tags=["deliveries"])


class Status(StrEnum):
    pending = DeliveryStatus.PENDING
    delivered = DeliveryStatus.DELIVERED
    dead = DeliveryStatus.DEAD


class DeliveryOut(BaseModel):
    id: str
    subscription_id: str
    event_id: str
    subject: str
    status: Status
    attempts: int
    next_attempt_at: UtcDatetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: UtcDatetime
    delivered_at: UtcDatetime | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryOut:
        return cls(id=row.id, subscription_id=row.subscription_id, event_id=row.event_id, subject=row.subject,
                   status=Status(row.status), attempts=row.attempts,
                   next_attempt_at=as_utc(row.next_attempt_at) if row.status == DeliveryStatus.PENDING else None,
                   last_status_code=row.last_status_code, last_error=row.last_error,
                   created_at=as_utc(row.created_at),
                   delivered_at=as_utc(row.delivered_at) if row.delivered_at else None)


def page_of(session: Session, stmt: Select, params: PageParams) -> Page[DeliveryOut]:
    rows, total = paginate(session, stmt.order_by(Delivery.created_at, Delivery.id), params)
    return Page(items=[DeliveryOut.of(r) for r in rows], total=total, limit=params.limit, offset=params.offset)


def filtered(stmt: Select, principal: Principal, subscription_id: str | None, subject: str | None) -> Select:
    if not may_change(None, principal):  # not an admin: only deliveries of the caller's own subscriptions
        own = select(WebhookSubscription.id).where(WebhookSubscription.created_by == principal.subject)
        stmt = stmt.where(Delivery.subscription_id.in_(own))
    if subscription_id is not None:
        stmt = stmt.where(Delivery.subscription_id == subscription_id)
    if subject is not None:
        stmt = stmt.where(Delivery.subject == subject)
    return stmt


@router.get("/deliveries", summary="List webhook deliveries, filtered by status, subscription or subject")
def list_deliveries(status_filter: Status | None = Query(None, alias="status"),
                    subscription_id: str | None = Query(None), subject: str | None = Query(None),
                    params: PageParams = Depends(page_params), session: Session = db_session,
                    principal: Principal = Depends(require_roles())) -> Page[DeliveryOut]:
    stmt = filtered(select(Delivery), principal, subscription_id, subject)
    if status_filter is not None:
        stmt = stmt.where(Delivery.status == status_filter.value)
    return page_of(session, stmt, params)


@router.get("/deliveries/{delivery_id}", summary="Get one webhook delivery")
def get_delivery(delivery_id: str, session: Session = db_session,
                 principal: Principal = Depends(require_roles())) -> DeliveryOut:
    return DeliveryOut.of(load(session, delivery_id, principal))


@router.get("/dead-letters", summary="List deliveries that exhausted their attempts")
def list_dead_letters(subscription_id: str | None = Query(None), subject: str | None = Query(None),
                      params: PageParams = Depends(page_params), session: Session = db_session,
                      principal: Principal = Depends(require_roles())) -> Page[DeliveryOut]:
    stmt = filtered(select(Delivery).where(Delivery.status == DeliveryStatus.DEAD), principal, subscription_id,
                    subject)
    return page_of(session, stmt, params)


@router.post("/dead-letters/{delivery_id}/replay", status_code=status.HTTP_202_ACCEPTED,
             summary="Queue a dead-lettered delivery again with a fresh set of attempts (its subscription's creator "
                     "or an admin)")
def replay_dead_letter(delivery_id: str, session: Session = db_session,
                       principal: Principal = Depends(require_roles("editor"))) -> DeliveryOut:
    row = load(session, delivery_id, principal)
    if row.status != DeliveryStatus.DEAD:
        raise HTTPException(status.HTTP_409_CONFLICT, f"delivery {delivery_id} is {row.status}, not dead")
    row.status = DeliveryStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    session.flush()
    return DeliveryOut.of(row)


def load(session: Session, delivery_id: str, principal: Principal) -> Delivery:
    """The delivery, if the caller may see it (the creator of its subscription or an admin), else 404."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"delivery {delivery_id} not found")
    subscription = session.get(WebhookSubscription, row.subscription_id)
    require_visible(subscription.created_by if subscription else None, principal, what=f"delivery {delivery_id}")
    return row
