"""Fixtures for audit-service tests (helpers to build and publish envelopes live in audit_helpers.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from audit_service.app import create_app  # noqa: E402
from audit_service.settings import Settings  # noqa: E402


@pytest.fixture()
def make_client(tmp_path: Path, token_issuer) -> Callable[..., TestClient]:
    """``make_client(database_url, **settings)`` -> a TestClient accepting ``auth_header`` tokens."""

    def make(database_url: str, **overrides: Any) -> TestClient:
        values: dict[str, Any] = {"data_dir": tmp_path, "events_enabled": False, "outbox_poll_seconds": 0.05,
                                  "nats_url": "nats://127.0.0.1:1"}
        values.update(overrides)
        app = create_app(Settings(database_url=database_url, **values))
        app.state.verifier = token_issuer
        return TestClient(app)

    return make


@pytest.fixture()
def auditor(auth_header) -> dict[str, str]:
    return auth_header("auditor-1", "auditor")
