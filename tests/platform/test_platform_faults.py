"""Fault test: NATS goes away while objects are being created; nothing is lost and nothing is doubled."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from arrakis_common.testing import (
    SERVER_FIXTURES,
    NatsServer,
    ServiceProcess,
    free_port,
    http_ready,
    platform_env,
    wait_until,
)

# Its own nats-server, stopped and started again mid-test, under services run as processes.
pytestmark = pytest.mark.real_server(SERVER_FIXTURES["nats_server"])

SERVICES = ["user-service", "ontology-management-service", "audit-service"]


def test_nats_outage_during_writes_reaches_audit_exactly_once(tmp_path: Path, sign_in):
    nats = NatsServer(store_dir=tmp_path / "nats")
    nats.start()
    ports = {name: free_port() for name in SERVICES}
    env = platform_env(tmp_path, nats.url, ports)
    processes = {name: ServiceProcess(name, env, tmp_path / f"{name}.log", port=ports[name]) for name in SERVICES}
    for process in processes.values():
        process.start()
    try:
        wait_until(lambda: all(http_ready(p.url) for p in processes.values()), timeout=60)
        with httpx.Client(base_url=processes["user-service"].url, timeout=30) as users:
            token = sign_in(users)
        headers = {"Authorization": f"Bearer {token}"}
        ontology = httpx.Client(base_url=processes["ontology-management-service"].url, headers=headers, timeout=30)
        audit = httpx.Client(base_url=processes["audit-service"].url, headers=headers, timeout=30)
        assert ontology.post("/object-types", json={
            "api_name": "Harvester", "display_name": "Harvester", "title_property": "name",
            "properties": [{"name": "name", "type": "string", "required": True}]}).status_code == 201

        created: list[str] = []

        def create(count: int) -> None:
            for _ in range(count):
                response = ontology.post("/objects", json={"object_type": "Harvester",
                                                           "properties": {"name": f"harvester-{len(created)}"}})
                assert response.status_code == 201, response.text
                created.append(response.json()["id"])

        create(10)
        nats.stop()
        # Still ready (writes go into the outbox), with the broker reported as degraded.
        wait_until(lambda: ontology.get("/health/ready").json()["broker"] == "degraded")
        assert ontology.get("/health/ready").status_code == 200
        create(10)  # requests still succeed: the events wait in the outbox
        nats.start()
        create(10)

        def audited() -> list[str]:
            body = audit.get("/audit/events", params={"subject": "arrakis.ontology.object.created",
                                                      "limit": 500}).json()
            return [item["payload"]["object_id"] for item in body["items"]]

        wait_until(lambda: len(audited()) >= len(created), timeout=60)
        seen = audited()
        assert sorted(seen) == sorted(created)  # every event, and each exactly once
        verify = audit.get("/audit/verify").json()
        assert verify["ok"] is True, verify
    finally:
        for process in processes.values():
            process.stop()
        nats.stop()
