"""Fixtures for user-service tests: an app factory (helpers to register and log in live in user_helpers.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from user_service.app import create_app  # noqa: E402
from user_service.settings import Settings  # noqa: E402


@pytest.fixture()
def make_client(tmp_path: Path) -> Callable[..., TestClient]:
    """``make_client(database_url, **settings)`` -> a TestClient (use it in ``with`` so the lifespan runs)."""

    def make(database_url: str, **overrides: Any) -> TestClient:
        values: dict[str, Any] = {"data_dir": tmp_path, "events_enabled": False, "outbox_poll_seconds": 0.05,
                                  "nats_url": "nats://127.0.0.1:1"}
        values.update(overrides)
        return TestClient(create_app(Settings(database_url=database_url, **values)))

    return make
