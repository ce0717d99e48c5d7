from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrakis_common.testing import client_factory
from ontology_management_service.app import create_app
from ontology_management_service.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture()
def make_client(tmp_path: Path, token_issuer) -> Callable[..., TestClient]:
    """``make_client(database_url, nats_url=None, **settings)`` -> a TestClient (use it in ``with``)."""
    return client_factory(create_app, Settings, tmp_path, token_issuer)


@pytest.fixture()
def editor(auth_header) -> dict[str, str]:
    return auth_header("ed", "editor", "ontology-editor", "viewer")


@pytest.fixture()
def viewer(auth_header) -> dict[str, str]:
    return auth_header("vi", "viewer")
