"""Who may hear what: a domain's events need role events-<domain>, personal fields need role personal-data."""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field

from arrakis_common.events import Envelope, Event, schema_bucket, utcnow
from arrakis_common.testing import register_signed_schemas, signed_by_source, signed_record, wait_until
from event_gateway.audience import personal_paths, without_personal

from .conftest import _with_js, run

URL = "https://hooks.example.com/in"


@pytest.fixture()
def client(gateway, database_url):
    with gateway(database_url, events_enabled=False) as client:
        yield client


@pytest.mark.parametrize(("roles", "subject_filter", "expected", "domains"), [
    (("editor",), "arrakis.user.>", 403, None),
    (("editor", "events-ontology"), "arrakis.user.user.created", 403, None),
    (("editor", "events-user"), "arrakis.user.>", 201, ["user"]),
    (("editor", "events-user", "events-data"), "arrakis.user.user.*", 201, ["data", "user"]),
    (("editor",), "arrakis.>", 201, []),  # a wildcard domain: only granted domains are delivered (here none)
    (("editor", "events-user"), ">", 201, ["user"]),
    (("admin",), "arrakis.user.>", 201, ["*"]),
])
def test_a_domains_subjects_need_its_events_role(client, auth_header, roles, subject_filter, expected, domains):
    response = client.post("/subscriptions", json={"url": URL, "subject_filter": subject_filter},
                           headers=auth_header("eve", *roles))
    assert response.status_code == expected, response.text
    if expected == 403:
        assert "events-user" in response.json()["detail"]
    else:
        assert response.json()["domains"] == domains and response.json()["include_personal"] is False


@pytest.mark.parametrize(("roles", "expected"), [
    (("editor", "events-user"), 403), (("editor", "events-user", "personal-data"), 201), (("admin",), 201)])
def test_personal_fields_need_the_personal_data_role(client, auth_header, roles, expected):
    headers = auth_header("eve", *roles)
    body = {"url": URL, "subject_filter": "arrakis.user.>", "include_personal": True}
    response = client.post("/subscriptions", json=body, headers=headers)
    assert response.status_code == expected, response.text
    plain = client.post("/subscriptions", json={**body, "include_personal": False}, headers=headers).json()
    patched = client.patch(f"/subscriptions/{plain['id']}", json={"include_personal": True}, headers=headers)
    assert patched.status_code == (200 if expected == 201 else 403), patched.text


def test_a_filter_change_is_checked_and_grants_follow_the_creator(client, auth_header):
    eve = auth_header("eve", "editor", "events-user")
    sub = client.post("/subscriptions", json={"url": URL, "subject_filter": "arrakis.user.>"}, headers=eve).json()
    url = f"/subscriptions/{sub['id']}"
    assert client.patch(url, json={"subject_filter": "arrakis.data.>"}, headers=eve).status_code == 403
    # An admin may point it anywhere, but it still delivers only what its creator may hear.
    admin = client.patch(url, json={"subject_filter": "arrakis.data.>"}, headers=auth_header("root", "admin"))
    assert admin.status_code == 200 and admin.json()["domains"] == ["user"]
    # Saved again by its creator with a new grant, it hears that domain too.
    regranted = client.patch(url, json={}, headers=auth_header("eve", "editor", "events-user", "events-data"))
    assert regranted.json()["domains"] == ["data", "user"]


class Address(BaseModel):
    city: str
    street: str = Field(json_schema_extra={"personal": True})


class Registered(Event):
    subject: ClassVar[str] = "arrakis.gwusers.user.created"
    user_id: str
    email: str = Field(json_schema_extra={"personal": True})
    addresses: list[Address] = []
    roles: list[str] = []


def test_personal_paths_follow_refs_items_and_branches():
    schema = Registered.model_json_schema()
    assert personal_paths(schema) == [("addresses", "*", "street"), ("email",)]
    payload = {"user_id": "u", "email": "a@example.com", "roles": ["viewer"],
               "addresses": [{"city": "Arrakeen", "street": "1 Keep"}, {"city": "Carthag"}]}
    assert without_personal(payload, personal_paths(schema)) == {
        "user_id": "u", "roles": ["viewer"], "addresses": [{"city": "Arrakeen"}, {"city": "Carthag"}]}
    optional = {"properties": {"note": {"anyOf": [{"type": "string", "personal": True}, {"type": "null"}]}}}
    assert personal_paths(optional) == [("note",)]


def test_deliveries_hear_only_granted_domains_and_personal_fields_only_when_allowed(
        gateway, database_url, nats_server, receiver, auth_header, tmp_path):
    keys = tmp_path / "event-keys"
    record = signed_record({"subject": Registered.subject, "version": 1, "type": "Registered",
                            "source": "user-service", "schema": Registered.model_json_schema(), "publishers": []},
                           keys)

    async def put(js: Any) -> None:
        kv = await schema_bucket(js)
        await kv.put(Registered.subject, json.dumps(record, sort_keys=True).encode())

    run(_with_js(nats_server.url, put))
    token = uuid.uuid4().hex[:8]
    payload = {"user_id": token, "email": f"{token}@example.com", "roles": ["viewer"],
               "addresses": [{"city": "Arrakeen", "street": "1 Keep"}]}
    with gateway(database_url, nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        subscribers = {
            "plain": auth_header("alice", "editor", "events-gwusers"),
            "personal": auth_header("bob", "editor", "events-gwusers", "personal-data"),
            "no-role": auth_header("carol", "editor"),
        }
        for name, headers in subscribers.items():
            body = {"url": f"{receiver.url}/{name}", "subject_filter": "arrakis.>" if name == "no-role"
                    else "arrakis.gwusers.>", "include_personal": name == "personal"}
            assert client.post("/subscriptions", json=body, headers=headers).status_code == 201
        sent = signed_by_source(Envelope(id=str(uuid.uuid4()), subject=Registered.subject, type="Registered",
                                         occurred_at=utcnow(), source="user-service", payload=payload), keys)

        async def send(js: Any) -> None:
            await js.publish(sent.subject, sent.model_dump_json().encode(), headers={"Nats-Msg-Id": sent.id})

        run(_with_js(nats_server.url, send))
        hits = wait_until(lambda: (r := [h for h in receiver.for_subject(sent.subject)
                                         if h.envelope["id"] == sent.id]) and len(r) >= 2 and r)
        by_path = {h.path.rsplit("/", 1)[-1]: h.envelope for h in hits}
        assert set(by_path) == {"plain", "personal"}  # carol may not hear the gwusers domain
        assert by_path["personal"]["payload"] == payload and by_path["personal"]["signature"] == sent.signature
        assert by_path["plain"]["payload"] == {"user_id": token, "roles": ["viewer"],
                                               "addresses": [{"city": "Arrakeen"}]}
        assert by_path["plain"]["signature"] is None  # the source's signature covered what was removed
        deliveries = client.get("/deliveries", headers=subscribers["no-role"]).json()
        assert deliveries["total"] == 0


@pytest.mark.parametrize(("roles_before", "roles_after", "domains_after", "personal_after"), [
    (["editor", "events-gwusers", "events-data", "personal-data"], ["editor", "events-data"], ["data"], False),
    (["admin"], ["editor", "events-gwusers"], ["gwusers"], False),
    (["editor", "events-gwusers"], ["admin"], ["gwusers"], False),  # never widened by an announcement
])
def test_a_role_change_announced_by_user_service_narrows_the_accounts_subscriptions(
        gateway, database_url, nats_server, auth_header, tmp_path, roles_before, roles_after, domains_after,
        personal_after):
    keys = tmp_path / "event-keys"
    register_signed_schemas(nats_server.url, keys, "user-service", "arrakis.user.user.updated")
    user_id = f"u-{uuid.uuid4().hex[:8]}"
    with gateway(database_url, nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        headers = auth_header(user_id, *roles_before)
        include_personal = "personal-data" in roles_before
        sub = client.post("/subscriptions", json={"url": URL, "subject_filter": "arrakis.>",
                                                  "include_personal": include_personal}, headers=headers).json()
        other = client.post("/subscriptions", json={"url": URL, "subject_filter": "arrakis.>"},
                            headers=auth_header("someone-else", "editor", "events-data", "events-gwusers")).json()

        def announce(source: str, roles: list[str]) -> Envelope:
            envelope = Envelope(id=str(uuid.uuid4()), subject="arrakis.user.user.updated", type="UserUpdated",
                                occurred_at=utcnow(), source=source,
                                payload={"user_id": user_id, "email": "x@example.com", "roles": roles})
            envelope = signed_by_source(envelope, keys)

            async def send(js: Any) -> None:
                await js.publish(envelope.subject, envelope.model_dump_json().encode(),
                                 headers={"Nats-Msg-Id": envelope.id})

            run(_with_js(nats_server.url, send))
            return envelope

        bus = client.app.state.runtime.bus
        announce("data-kernel-service", [])  # not the owner of user subjects: refused, nothing changes
        wait_until(lambda: bus.provenance.refused.get("not-owner") == 1)
        assert client.get(f"/subscriptions/{sub['id']}", headers=headers).json()["domains"] == sub["domains"]
        announce("user-service", roles_after)
        admin = auth_header("root", "admin")
        wait_until(lambda: client.get(f"/subscriptions/{sub['id']}", headers=admin).json()["domains"]
                   == domains_after)
        assert client.get(f"/subscriptions/{sub['id']}", headers=admin).json()["include_personal"] is personal_after
        assert client.get(f"/subscriptions/{other['id']}", headers=admin).json()["domains"] == other["domains"]
