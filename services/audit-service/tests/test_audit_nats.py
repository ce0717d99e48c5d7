"""Consumption from a real JetStream server: every arrakis.> event lands in the log, in order, once."""

from __future__ import annotations

import asyncio
import json
import uuid

import nats
from audit_helpers import envelope, publish

from arrakis_common.testing import NatsServer, register_signed_schemas, signed_by_source, wait_until


def test_events_published_to_jetstream_are_logged_in_order_once(make_client, database_url, tmp_path, auditor):
    # Its own server: verify compares the whole stream with this log, and a shared one holds other tests' events.
    nats_server = NatsServer(store_dir=tmp_path / "js")
    nats_server.start()
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
        assert report["stream"]["messages"] == len(sent) + 1 and report["stream"]["logged"] == len(sent) + 1
    nats_server.stop()


def test_forged_events_stay_out_of_the_log_and_the_publisher_is_recorded(make_client, database_url, auditor,
                                                                        tmp_path):
    # Its own server, so verify can compare the whole stream with this log.
    nats_server = NatsServer(store_dir=tmp_path / "js")
    nats_server.start()
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
        # The refused events are on the stream and kept as refused dead letters: no gap, and each one accounted for.
        wait_until(lambda: client.get("/audit/verify", headers=auditor).json()["stream"]["refused"] == 3)
        report = client.get("/audit/verify", headers=auditor).json()
        assert report["ok"] is True, report
        assert (report["stream"]["missing"], report["stream"]["dead_lettered"]) == (0, 0)
    nats_server.stop()


def publish_raw(nats_url: str, subject: str, body: bytes) -> None:
    async def run() -> None:
        nc = await nats.connect(nats_url)
        await nc.jetstream(timeout=10).publish(subject, body, headers={"Nats-Msg-Id": uuid.uuid4().hex})
        await nc.close()

    asyncio.run(run())


def test_verify_sets_the_stream_range_against_the_log_so_a_gap_shows(make_client, tmp_path, auditor):
    """Its own server: the shared one holds other tests' events, which this log never saw."""
    server = NatsServer(store_dir=tmp_path / "js")
    server.start()
    db = f"sqlite:///{(tmp_path / 'audit.db').as_posix()}"
    try:
        with make_client(db, events_enabled=True, nats_url=server.url) as client:
            wait_until(lambda: client.get("/health/ready").json()["status"] == "ok")
            good = [envelope(f"arrakis.cover.thing.n{i}", {"i": i}) for i in range(5)]
            publish(server.url, good, keys_dir=tmp_path / "event-keys")
            wait_until(lambda: client.app.state.runtime.bus.consumed >= len(good))
            report = client.get("/audit/verify", headers=auditor).json()
            assert report["ok"] is True, report
            stream = report["stream"]
            assert stream["checked"] is True and (stream["first_seq"], stream["last_seq"]) == (1, 5)
            assert (stream["messages"], stream["logged"], stream["missing"], stream["dead_lettered"]) == (5, 5, 0, 0)

            # A poison event the consumer gives up on: dead-lettered, and the log's gap is named.
            deep: object = "bottom"
            for _ in range(300):
                deep = [deep]
            body = envelope("arrakis.cover.thing.deep").model_dump(mode="json")
            body["payload"] = {"d": deep}
            publish_raw(server.url, "arrakis.cover.thing.deep", json.dumps(body).encode())
            # A silent gap: the inbox says handled, so the consumer acks it, yet the log never gets it.
            lost = envelope("arrakis.cover.thing.lost", {"i": "lost"})
            bus = client.app.state.runtime.bus
            with client.app.state.runtime.database().session() as session:
                session.add(bus.inbox(consumer=bus.subscriptions[0].durable, event_id=lost.id, subject=lost.subject))
            publish(server.url, [lost], keys_dir=tmp_path / "event-keys")
            wait_until(lambda: client.get("/audit/verify", headers=auditor).json()["stream"]["pending"] == 0
                       and client.get("/audit/verify", headers=auditor).json()["stream"]["messages"] == 7)
            report = client.get("/audit/verify", headers=auditor).json()
            stream = report["stream"]
            assert report["ok"] is False and "1 events the log does not" in report["reason"], report
            assert report["count"] == 5 and report["broken_seq"] is None  # the chain itself holds
            assert (stream["logged"], stream["dead_lettered"], stream["missing"]) == (5, 1, 1), stream
            assert stream["dead_lettered_seqs"] == [6] and stream["missing_seqs"] == [7]
        with make_client(db, events_enabled=True, nats_url="nats://127.0.0.1:1") as client:
            stream = client.get("/audit/verify", headers=auditor).json()["stream"]
            assert stream["checked"] is False and stream["error"] == "NATS is not connected"
    finally:
        server.stop()
