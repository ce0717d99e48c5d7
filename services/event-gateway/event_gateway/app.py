"""The event-gateway FastAPI app: webhook subscriptions and delivery, dead letters, inbound events, schema listing."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, build_app
from arrakis_common.events import Envelope

from .api import deliveries, inbound, schemas, subscriptions
from .audience import FieldPath, follow_role_change, personal_paths
from .events import DeliveryDeadLettered
from .models import Inbox, Outbox
from .monitoring import install_dead_letter_gauge
from .schema_registry import InvalidRegistration, SchemaRegistry
from .settings import Settings
from .webhooks import enqueue_deliveries, run_delivery_worker

log = logging.getLogger(__name__)

WEBHOOK_DURABLE = "event-gateway-webhooks"
PERSONAL_LOOKUP_SECONDS = 10.0


def webhook_consumer(app: FastAPI) -> Any:
    """The ``arrakis.>`` handler: deliveries per subscription, personal fields looked up in the schema registry.

    Handlers run in a worker thread; the registry is read through the service's NATS connection on its event loop
    (a registry that cannot be read raises, so the event is redelivered rather than sent with personal fields)."""
    runtime: ServiceRuntime = app.state.runtime
    registry: SchemaRegistry = app.state.schema_registry

    def handle(session: Session, envelope: Envelope) -> int:
        def personal() -> list[FieldPath]:
            loop = app.state.event_loop
            if loop is None:
                raise RuntimeError("the event loop is not known yet")
            future = asyncio.run_coroutine_threadsafe(registry.lookup(runtime.bus, envelope.subject), loop)
            try:
                record = future.result(PERSONAL_LOOKUP_SECONDS)
            except InvalidRegistration as exc:  # no usable schema: nothing is marked personal in it
                log.warning("%s; delivering %s unredacted", exc, envelope.id)
                return []
            return personal_paths(record.schema) if record is not None else []

        follow_role_change(session, envelope)  # first: the announcement itself is then delivered as narrowed
        return enqueue_deliveries(session, envelope, personal)

    return handle


async def remember_event_loop(runtime: ServiceRuntime, app: FastAPI) -> None:
    app.state.event_loop = asyncio.get_running_loop()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connects nowhere until its lifespan starts."""
    settings = settings or Settings()
    app = build_app(
        settings,
        title="event-gateway",
        description="Delivers Arrakis events to webhook subscribers with HMAC-SHA256 signatures, retries and a "
                    "dead-letter list, and publishes inbound events validated against the schema registry.",
        outbox=Outbox,
        inbox=Inbox,
        migrations_dir=Path(__file__).parent / "migrations",
    )
    runtime = app.state.runtime
    app.state.schema_registry = SchemaRegistry(settings.schema_cache_seconds, settings.schema_lookup_timeout_seconds)
    runtime.bus.declare(DeliveryDeadLettered)
    app.state.event_loop = None
    runtime.jobs.append(lambda rt: remember_event_loop(rt, app))
    runtime.bus.subscribe("arrakis.>", durable=WEBHOOK_DURABLE, handler=webhook_consumer(app))
    runtime.jobs.append(run_delivery_worker)
    app.include_router(subscriptions.router)
    app.include_router(deliveries.router)
    app.include_router(inbound.router)
    app.include_router(schemas.router)
    install_dead_letter_gauge(app)
    return app
