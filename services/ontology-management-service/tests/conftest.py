from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ontology_management_service.app import create_app
from ontology_management_service.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture()
def make_client(token_issuer, tmp_path: Path) -> Callable[..., TestClient]:
    """A TestClient (use it in ``with``) over the real app, accepting the test tokens."""

    def make(database_url: str, **overrides: Any) -> TestClient:
        settings = Settings(database_url=database_url, data_dir=tmp_path, outbox_poll_seconds=0.05, **overrides)
        app = create_app(settings)
        app.state.verifier = token_issuer
        return TestClient(app)

    return make


@pytest.fixture()
def editor(auth_header) -> dict[str, str]:
    return auth_header("ed", "editor", "viewer")


@pytest.fixture()
def viewer(auth_header) -> dict[str, str]:
    return auth_header("vi", "viewer")
