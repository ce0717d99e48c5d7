"""Fixtures for audit-service tests (helpers to build and publish envelopes live in audit_helpers.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from arrakis_common.testing import client_factory
from audit_service.app import create_app  # noqa: E402
from audit_service.settings import Settings  # noqa: E402


@pytest.fixture()
def make_client(tmp_path: Path, token_issuer) -> Callable[..., TestClient]:
    """``make_client(database_url, nats_url=None, **settings)`` -> a TestClient (use it in ``with``)."""
    return client_factory(create_app, Settings, tmp_path, token_issuer, events_enabled=False, nats_url="nats://127.0.0.1:1")


@pytest.fixture()
def auditor(auth_header) -> dict[str, str]:
    return auth_header("auditor-1", "auditor")
