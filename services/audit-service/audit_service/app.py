"""audit-service: every platform event in an append-only, hash-chained log."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arrakis_common.app import build_app

from .api import audit
from .chain import append_event
from .models import Inbox, Outbox
from .monitoring import install_chain_metrics
from .settings import Settings

DESCRIPTION = ("Consumes every arrakis.> event into an append-only, SHA-256 hash-chained log; queries by actor, "
               "subject and time; proves the chain with /audit/verify; exports NDJSON. Reads need role auditor.")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_app(settings, title="audit-service", description=DESCRIPTION, outbox=Outbox, inbox=Inbox,
                    migrations_dir=Path(__file__).parent / "migrations")
    runtime = app.state.runtime
    runtime.bus.subscribe(settings.audit_subjects, durable="audit-service-log", handler=append_event)
    app.include_router(audit.router)
    install_chain_metrics(app, settings.audit_verify_interval_seconds, settings.audit_batch_size)
    return app
