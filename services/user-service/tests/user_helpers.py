"""Helpers for user-service tests: register, log in, build auth headers."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


def register(client: TestClient, email: str, password: str = PASSWORD, name: str = "Someone") -> dict[str, Any]:
    response = client.post("/auth/register", json={"email": email, "password": password, "display_name": name})
    assert response.status_code == 201, response.text
    return response.json()


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def bootstrap_token(client: TestClient) -> str:
    """What the operator reads: the one-time token user-service wrote into its data folder on start."""
    return client.app.state.bootstrap.path.read_text().strip()


def make_admin(client: TestClient, email: str, name: str = "Admin") -> dict[str, Any]:
    """Register ``email`` and make it the first admin with the bootstrap token; its tokens carry ``admin``."""
    register(client, email, name=name)
    response = client.post("/auth/bootstrap", json={"token": bootstrap_token(client)},
                           headers=bearer(login(client, email)))
    assert response.status_code == 200, response.text
    return response.json()
