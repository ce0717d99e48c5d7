"""Inbound events from outside the platform: validated against the registered schema, then published.

Only ``arrakis.external.>`` subjects come in this way: a service's own domain subjects are published by that service
alone (consumers would refuse them from event-gateway anyway, see ``arrakis_common.provenance``). The authenticated
caller is the event's actor, stamped in the envelope; a payload may not name an actor of its own.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, status
from opentelemetry import propagate
from pydantic import BaseModel
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import Envelope, utcnow
from arrakis_common.provenance import ACTOR_FIELDS, INBOUND_SUBJECTS, is_inbound_subject

from ..schema_registry import SchemaRegistry, is_concrete_subject
from .schemas import REGISTRY_ERRORS, get_schema_registry, registered_schema

log = logging.getLogger(__name__)

router = APIRouter(prefix="/events", tags=["inbound events"])

SOURCE = "event-gateway"
INBOUND = " or ".join(INBOUND_SUBJECTS)


class Accepted(BaseModel):
    event_id: str
    subject: str
    type: str
    version: int


@router.post("/{subject}", status_code=status.HTTP_202_ACCEPTED,
             summary=f"Publish an event from outside ({INBOUND} subjects only), validated against its subject's "
                     "registered schema; the caller is its actor",
             responses={status.HTTP_403_FORBIDDEN: {"description": f"Not an inbound subject ({INBOUND})"},
                        status.HTTP_404_NOT_FOUND: {"description": "No schema is registered for the subject"},
                        **REGISTRY_ERRORS})
async def publish_inbound_event(subject: str, payload: dict[str, Any] = Body(..., description="The event payload"),
                                session: Session = db_session,
                                runtime: ServiceRuntime = Depends(get_runtime),
                                registry: SchemaRegistry = Depends(get_schema_registry),
                                principal: Principal = Depends(require_roles("editor"))) -> Accepted:
    if not is_concrete_subject(subject):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{
            "loc": ["path", "subject"], "path": "$", "type": "subject.concrete",
            "msg": "subject must be a concrete arrakis.<domain>.<entity>.<verb> subject without wildcards"}])
    if not is_inbound_subject(subject):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"only {INBOUND} subjects are accepted from outside; "
                                                       f"{subject} is published only by the service that owns it")
    claims = [name for name in ACTOR_FIELDS if name in payload]
    if claims:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{
            "loc": ["body", name], "path": f"$.{name}", "type": "actor.claimed",
            "msg": "an inbound event's actor is the authenticated caller; the payload may not name one"}
            for name in claims])
    record = await registered_schema(registry, runtime, subject)
    errors = record.errors(payload)
    if errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    envelope = Envelope(id=str(uuid.uuid4()), subject=subject, type=record.type, version=record.version,
                        occurred_at=utcnow(), source=SOURCE, trace=carrier, payload=payload,
                        actor=principal.subject)
    # Only adds the outbox row (no I/O on the event loop); get_session commits it before the 202 is sent.
    envelope = runtime.bus.publish_envelope(session, envelope)
    log.info("inbound event %s on %s accepted from %s", envelope.id, subject, principal.subject)
    return Accepted(event_id=envelope.id, subject=subject, type=record.type, version=record.version)
