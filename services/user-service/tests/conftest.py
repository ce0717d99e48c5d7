"""Fixtures for user-service tests: an app factory (helpers to register and log in live in user_helpers.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from arrakis_common.testing import client_factory
from user_service.app import create_app  # noqa: E402
from user_service.settings import Settings  # noqa: E402


@pytest.fixture()
def make_client(tmp_path: Path) -> Callable[..., TestClient]:
    """``make_client(database_url, nats_url=None, **settings)`` -> a TestClient (use it in ``with``)."""
    return client_factory(create_app, Settings, tmp_path, events_enabled=False, nats_url="nats://127.0.0.1:1")
