"""Fixtures of data-kernel-service's tests: an app factory wired to the real test servers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrakis_common.testing import client_factory
from data_kernel_service.app import create_app
from data_kernel_service.settings import Settings


@pytest.fixture()
def make_client(tmp_path: Path, token_issuer) -> Callable[..., TestClient]:
    """``make_client(database_url, nats_url=None, **settings)`` -> a TestClient (use it in ``with``)."""
    return client_factory(create_app, Settings, tmp_path, token_issuer, events_enabled=False)


SALES_COLUMNS = [
    {"name": "region", "type": "string", "nullable": False},
    {"name": "product", "type": "string"},
    {"name": "price", "type": "number", "nullable": False},
    {"name": "quantity", "type": "integer", "nullable": False},
    {"name": "shipped", "type": "boolean"},
    {"name": "sold_at", "type": "datetime"},
]
SALES_ROWS = [
    {"region": "north", "product": "spice", "price": 10.0, "quantity": 3, "shipped": True,
     "sold_at": "2024-01-01T10:00:00Z"},
    {"region": "south", "product": "water", "price": 2.5, "quantity": 10, "shipped": False,
     "sold_at": "2024-01-02T10:00:00+00:00"},
    {"region": "north", "product": "stillsuit", "price": 100.0, "quantity": 1, "shipped": True, "sold_at": None},
    {"region": "east", "product": None, "price": 4.0, "quantity": 5, "shipped": None,
     "sold_at": "2024-01-03T12:30:00"},
]


@pytest.fixture()
def sales() -> Callable[..., str]:
    """``sales(client, headers)``: creates the ``sales`` dataset with four rows; returns its id."""

    def make(client: TestClient, headers: dict[str, str], name: str = "sales") -> str:
        created = client.post("/datasets", json={"name": name, "columns": SALES_COLUMNS}, headers=headers)
        assert created.status_code == 201, created.text
        dataset_id = created.json()["id"]
        ingested = client.post(f"/datasets/{dataset_id}/records", json=SALES_ROWS, headers=headers).json()
        assert ingested["accepted"] == 4, ingested
        return dataset_id

    return make
