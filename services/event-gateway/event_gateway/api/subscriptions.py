"""Webhook subscriptions: where matching events are delivered, and the secret their signatures use.

What a subscription may hear (event domains, personal fields) is decided in ``event_gateway.audience``.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.ownership import may_change, require_visible
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..audience import PERSONAL_ROLE, check_audience
from ..egress import BlockedDestination, check_literal
from ..models import Delivery, WebhookSubscription
from ..webhooks import as_utc

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])

SECRET_HINT_CHARS = 4


def check_url(value: str) -> str:
    """Only absolute http(s) URLs with a host can receive webhooks."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError("URL scheme must be http or https")
    if not parts.hostname:
        raise ValueError("URL must name a host")
    if any(ch.isspace() for ch in value):
        raise ValueError("URL must not contain whitespace")
    return value


def check_subject_filter(value: str) -> str:
    """A NATS subject pattern that can match platform subjects: ``*`` is one token, a final ``>`` is the rest."""
    tokens = value.split(".")
    for index, token in enumerate(tokens):
        if not token or any(ch.isspace() for ch in token):
            raise ValueError("subject filter tokens must be non-empty and contain no whitespace")
        if token == ">" and index != len(tokens) - 1:  # nosec B105
            raise ValueError("'>' may only be the last token")
        if token not in ("*", ">") and ("*" in token or ">" in token):
            raise ValueError("wildcards '*' and '>' must be whole tokens")
    if tokens[0] not in ("arrakis", "*", ">"):
        raise ValueError("subject filter must match arrakis.* subjects (start with 'arrakis', '*' or '>')")
    return value


WebhookUrl = Annotated[str, Field(min_length=8, max_length=2048, examples=["https://hooks.example.com/arrakis"]),
                       AfterValidator(check_url)]
SubjectFilter = Annotated[str, Field(min_length=1, max_length=255, examples=["arrakis.ontology.object.*"]),
                          AfterValidator(check_subject_filter)]
Secret = Annotated[str, Field(min_length=16, max_length=255, description="HMAC key; write-only")]
MaxAttempts = Annotated[int, Field(ge=1, le=50)]
PERSONAL_HELP = f"Deliver payload fields the schema marks personal (e.g. e-mail); needs role {PERSONAL_ROLE}"


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    subject_filter: SubjectFilter
    secret: Secret | None = Field(default=None, description="Generated (and returned once) when omitted")
    description: str | None = Field(default=None, max_length=2000)
    active: StrictBool = True
    max_attempts: MaxAttempts | None = Field(default=None, description="Defaults to the service setting")
    include_personal: StrictBool = Field(default=False, description=PERSONAL_HELP)


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    subject_filter: SubjectFilter | None = None
    secret: Secret | None = Field(default=None, description="Rotates the signing secret")
    description: str | None = Field(default=None, max_length=2000)
    active: StrictBool | None = None
    max_attempts: MaxAttempts | None = None
    include_personal: StrictBool | None = Field(default=None, description=PERSONAL_HELP)


class SubscriptionOut(BaseModel):
    id: str
    url: str
    subject_filter: str
    description: str | None
    active: bool
    max_attempts: int
    secret_hint: str = Field(description="Last characters of the secret, to tell secrets apart")
    domains: list[str] = Field(description="Event domains it delivers: those its creator's events-<domain> roles "
                                           "granted when they last saved it ('*': every domain, for an admin)")
    include_personal: bool = Field(description="Whether deliveries keep the fields schemas mark personal")
    created_by: str
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> SubscriptionOut:
        return cls(id=row.id, url=row.url, subject_filter=row.subject_filter, description=row.description,
                   active=row.active, max_attempts=row.max_attempts, secret_hint=secret_hint(row.secret),
                   domains=row.domains or [], include_personal=row.include_personal, created_by=row.created_by,
                   created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at))


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="Shown only in this response; store it to verify signatures")


def secret_hint(secret: str) -> str:
    return "..." + secret[-SECRET_HINT_CHARS:]


def reachable(url: str, runtime: ServiceRuntime) -> str:
    """``url``, or 422 when its host is a blocked address (see ``event_gateway.egress``)."""
    try:
        check_literal(url, runtime.settings.webhook_allowed_networks)
    except BlockedDestination as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"url: {exc}") from exc
    return url


def load(session: Session, subscription_id: str, principal: Principal) -> WebhookSubscription:
    """A subscription is private to its creator (its URL and filter say where events go) and to admins."""
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"subscription {subscription_id} not found")
    require_visible(row.created_by, principal, what=f"subscription {subscription_id}")
    return row


@router.post("", status_code=status.HTTP_201_CREATED,
             summary="Create a webhook subscription (a domain's subjects need role events-<domain>)")
def create_subscription(body: SubscriptionIn,
                        session: Session = db_session,
                        runtime: ServiceRuntime = Depends(get_runtime),
                        principal: Principal = Depends(require_roles("editor"))) -> SubscriptionCreated:
    domains = check_audience(principal, body.subject_filter, body.include_personal)
    secret = body.secret or secrets.token_urlsafe(32)
    row = WebhookSubscription(url=reachable(body.url, runtime), subject_filter=body.subject_filter, secret=secret,
                              description=body.description, active=body.active,
                              max_attempts=body.max_attempts or runtime.settings.default_max_attempts,
                              domains=domains, include_personal=body.include_personal, created_by=principal.subject)
    session.add(row)
    session.flush()
    return SubscriptionCreated(**SubscriptionOut.of(row).model_dump(), secret=secret)


@router.get("", summary="List webhook subscriptions")
def list_subscriptions(active: bool | None = Query(None, description="Only active or only inactive ones"),
                       params: PageParams = Depends(page_params), session: Session = db_session,
                       principal: Principal = Depends(require_roles())) -> Page[SubscriptionOut]:
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    if not may_change(None, principal):
        stmt = stmt.where(WebhookSubscription.created_by == principal.subject)
    if active is not None:
        stmt = stmt.where(WebhookSubscription.active.is_(active))
    rows, total = paginate(session, stmt, params)
    return Page(items=[SubscriptionOut.of(r) for r in rows], total=total, limit=params.limit, offset=params.offset)


@router.get("/{subscription_id}", summary="Get a webhook subscription")
def get_subscription(subscription_id: str, session: Session = db_session,
                     principal: Principal = Depends(require_roles())) -> SubscriptionOut:
    return SubscriptionOut.of(load(session, subscription_id, principal))


@router.patch("/{subscription_id}", summary="Change a webhook subscription (URL, filter, secret, active, attempts)")
def update_subscription(subscription_id: str, body: SubscriptionPatch,
                        session: Session = db_session,
                        runtime: ServiceRuntime = Depends(get_runtime),
                        principal: Principal = Depends(require_roles("editor"))) -> SubscriptionOut:
    row = load(session, subscription_id, principal)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "description":
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} cannot be null")
    domains = check_audience(principal, changes.get("subject_filter", row.subject_filter),
                             changes.get("include_personal", False))
    if principal.subject == row.created_by:  # what it may hear follows its creator, not an admin who edits it
        row.domains = domains
    for name, value in changes.items():
        setattr(row, name, reachable(value, runtime) if name == "url" else value)
    session.flush()
    return SubscriptionOut.of(row)


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a webhook subscription and its deliveries")
def delete_subscription(subscription_id: str,
                        session: Session = db_session,
                        principal: Principal = Depends(require_roles("editor"))) -> Response:
    row = load(session, subscription_id, principal)
    session.execute(delete(Delivery).where(Delivery.subscription_id == row.id))
    session.delete(row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
