"""Fixtures of scheduler-service's tests: an app factory wired to the real test servers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrakis_common.testing import client_factory
from scheduler_service.app import create_app
from scheduler_service.settings import Settings


@pytest.fixture()
def make_client(tmp_path: Path, token_issuer) -> Callable[..., TestClient]:
    """``make_client(database_url, nats_url=None, **settings)`` -> a TestClient (use it in ``with``)."""
    return client_factory(create_app, Settings, tmp_path, token_issuer, events_enabled=False,
                          scheduler_tick_seconds=0.05)
