"""The signing key: untouched while the app is built, created or read on start, kept across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from user_helpers import login, register

from arrakis_common.auth import generate_private_key_pem
from user_service.app import create_app
from user_service.settings import Settings


def test_docs_import_builds_without_touching_disk(tmp_path: Path):
    data_dir = tmp_path / "data"
    app = create_app(Settings(docs_import=True, data_dir=data_dir))
    schema = app.openapi()
    assert {"/auth/register", "/auth/login", "/auth/refresh", "/auth/logout", "/users", "/users/me",
            "/users/{user_id}/roles", "/.well-known/jwks.json"} <= set(schema["paths"])
    assert schema["paths"]["/auth/login"]["post"]["summary"]
    assert not data_dir.exists()


def test_key_is_created_on_start_and_reused(make_client, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'users.db'}"
    client = make_client(url)
    key_file = tmp_path / "user-service-jwt.pem"
    assert not key_file.exists()
    with client:
        assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
        register(client, "kept@example.com")
        tokens = login(client, "kept@example.com")
        kid = client.get("/.well-known/jwks.json").json()["keys"][0]["kid"]
    with make_client(url) as again:
        assert again.get("/.well-known/jwks.json").json()["keys"][0]["kid"] == kid
        assert again.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 200


def test_configured_key_path_is_used(make_client, tmp_path: Path):
    key = tmp_path / "configured.pem"
    key.write_bytes(generate_private_key_pem())
    with make_client(f"sqlite:///{tmp_path / 'users.db'}", jwt_private_key_path=key) as client:
        assert client.get("/.well-known/jwks.json").status_code == 200
        assert client.app.state.issuer.issuer.kid == client.get("/.well-known/jwks.json").json()["keys"][0]["kid"]
    assert not (tmp_path / "user-service-jwt.pem").exists()


def test_tokens_are_refused_before_start(tmp_path: Path):
    app = create_app(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'u.db'}"))
    with pytest.raises(RuntimeError, match="not started"):
        app.state.verifier.verify("anything")
