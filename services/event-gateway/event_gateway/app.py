"""The event-gateway FastAPI app: webhook subscriptions and delivery, dead letters, inbound events, schema listing."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arrakis_common.app import build_app

from .api import deliveries, inbound, schemas, subscriptions
from .events import DeliveryDeadLettered
from .models import Inbox, Outbox
from .monitoring import install_dead_letter_gauge
from .schema_registry import SchemaRegistry
from .settings import Settings
from .webhooks import enqueue_deliveries, run_delivery_worker

WEBHOOK_DURABLE = "event-gateway-webhooks"


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
    runtime.bus.subscribe("arrakis.>", durable=WEBHOOK_DURABLE, handler=enqueue_deliveries)
    runtime.jobs.append(run_delivery_worker)
    app.include_router(subscriptions.router)
    app.include_router(deliveries.router)
    app.include_router(inbound.router)
    app.include_router(schemas.router)
    install_dead_letter_gauge(app)
    return app
