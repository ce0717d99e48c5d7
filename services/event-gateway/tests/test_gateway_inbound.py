"""Inbound events: schema lookup in the real NATS KV registry, JSON Schema validation, publication via the outbox."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from arrakis_common.events import Event, schema_bucket
from arrakis_common.testing import NatsServer, wait_until
from event_gateway.events import DeliveryDeadLettered
from event_gateway.models import Outbox
from event_gateway.schema_registry import SchemaRegistry

from .conftest import _with_js, run


class OrderLine(BaseModel):
    sku: str = Field(min_length=1)
    qty: int = Field(ge=1)


class OrderPlaced(Event):
    subject: ClassVar[str] = "arrakis.external.gwtest.order.placed"
    version: ClassVar[int] = 3
    order_id: str
    lines: list[OrderLine]
    note: str | None = None


VALID = {"order_id": "o-17", "lines": [{"sku": "spice", "qty": 2}], "note": "rush"}


@pytest.fixture()
def client(gateway, database_url, nats_server, register_schema):
    register_schema(OrderPlaced)
    with gateway(database_url, nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        yield client


def unpublished(client) -> int:
    with client.app.state.runtime.database().session() as session:
        return session.execute(select(func.count()).select_from(Outbox).where(Outbox.published_at.is_(None))
                               ).scalar_one()


def test_valid_payload_is_accepted_and_published(client, auth_header, stream_messages):
    response = client.post(f"/events/{OrderPlaced.subject}", json=VALID, headers=auth_header("ext", "editor"))
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["subject"] == OrderPlaced.subject and accepted["type"] == "OrderPlaced"
    assert accepted["version"] == 3
    wait_until(lambda: unpublished(client) == 0)
    on_stream = wait_until(lambda: [m for m in stream_messages(OrderPlaced.subject)
                                    if m["id"] == accepted["event_id"]])
    envelope = on_stream[0]
    assert envelope["source"] == "event-gateway" and envelope["type"] == "OrderPlaced" and envelope["version"] == 3
    assert envelope["subject"] == OrderPlaced.subject and envelope["payload"] == VALID


def test_invalid_payload_reports_every_error_with_its_path(client, auth_header):
    bad = {"order_id": 5, "lines": [{"sku": "spice", "qty": 0}, {"qty": 1}]}
    response = client.post(f"/events/{OrderPlaced.subject}", json=bad, headers=auth_header("ext", "editor"))
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert {(e["path"], e["type"]) for e in errors} == {
        ("$.order_id", "schema.type"), ("$.lines[0].qty", "schema.minimum"), ("$.lines[1]", "schema.required")}
    assert all(e["loc"][0] == "body" and e["msg"] for e in errors)
    assert next(e for e in errors if e["path"] == "$.lines[0].qty")["loc"] == ["body", "lines", 0, "qty"]
    assert unpublished(client) == 0


def test_unknown_subject_is_404(client, auth_header, subject_root):
    unknown = subject_root.replace("arrakis.", "arrakis.external.", 1)
    response = client.post(f"/events/{unknown}.never.declared", json={}, headers=auth_header("ext", "editor"))
    assert response.status_code == 404 and "no event schema" in response.json()["detail"]


def test_wildcard_or_foreign_subject_is_422(client, auth_header):
    for subject in ["arrakis.gwtest.order.*", "arrakis.>", "arrakis.*.order.placed", "other.order.placed", "arrakis",
                    "arrakis..placed"]:
        response = client.post(f"/events/{subject}", json=VALID, headers=auth_header("ext", "editor"))
        assert response.status_code == 422, subject
        assert response.json()["detail"][0]["loc"] == ["path", "subject"]


def test_body_must_be_an_object_and_caller_an_editor(client, auth_header):
    url = f"/events/{OrderPlaced.subject}"
    assert client.post(url, json=[VALID], headers=auth_header("ext", "editor")).status_code == 422
    assert client.post(url, json=VALID).status_code == 401
    assert client.post(url, json=VALID, headers=auth_header("val", "viewer")).status_code == 403
    assert client.post(url, json=VALID, headers=auth_header("root", "admin")).status_code == 202


def test_schemas_are_listed_and_readable(client, auth_header):
    viewer = auth_header("val", "viewer")
    listed = client.get("/schemas", params={"limit": 500}, headers=viewer)
    assert listed.status_code == 200, listed.text
    mine = [s for s in listed.json()["items"] if s["subject"] == OrderPlaced.subject]
    assert mine == [{"subject": OrderPlaced.subject, "type": "OrderPlaced", "version": 3, "source": "test-producer",
                     "inbound": True, "publishers": ["event-gateway"]}]
    gateway_own = [s for s in listed.json()["items"] if s["subject"] == "arrakis.gateway.delivery.dead_lettered"]
    assert gateway_own and gateway_own[0]["source"] == "event-gateway"
    assert (gateway_own[0]["inbound"], gateway_own[0]["publishers"]) == (False, ["event-gateway"])
    matched = client.get("/schemas", params={"match": "arrakis.external.gwtest.>"}, headers=viewer).json()
    assert [s["subject"] for s in matched["items"]] == [OrderPlaced.subject] and matched["total"] == 1
    detail = client.get(f"/schemas/{OrderPlaced.subject}", headers=viewer).json()
    assert detail["schema"] == OrderPlaced.model_json_schema() and detail["version"] == 3
    assert detail["inbound"] is True and detail["publishers"] == ["event-gateway"]
    assert client.get("/schemas/arrakis.gwtest.nothing.here", headers=viewer).status_code == 404
    assert client.get("/schemas").status_code == 401


async def put_record(js: Any, event: type[Event]) -> None:
    kv = await schema_bucket(js)
    await kv.put(event.subject, json.dumps({"subject": event.subject, "version": event.version, "type": event.__name__,
                                            "source": "test-producer", "schema": event.model_json_schema()}).encode())


def test_registry_down_is_503_with_a_clear_message(gateway, tmp_path, token_issuer, auth_header):
    server = NatsServer(store_dir=tmp_path / "js")
    server.start()
    try:
        with gateway(f"sqlite:///{(tmp_path / 'gw.db').as_posix()}", server.url) as client:
            wait_until(lambda: client.get("/health/ready").status_code == 200)
            editor = auth_header("ext", "editor")
            # Reading a schema once puts it in the short cache.
            run(_with_js(server.url, lambda js: put_record(js, OrderPlaced)))
            cached = f"/events/{OrderPlaced.subject}"
            assert client.post(cached, json=VALID, headers=editor).status_code == 202
            server.stop()
            wait_until(lambda: client.get("/health/ready").json()["broker"] == "degraded")
            assert client.post(cached, json=VALID, headers=editor).status_code == 202
            assert unpublished(client) >= 1
            response = client.post("/events/arrakis.external.gwtest.never.read", json=VALID, headers=editor)
            assert response.status_code == 503 and "NATS is unreachable" in response.json()["detail"]
            assert client.get("/schemas", headers=editor).status_code == 503
            assert client.get("/deliveries", headers=editor).status_code == 200
    finally:
        server.stop()


def test_listing_sees_every_record_while_other_services_register(nats_server, register_schema, subject_root):
    """Services declare their schemas while the listing runs; a record put before it must be listed exactly once."""
    register_schema(OrderPlaced)
    registry = SchemaRegistry(cache_seconds=0, timeout_seconds=30)

    async def listing_during_puts(js: Any) -> list[list[str]]:
        kv = await schema_bucket(js)
        bus = SimpleNamespace(connected=True, js=js)

        async def put_many() -> None:
            for n in range(300):
                subject = f"{subject_root}.burst.e{n}"
                await kv.put(subject, json.dumps({"subject": subject}).encode())

        writer = asyncio.create_task(put_many())
        seen = []
        while not writer.done():
            seen.append([r.get("subject") for r in await registry.records(bus)])
        await writer
        return seen

    listings = run(_with_js(nats_server.url, listing_during_puts))
    assert listings
    for subjects in listings:
        assert subjects.count(OrderPlaced.subject) == 1
        assert len(subjects) == len(set(subjects))


@pytest.mark.parametrize("subject", [DeliveryDeadLettered.subject, "arrakis.user.user.updated",
                                     "arrakis.ontology.object.created", "arrakis.externalish.order.placed"])
def test_a_domain_subject_is_never_accepted_from_outside(client, auth_header, subject):
    # Even the gateway's own (registered) subject and even for an admin: domain events come from their service.
    response = client.post(f"/events/{subject}", json={"user_id": "u-1"}, headers=auth_header("root", "admin"))
    assert response.status_code == 403, response.text
    assert "arrakis.external.>" in response.json()["detail"]
    assert unpublished(client) == 0


@pytest.mark.parametrize("field", ["requested_by", "actor", "user_id", "created_by", "updated_by"])
def test_a_payload_cannot_claim_an_actor(client, auth_header, field):
    response = client.post(f"/events/{OrderPlaced.subject}", json={**VALID, field: "the-admin"},
                           headers=auth_header("ext", "editor"))
    assert response.status_code == 422, response.text
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["body", field], "actor.claimed")]
    assert unpublished(client) == 0


def test_an_inbound_event_carries_its_caller_as_actor_and_the_gateways_signature(client, auth_header, stream_messages,
                                                                               tmp_path):
    from arrakis_common.provenance import KeyDirectory, verifies

    accepted = client.post(f"/events/{OrderPlaced.subject}", json=VALID, headers=auth_header("ext-7", "editor"))
    assert accepted.status_code == 202, accepted.text
    event_id = accepted.json()["event_id"]
    [envelope] = wait_until(lambda: [m for m in stream_messages(OrderPlaced.subject) if m["id"] == event_id])
    assert envelope["actor"] == "ext-7" and envelope["source"] == "event-gateway"
    gateway_key = KeyDirectory(tmp_path / "event-keys").public_key("event-gateway")
    assert verifies(envelope, gateway_key)
    assert not verifies({**envelope, "actor": "the-admin"}, gateway_key)
