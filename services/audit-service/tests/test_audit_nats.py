"""Consumption from a real JetStream server: every arrakis.> event lands in the log, in order, once."""

from __future__ import annotations

import uuid

from audit_helpers import envelope, publish

from arrakis_common.testing import register_signed_schemas, signed_by_source, wait_until


def test_events_published_to_jetstream_are_logged_in_order_once(make_client, database_url, nats_server, auditor,
                                                                tmp_path):
    token = uuid.uuid4().hex[:8]
    sent = [envelope(f"arrakis.x{token}.y.z{i}", {"i": i, "requested_by": "tester"}) for i in range(6)]
    with make_client(database_url, events_enabled=True, nats_url=nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        # The last event arrives twice (a redelivery the broker cannot dedupe: different message ids).
        publish(nats_server.url, [*sent, sent[-1]], keys_dir=tmp_path / "event-keys")

        def logged() -> list[dict]:
            items = client.get("/audit/events", params={"subject": f"arrakis.x{token}.>", "limit": 500},
                               headers=auditor).json()["items"]
            return items if len(items) >= len(sent) else []

        items = wait_until(logged)
        assert [item["event_id"] for item in items] == [env.id for env in sent]
        assert [item["payload"]["i"] for item in items] == list(range(6))
        assert all(item["actor"] == "tester" for item in items)
        assert all(item["publisher"] == "test-service" and item["authenticated_actor"] is None for item in items)
        wait_until(lambda: client.app.state.runtime.bus.consumed >= len(sent))
        report = client.get("/audit/verify", headers=auditor).json()
        assert report["ok"] is True
        assert len(client.get("/audit/events", params={"subject": f"arrakis.x{token}.>"}, headers=auditor
                              ).json()["items"]) == len(sent)


def test_forged_events_stay_out_of_the_log_and_the_publisher_is_recorded(make_client, database_url, nats_server,
                                                                        auditor, tmp_path):
    keys = tmp_path / "event-keys"
    token = uuid.uuid4().hex[:8]
    admin_id = f"admin-{token}"
    user_subject = "arrakis.user.user.updated"
    register_signed_schemas(nats_server.url, keys, "user-service", user_subject)
    # The attack of issue 17: a user event naming the admin, sent by a service that does not own the subject,
    # unsigned, or signed by someone else in user-service's name.
    by_gateway = signed_by_source(envelope(user_subject, {"user_id": token, "requested_by": admin_id},
                                           source="event-gateway"), keys)
    unsigned = envelope(user_subject, {"user_id": token, "requested_by": admin_id}, source="user-service")
    posing = signed_by_source(envelope(user_subject, {"user_id": token}, source="event-gateway"), keys)
    posing = posing.model_copy(update={"source": "user-service"})
    # What the gateway really publishes: an outside subject, the authenticated caller as actor.
    inbound = signed_by_source(envelope(f"arrakis.external.t{token}.order.placed", {"n": 1},
                                        source="event-gateway").model_copy(update={"actor": f"caller-{token}"}), keys)
    genuine = signed_by_source(envelope(user_subject, {"user_id": token, "requested_by": f"self-{token}"},
                                        source="user-service"), keys)
    with make_client(database_url, events_enabled=True, nats_url=nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        publish(nats_server.url, [by_gateway, unsigned, posing, inbound, genuine])
        bus = client.app.state.runtime.bus
        wait_until(lambda: bus.consumed >= 2 and sum(bus.provenance.refused.values()) >= 3)
        logged = {e["event_id"]: e for e in client.get("/audit/events", params={"limit": 500},
                                                       headers=auditor).json()["items"]}
        assert not logged.keys() & {by_gateway.id, unsigned.id, posing.id}
        assert client.get("/audit/events", params={"actor": admin_id}, headers=auditor).json()["total"] == 0
        assert bus.provenance.refused == {"not-owner": 1, "unsigned": 1, "bad-signature": 1}
        assert 'arrakis_events_refused_total{reason="unsigned"} 1.0' in client.get("/metrics").text
        entry = logged[inbound.id]
        assert (entry["source"], entry["publisher"], entry["actor"], entry["authenticated_actor"]) == (
            "event-gateway", "event-gateway", f"caller-{token}", f"caller-{token}")
        entry = logged[genuine.id]
        assert (entry["publisher"], entry["actor"], entry["authenticated_actor"]) == (
            "user-service", f"self-{token}", None)
        assert client.get("/audit/verify", headers=auditor).json()["ok"] is True
