"""The embedding-service FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arrakis_common.app import build_app

from .api import collections, ontology_objects
from .events import ObjectIndexed
from .models import Inbox, Outbox
from .ontology_index import DURABLE, OBJECT_EVENTS, object_event_handler
from .settings import Settings
from .vector_store import MatrixCache

DESCRIPTION = ("Collections of vectors with upsert and cosine k-nearest-neighbour search. Text is embedded with a "
               "deterministic hashing embedder (or MiniLM when installed). Keeps the `ontology-objects` collection "
               "in step with `arrakis.ontology.object.*` events.")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connects nowhere until the lifespan starts."""
    settings = settings or Settings()
    app = build_app(settings, title="embedding-service", description=DESCRIPTION, outbox=Outbox, inbox=Inbox,
                    migrations_dir=Path(__file__).parent / "migrations")
    app.state.matrix_cache = MatrixCache()
    runtime = app.state.runtime
    runtime.bus.declare(ObjectIndexed)
    runtime.bus.subscribe(OBJECT_EVENTS, durable=DURABLE, handler=object_event_handler(runtime))
    # The reindex route is more specific than /collections/{name}/..., so it goes first.
    app.include_router(ontology_objects.router)
    app.include_router(collections.router)
    return app
