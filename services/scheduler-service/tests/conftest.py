"""Fixtures of scheduler-service's tests: an app factory wired to the real test servers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scheduler_service.app import create_app
from scheduler_service.settings import Settings


@pytest.fixture()
def make_client(tmp_path: Path, token_issuer) -> Callable[..., TestClient]:  # noqa: ANN001
    """``make_client(database_url, nats_url=None, **settings)``: a TestClient (use it in ``with``)."""

    def make(database_url: str, nats_url: str | None = None, **overrides: object) -> TestClient:
        events = {"nats_url": nats_url} if nats_url else {"events_enabled": False}
        settings = Settings(database_url=database_url, data_dir=tmp_path, outbox_poll_seconds=0.05,
                            scheduler_tick_seconds=0.05, **events, **overrides)
        app = create_app(settings)
        app.state.verifier = token_issuer
        return TestClient(app)

    return make
