"""The app factory every service builds on: lifespan (migrations, event bus, background work), health, metrics,
tracing, body-size limit and error handlers that never turn bad input into a 500."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .auth import JWKSVerifier, TokenVerifier
from .db import Database, migrate
from .events import EventBus, InboxMixin, OutboxMixin
from .idempotency import IdempotencyMiddleware, create_table, reserve
from .observability import Metrics, install_metrics, install_tracing, instrument_database
from .openapi_errors import install_error_responses
from .request_body import RequestBodyGuard
from .responses import SafeJSONResponse
from .settings import ServiceSettings

log = logging.getLogger(__name__)

BackgroundJob = Callable[["ServiceRuntime"], Awaitable[None]]


@dataclass
class ServiceRuntime:
    """What a running service holds: settings, database, bus and its background jobs."""

    settings: ServiceSettings
    bus: EventBus
    migrations_dir: Path | None
    db: Database | None = None
    started_at: float = field(default_factory=time.time)
    jobs: list[BackgroundJob] = field(default_factory=list)
    startup: list[Callable[[ServiceRuntime], None]] = field(default_factory=list)
    shutdown: list[Callable[[ServiceRuntime], None]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def database(self) -> Database:
        if self.db is None:
            raise RuntimeError("service not started")
        return self.db


async def get_runtime(request: Request) -> ServiceRuntime:
    """Dependency: the service runtime of the app serving this request (async: no thread-pool hop for a lookup)."""
    return request.app.state.runtime


def get_session(request: Request) -> Iterator[Session]:
    """Dependency: a database session committed when the endpoint returns without error.

    Use it as ``Depends(get_session, scope="function")`` so the commit happens before the response is sent:
    a 2xx then means the data is stored, and a conflict found at commit becomes a 409.
    """
    runtime: ServiceRuntime = request.app.state.runtime
    with runtime.database().session() as session:
        reserve(session, request.scope)
        yield session
    runtime.bus.wake()


def readiness(runtime: ServiceRuntime) -> JSONResponse:
    """Ready (200) while the database takes writes: events then wait in the outbox, so a broker that is down or
    frozen makes the service ``degraded``, not unavailable. 503 only when the database does not answer."""
    database = runtime.db is not None and runtime.db.ping()
    broker = runtime.bus.broker_state()
    nats_ok = broker in ("ok", "disabled")
    status = "unavailable" if not database else "ok" if nats_ok else "degraded"
    body = {"status": status, "checks": {"database": database, "nats": nats_ok}, "broker": broker,
            "service": runtime.settings.service_name, "version": runtime.settings.service_version}
    return JSONResponse(body, status_code=200 if database else 503)


def health_router() -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live", summary="Liveness: the process answers")
    def live(request: Request) -> dict[str, Any]:
        runtime: ServiceRuntime = request.app.state.runtime
        return {"status": "ok", "service": runtime.settings.service_name,
                "version": runtime.settings.service_version,
                "uptime_seconds": round(time.time() - runtime.started_at, 3)}

    @router.get("/ready", summary="Readiness: the database takes writes; the broker's state is reported beside it")
    def ready(request: Request) -> JSONResponse:
        return readiness(request.app.state.runtime)

    return router


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    outbox: type[OutboxMixin],
    inbox: type[InboxMixin],
    migrations_dir: Path | None = None,
    verifier: TokenVerifier | None = None,
) -> FastAPI:
    """A FastAPI app wired with the platform's runtime. Building it connects nowhere; the lifespan does."""
    bus = EventBus(settings, outbox, inbox)
    runtime = ServiceRuntime(settings=settings, bus=bus, migrations_dir=migrations_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.resolved_database_url()
        if migrations_dir is not None and settings.run_migrations:
            await asyncio.to_thread(migrate, url, migrations_dir)
        runtime.db = Database(url)
        instrument_database(runtime.db.engine, getattr(app.state, "tracer_provider", None), settings)
        runtime.started_at = time.time()
        for hook in runtime.startup:
            await asyncio.to_thread(hook, runtime)
        await bus.start(runtime.db)
        runtime.tasks = [asyncio.create_task(job(runtime)) for job in runtime.jobs]
        try:
            yield
        finally:
            for task in runtime.tasks:
                task.cancel()
            await asyncio.gather(*runtime.tasks, return_exceptions=True)
            await bus.stop()
            for hook in reversed(runtime.shutdown):
                await asyncio.to_thread(hook, runtime)
            runtime.db.dispose()

    app = FastAPI(title=title, description=description, version=settings.service_version, lifespan=lifespan,
                  default_response_class=SafeJSONResponse)
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.verifier = verifier or JWKSVerifier(settings.jwks_url, settings.jwks_cache_seconds)
    if migrations_dir is None:  # a service with migrations has the key table in its Alembic chain
        runtime.startup.append(lambda rt: create_table(rt.database().engine))
    app.add_middleware(IdempotencyMiddleware)  # inside the guard: it sees bounded, strict bodies only
    app.add_middleware(RequestBodyGuard, max_bytes=settings.max_body_bytes)
    install_error_responses(app)
    metrics = Metrics(settings.service_name)
    install_metrics(app, metrics)
    bus.dead_letter_hooks.append(lambda letter: metrics.dead_lettered.labels(letter.subject, letter.reason).inc())
    bus.provenance.install_metrics(app.state.metrics.registry)
    if not settings.docs_import:
        app.state.tracer_provider = install_tracing(app, settings)
    app.include_router(health_router())

    @app.exception_handler(IntegrityError)
    async def _conflict(_request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return JSONResponse({"detail": "conflicts with an existing record"}, status_code=409)

    return app


# ``session: Session = db_session`` in an endpoint: committed before the response is sent (see get_session).
db_session = Depends(get_session, scope="function")
