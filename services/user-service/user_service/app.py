"""user-service: users, passwords, tokens, roles and the JWKS."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arrakis_common.app import build_app

from .api import auth, keys, users
from .bootstrap import Bootstrap
from .events import LoginFailed, UserCreated, UserUpdated
from .models import Inbox, Outbox
from .security_store import instrument_security_store, make_security_store
from .settings import Settings
from .signing import LazyIssuer

DESCRIPTION = ("Registers users (argon2 password hashes), issues RS256 access and refresh tokens, rotates and revokes "
               "refresh tokens, rate-limits failed logins, manages roles and publishes the JWKS.")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    issuer = LazyIssuer(settings)
    app = build_app(settings, title="user-service", description=DESCRIPTION, outbox=Outbox, inbox=Inbox,
                    migrations_dir=Path(__file__).parent / "migrations", verifier=issuer)
    runtime = app.state.runtime
    # The signing key is read (or created) on start, never while building the app.
    runtime.startup.append(lambda _runtime: issuer.load())
    bootstrap = app.state.bootstrap = Bootstrap(settings)

    def prepare_bootstrap(runtime_: object) -> None:
        with runtime.database().session() as session:
            bootstrap.prepare(session)

    runtime.startup.append(prepare_bootstrap)
    app.state.issuer = issuer
    store = app.state.security_store = make_security_store(settings.redis_url, runtime.database)
    instrument_security_store(store, getattr(app.state, "tracer_provider", None), settings.otlp_endpoint)
    runtime.shutdown.append(lambda _runtime: store.close())
    runtime.bus.declare(UserCreated, UserUpdated, LoginFailed)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(keys.router)
    return app
