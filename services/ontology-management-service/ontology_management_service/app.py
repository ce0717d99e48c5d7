"""The ontology-management-service FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arrakis_common.app import build_app

from .api import link_types, links, object_types, objects
from .events import PUBLISHED_EVENTS
from .models import Inbox, Outbox
from .settings import Settings

DESCRIPTION = ("Object types with typed property definitions (versioned on every change), link types with a "
               "cardinality, objects validated against their type, and links between objects. Every change is "
               "published as an `arrakis.ontology.*` event.")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connects nowhere until the lifespan starts."""
    settings = settings or Settings()
    app = build_app(settings, title="ontology-management-service", description=DESCRIPTION, outbox=Outbox,
                    inbox=Inbox, migrations_dir=Path(__file__).parent / "migrations")
    runtime = app.state.runtime
    runtime.bus.declare(*PUBLISHED_EVENTS)
    app.include_router(object_types.router)
    app.include_router(link_types.router)
    app.include_router(objects.router)
    app.include_router(links.router)
    return app
