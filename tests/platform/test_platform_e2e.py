"""The whole platform started as `make up` starts it, walked through the way a user would."""

from __future__ import annotations

import json

import pytest

from arrakis_common.testing import PLATFORM_SERVER, wait_until
from event_gateway.signing import verify_signature

pytestmark = pytest.mark.real_server(PLATFORM_SERVER)

SERVICES = ["user-service", "ontology-management-service", "audit-service", "data-kernel-service",
            "embedding-service", "scheduler-service", "event-gateway"]


def test_make_up_starts_every_service_with_its_routes(platform):
    print(f"platform ready in {platform.ready_seconds:.1f}s")
    expected = {
        "user-service": ["/auth/register", "/auth/login", "/users/me", "/users", "/.well-known/jwks.json"],
        "ontology-management-service": ["/object-types", "/link-types", "/objects", "/links"],
        "audit-service": ["/audit/events", "/audit/verify", "/audit/export"],
        "data-kernel-service": ["/datasets", "/transforms", "/transforms/{transform_id}/run"],
        "embedding-service": ["/collections", "/collections/{name}/search"],
        "scheduler-service": ["/jobs", "/jobs/{job_id}/pause", "/jobs/{job_id}/resume", "/jobs/{job_id}/runs"],
        "event-gateway": ["/subscriptions", "/dead-letters", "/events/{subject}"],
    }
    for service in SERVICES:
        with platform.client(service) as client:
            assert client.get("/health/ready").json()["checks"] == {"database": True, "nats": True}
            paths = client.get("/openapi.json").json()["paths"]
            assert set(expected[service]) <= set(paths), (service, sorted(paths))
            assert "http_requests_total" in client.get("/metrics").text


def test_walkthrough_across_all_seven_services(platform, webhook_receiver, sign_in):
    with platform.client("user-service") as users:
        token = sign_in(users)
        assert "admin" in users.get("/users/me", headers={"Authorization": f"Bearer {token}"}).json()["roles"]

    gateway = platform.client("event-gateway", token)
    subscription = gateway.post("/subscriptions", json={"url": webhook_receiver.url,
                                                        "subject_filter": "arrakis.ontology.object.*"})
    assert subscription.status_code == 201, subscription.text
    secret = subscription.json()["secret"]

    ontology = platform.client("ontology-management-service", token)
    object_type = ontology.post("/object-types", json={
        "api_name": "Creature", "display_name": "Creature", "title_property": "name",
        "properties": [{"name": "name", "type": "string", "required": True}, {"name": "habitat", "type": "string"}]})
    assert object_type.status_code == 201, object_type.text
    created = ontology.post("/objects", json={"object_type": "Creature", "properties": {
        "name": "Shai-Hulud", "habitat": "giant sandworm beneath the deep desert dunes"}})
    assert created.status_code == 201, created.text
    object_id = created.json()["id"]

    # audit-service holds both events and its hash chain verifies.
    audit = platform.client("audit-service", token)

    def audited() -> set[str]:
        items = audit.get("/audit/events", params={"subject": "arrakis.ontology.>", "limit": 100}).json()["items"]
        return {item["subject"] for item in items}

    wait_until(lambda: {"arrakis.ontology.object_type.created", "arrakis.ontology.object.created"} <= audited())
    verify = audit.get("/audit/verify").json()
    assert verify["ok"] is True and verify["count"] >= 3, verify  # user created + type + object at least

    # embedding-service indexed the object from its event and finds it by text.
    embedding = platform.client("embedding-service", token)

    def top_hit() -> str | None:
        response = embedding.post("/collections/ontology-objects/search", json={"text": "sandworm desert", "k": 3})
        hits = response.json().get("hits", []) if response.status_code == 200 else []
        return hits[0]["id"] if hits else None

    assert wait_until(top_hit) == object_id

    # A scheduler job fires and data-kernel runs the transform it names.
    kernel = platform.client("data-kernel-service", token)
    dataset = kernel.post("/datasets", json={"name": "harvests", "columns": [
        {"name": "region", "type": "string"}, {"name": "tons", "type": "number"}]})
    assert dataset.status_code == 201, dataset.text
    ingest = kernel.post(f"/datasets/{dataset.json()['id']}/records", json=[
        {"region": "north", "tons": 3}, {"region": "south", "tons": 5}, {"region": "north", "tons": 1}])
    assert ingest.status_code == 200 and ingest.json()["accepted"] == 3, ingest.text
    transform = kernel.post("/transforms", json={
        "name": "by_region", "source_dataset_id": dataset.json()["id"], "target_dataset": "harvest_by_region",
        "steps": [{"type": "aggregate", "group_by": ["region"],
                   "aggregations": [{"function": "sum", "column": "tons", "name": "tons"}]}]})
    assert transform.status_code == 201, transform.text
    transform_id = transform.json()["id"]
    scheduler = platform.client("scheduler-service", token)
    job = scheduler.post("/jobs", json={"name": "harvest-rollup", "cron": "*/2 * * * * *",
                                        "target_subject": "arrakis.data.transform.requested",
                                        "payload": {"transform_id": transform_id}})
    assert job.status_code == 201, job.text

    def completed_run() -> dict | None:
        runs = kernel.get(f"/transforms/{transform_id}/runs").json()["items"]
        return next((run for run in runs if run["status"] == "succeeded"), None)

    run = wait_until(completed_run, timeout=30)
    assert scheduler.post(f"/jobs/{job.json()['id']}/pause").status_code == 200
    assert scheduler.get(f"/jobs/{job.json()['id']}/runs").json()["total"] >= 1
    output = kernel.get(f"/datasets/{run['output_dataset_id']}/records").json()["items"]
    totals = {row["data"]["region"]: row["data"]["tons"] for row in output}
    assert totals == {"north": 4, "south": 5}

    # event-gateway delivered the object event to the webhook receiver, signed with the subscription's secret.
    def delivered():
        return next((r for r in webhook_receiver.received
                     if r.headers.get("x-arrakis-subject") == "arrakis.ontology.object.created"), None)

    hook = wait_until(delivered)
    assert json.loads(hook.body)["payload"]["object_id"] == object_id
    assert verify_signature(secret, hook.headers["x-arrakis-timestamp"], hook.body,
                            hook.headers["x-arrakis-signature"])
    assert not any(r.headers.get("x-arrakis-subject", "").startswith("arrakis.data.") for r in
                   webhook_receiver.received)
