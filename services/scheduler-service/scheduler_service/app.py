"""scheduler-service app: jobs API and the background loop that fires due jobs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI

from arrakis_common.app import ServiceRuntime, build_app

from .api import jobs
from .events import JobFired
from .firing import fire_due_jobs
from .models import Inbox, Outbox
from .settings import Settings

log = logging.getLogger(__name__)


async def scheduler_loop(runtime: ServiceRuntime) -> None:
    """Every ``scheduler_tick_seconds``: fire the due jobs (blocking DB work runs in a thread)."""
    settings: Settings = runtime.settings  # type: ignore[assignment]
    while True:
        try:
            fired = await asyncio.to_thread(fire_due_jobs, runtime.database(), runtime.bus,
                                            limit=settings.scheduler_batch_size)
            if fired:
                runtime.bus.wake()
        except Exception:  # a failed tick (database briefly away) must not stop the scheduler
            log.exception("scheduler tick failed")
        await asyncio.sleep(settings.scheduler_tick_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The scheduler-service FastAPI app; building it connects nowhere."""
    settings = settings or Settings()
    app = build_app(settings, title="scheduler-service",
                    description="Cron jobs that publish a target event with a payload when due (UTC); pause/resume, "
                                "manual trigger, run history; at-least-once with an idempotency key per run.",
                    outbox=Outbox, inbox=Inbox, migrations_dir=Path(__file__).parent / "migrations")
    runtime: ServiceRuntime = app.state.runtime
    runtime.bus.declare(JobFired)
    if settings.scheduler_loop_enabled:
        runtime.jobs.append(scheduler_loop)
    app.include_router(jobs.router)
    return app
