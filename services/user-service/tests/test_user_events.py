"""user-service events reach a real JetStream server through the outbox; failed logins are recorded too."""

from __future__ import annotations

import asyncio
import json
import uuid

import nats
from user_helpers import bearer, make_admin, register

from arrakis_common.events import lookup_schema
from arrakis_common.testing import stream_envelopes, wait_until


def user_events(nats_url: str, marker: str) -> list[dict]:
    """Envelopes on arrakis.user.> whose payload mentions ``marker`` (the stream is shared by the whole session)."""
    return [env for env in stream_envelopes(nats_url, "arrakis.user.>") if marker in json.dumps(env["payload"])]


def registered_schema(nats_url: str, subject: str) -> dict | None:
    async def run() -> dict | None:
        nc = await nats.connect(nats_url)
        record = await lookup_schema(nc.jetstream(timeout=30), subject)
        await nc.close()
        return record

    return asyncio.run(run())


def test_user_events_are_published(make_client, database_url, nats_server):
    marker = uuid.uuid4().hex[:10]
    with make_client(database_url, events_enabled=True, nats_url=nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        headers = bearer(make_admin(client, "admin@arrakis.example"))
        admin = client.get("/users/me", headers=headers).json()
        user = register(client, f"{marker}@example.com", name="Evented")
        assert client.post("/auth/login", json={"email": f"{marker}@example.com", "password": "nope nope"}
                           ).status_code == 401
        assert client.post("/auth/login", json={"email": f"ghost-{marker}@example.com", "password": "nope nope"}
                           ).status_code == 401
        assert client.put(f"/users/{user['id']}/roles", json={"roles": ["auditor"]}, headers=headers
                          ).status_code == 200
        events = wait_until(lambda: (found := user_events(nats_server.url, marker)) and len(found) >= 4 and found)
        by_subject = {(e["subject"], e["payload"].get("reason")): e for e in events}
        created = by_subject[("arrakis.user.user.created", None)]
        assert created["source"] == "user-service" and created["type"] == "UserCreated"
        assert created["payload"] == {"user_id": user["id"], "email": f"{marker}@example.com",
                                      "display_name": "Evented", "roles": ["viewer"]}
        updated = by_subject[("arrakis.user.user.updated", None)]
        assert updated["payload"] == {"user_id": user["id"], "email": f"{marker}@example.com",
                                      "roles": ["auditor"], "requested_by": admin["id"]}
        assert by_subject[("arrakis.user.login.failed", "bad_password")]["payload"]["email"] == f"{marker}@example.com"
        assert ("arrakis.user.login.failed", "unknown_email") in by_subject
        assert len(events) == 4
        record = registered_schema(nats_server.url, "arrakis.user.login.failed")
        assert record["source"] == "user-service" and set(record["schema"]["required"]) == {"email", "reason"}
