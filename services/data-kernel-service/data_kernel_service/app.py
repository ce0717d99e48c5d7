"""data-kernel-service app: datasets and transforms APIs, and the consumer of transform requests."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arrakis_common.app import ServiceRuntime, build_app

from .api import datasets, transforms
from .events import DatasetCreated, DatasetUpdated, TransformCompleted, TransformFailed, TransformRequested
from .models import Inbox, Outbox
from .runner import transform_requested_handler
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The data-kernel-service FastAPI app; building it connects nowhere."""
    settings = settings or Settings()
    app = build_app(settings, title="data-kernel-service",
                    description="Datasets with a declared schema, JSON/CSV ingest with per-row validation errors, "
                                "and declarative transforms (filter, select, rename, derive, aggregate) producing "
                                "derived datasets, run on demand or when the scheduler requests it.",
                    outbox=Outbox, inbox=Inbox, migrations_dir=Path(__file__).parent / "migrations")
    runtime: ServiceRuntime = app.state.runtime
    # TransformRequested is consumed here; declaring it registers its schema, as this service owns the contract.
    runtime.bus.declare(DatasetCreated, DatasetUpdated, TransformCompleted, TransformFailed, TransformRequested)
    runtime.bus.subscribe(TransformRequested.subject, durable="data-kernel-service-transforms",
                          handler=transform_requested_handler(runtime.bus))
    app.include_router(datasets.router)
    app.include_router(transforms.router)
    return app
