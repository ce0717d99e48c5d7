from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from embedding_service.app import create_app
from embedding_service.settings import Settings


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
