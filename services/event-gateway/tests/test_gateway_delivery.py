"""Webhook delivery end to end: events on real NATS, a real HTTP receiver, retries, dead letters and replay."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from arrakis_common.events import Envelope
from arrakis_common.testing import wait_until
from event_gateway.app import WEBHOOK_DURABLE
from event_gateway.models import Delivery
from event_gateway.signing import verify_signature

from .conftest import Receiver


def subscribe(client, headers, url: str, subject_filter: str, **extra: object) -> dict:
    response = client.post("/subscriptions", json={"url": url, "subject_filter": subject_filter, **extra},
                           headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def started(client) -> None:
    wait_until(lambda: client.get("/health/ready").status_code == 200)


def deliveries(client, headers, **params: str) -> list[dict]:
    return client.get("/deliveries", params=params, headers=headers).json()["items"]


def test_matching_event_arrives_signed_and_others_do_not(gateway, database_url, nats_server, receiver, subject_root,
                                                         publish_envelope, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    with gateway(database_url, nats_server.url) as client:
        started(client)
        sub = subscribe(client, editor, receiver.url, f"{subject_root}.object.*", secret="receiver-shared-secret")
        other = publish_envelope(f"{subject_root}.link.created", {"n": 0})
        sent = publish_envelope(f"{subject_root}.object.created", {"object_id": "o-1", "n": 1})

        hits = wait_until(lambda: receiver.for_subject(sent.subject))
        wait_until(lambda: deliveries(client, editor, status="delivered"))
        request = hits[0]
        assert request.path == "/hooks/arrakis"
        assert request.headers["x-arrakis-event-id"] == sent.id
        assert request.headers["content-type"] == "application/json"
        timestamp, signature = request.headers["x-arrakis-timestamp"], request.headers["x-arrakis-signature"]
        assert signature.startswith("sha256=")
        assert verify_signature("receiver-shared-secret", timestamp, request.body, signature, tolerance_seconds=60)
        assert not verify_signature("another-secret-entirely", timestamp, request.body, signature)
        assert not verify_signature("receiver-shared-secret", timestamp, request.body + b" ", signature)
        assert Envelope.model_validate_json(request.body) == sent

        assert receiver.for_subject(other.subject) == []
        rows = deliveries(client, editor, subscription_id=sub["id"])
        assert [(r["event_id"], r["status"], r["attempts"], r["last_status_code"]) for r in rows] == [
            (sent.id, "delivered", 1, 200)]
        assert rows[0]["next_attempt_at"] is None and rows[0]["delivered_at"] is not None
        assert client.get(f"/deliveries/{rows[0]['id']}", headers=editor).json() == rows[0]
        assert client.get("/deliveries/unknown", headers=editor).status_code == 404


def test_inactive_subscription_gets_nothing(gateway, database_url, nats_server, receiver, subject_root,
                                            publish_envelope, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    with gateway(database_url, nats_server.url) as client:
        started(client)
        subscribe(client, editor, receiver.url, f"{subject_root}.>", active=False)
        live = subscribe(client, editor, receiver.url, f"{subject_root}.live.>")
        publish_envelope(f"{subject_root}.quiet.happened")
        marker = publish_envelope(f"{subject_root}.live.happened")
        wait_until(lambda: receiver.for_subject(marker.subject))
        assert receiver.for_subject(f"{subject_root}.quiet.happened") == []
        assert {r["subscription_id"] for r in deliveries(client, editor)} == {live["id"]}


def test_failures_are_retried_until_success(gateway, database_url, nats_server, receiver, subject_root,
                                            publish_envelope, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    receiver.statuses = [500, 503]
    with gateway(database_url, nats_server.url) as client:
        started(client)
        subscribe(client, editor, receiver.url, f"{subject_root}.>", max_attempts=5)
        sent = publish_envelope(f"{subject_root}.thing.happened")
        done = wait_until(lambda: deliveries(client, editor, status="delivered"))
        assert done[0]["attempts"] == 3 and done[0]["last_status_code"] == 200 and done[0]["last_error"] is None
        hits = receiver.for_subject(sent.subject)
        assert len(hits) == 3
        assert [h.headers["x-arrakis-attempt"] for h in hits] == ["1", "2", "3"]
        assert {h.headers["x-arrakis-event-id"] for h in hits} == {sent.id}


def test_dead_letter_after_max_attempts_then_replay(gateway, database_url, nats_server, receiver, subject_root,
                                                    publish_envelope, stream_messages, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    receiver.statuses = [500, 500, 500]
    with gateway(database_url, nats_server.url) as client:
        started(client)
        sub = subscribe(client, editor, receiver.url, f"{subject_root}.>", max_attempts=3)
        sent = publish_envelope(f"{subject_root}.thing.happened")
        dead = wait_until(lambda: client.get("/dead-letters", headers=editor).json()["items"])
        assert len(dead) == 1 and dead[0]["event_id"] == sent.id and dead[0]["status"] == "dead"
        assert dead[0]["attempts"] == 3 and dead[0]["last_status_code"] == 500
        assert "HTTP 500" in dead[0]["last_error"]
        assert len(receiver.for_subject(sent.subject)) == 3
        assert deliveries(client, editor, status="dead") == dead

        def announced() -> list[dict]:
            return [m for m in stream_messages("arrakis.gateway.delivery.dead_lettered")
                    if m["payload"]["delivery_id"] == dead[0]["id"]]

        notice = wait_until(announced)[0]
        assert notice["source"] == "event-gateway" and notice["type"] == "DeliveryDeadLettered"
        assert notice["payload"] == {"delivery_id": dead[0]["id"], "subscription_id": sub["id"], "event_id": sent.id,
                                     "event_subject": sent.subject, "attempts": 3, "last_status_code": 500,
                                     "last_error": dead[0]["last_error"]}

        viewer = auth_header("val", "viewer")
        assert client.post(f"/dead-letters/{dead[0]['id']}/replay", headers=viewer).status_code == 403
        assert client.post("/dead-letters/unknown/replay", headers=editor).status_code == 404
        replay = client.post(f"/dead-letters/{dead[0]['id']}/replay", headers=editor)
        assert replay.status_code == 202, replay.text
        assert replay.json()["status"] == "pending" and replay.json()["attempts"] == 0
        delivered = wait_until(lambda: deliveries(client, editor, status="delivered"))
        assert delivered[0]["id"] == dead[0]["id"] and delivered[0]["attempts"] == 1
        assert len(receiver.for_subject(sent.subject)) == 4
        assert client.get("/dead-letters", headers=editor).json()["total"] == 0
        again = client.post(f"/dead-letters/{dead[0]['id']}/replay", headers=editor)
        assert again.status_code == 409


def test_unreachable_receiver_is_dead_lettered(gateway, database_url, nats_server, subject_root, publish_envelope,
                                               auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    with gateway(database_url, nats_server.url) as client:
        started(client)
        subscribe(client, editor, "http://127.0.0.1:9/never", f"{subject_root}.>", max_attempts=2)
        publish_envelope(f"{subject_root}.thing.happened")
        dead = wait_until(lambda: client.get("/dead-letters", headers=editor).json()["items"])
        assert dead[0]["attempts"] == 2 and dead[0]["last_status_code"] is None
        assert "ConnectError" in dead[0]["last_error"]


def test_consumer_is_idempotent(gateway, database_url, nats_server, subject_root, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    with gateway(database_url, nats_server.url) as client:
        started(client)
        for suffix in ("a", "b"):
            subscribe(client, editor, f"http://127.0.0.1:9/{suffix}", f"{subject_root}.>")
        runtime = client.app.state.runtime
        consumer = next(s for s in runtime.bus.subscriptions if s.durable == WEBHOOK_DURABLE)
        envelope = Envelope(id="0f0f0f0f-0000-4000-8000-000000000001", subject=f"{subject_root}.x.y", type="T",
                            occurred_at="2026-01-01T00:00:00Z", source="test", payload={})
        assert runtime.bus.handle(consumer, WEBHOOK_DURABLE, envelope) is True
        assert runtime.bus.handle(consumer, WEBHOOK_DURABLE, envelope) is False
        # Even without the inbox (another consumer name), the handler itself adds no second row.
        assert runtime.bus.handle(consumer, "replayed-consumer", envelope) is True
        with runtime.database().session() as session:
            count = session.execute(select(func.count()).select_from(Delivery)
                                    .where(Delivery.event_id == envelope.id)).scalar_one()
        assert count == 2


def test_delivery_listing_filters_and_validation(gateway, database_url, auth_header):
    editor = auth_header("eve", "editor", "events-gwtest")
    with gateway(database_url, events_enabled=False) as client:
        assert client.get("/deliveries", params={"status": "bogus"}, headers=editor).status_code == 422
        assert client.get("/deliveries").status_code == 401
        assert client.get("/dead-letters").status_code == 401
        empty = client.get("/deliveries", params={"status": "pending", "subscription_id": "x"}, headers=editor)
        assert empty.status_code == 200 and empty.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_a_drip_feeding_receiver_never_delays_another_subscriber(gateway, database_url, nats_server, subject_root,
                                                                 publish_envelope, auth_header):
    """A receiver answering one byte every second (each read well inside any per-read timeout) holds only its own
    subscription's slots, and only up to the attempt's total deadline; a healthy subscriber's event published
    meanwhile is delivered at once."""
    editor = auth_header("eve", "editor", "events-gwtest")
    slow, fast = Receiver(drip_seconds=1.0), Receiver()
    slow.start()
    fast.start()
    try:
        with gateway(database_url, nats_server.url, webhook_timeout_seconds=3.0, delivery_batch_size=4,
                     webhook_concurrency_per_subscription=2) as client:
            started(client)
            subscribe(client, editor, slow.url, f"{subject_root}.slow.*", max_attempts=1)
            subscribe(client, editor, fast.url, f"{subject_root}.fast.*")
            for n in range(6):
                publish_envelope(f"{subject_root}.slow.created", {"n": n})
            wait_until(lambda: slow.for_subject(f"{subject_root}.slow.created"))
            sent_at = time.monotonic()
            publish_envelope(f"{subject_root}.fast.created", {"n": 0})
            wait_until(lambda: fast.for_subject(f"{subject_root}.fast.created"), timeout=20, interval=0.02)
            latency = time.monotonic() - sent_at
            assert latency < 2.0, f"the healthy subscriber waited {latency:.1f} s behind the slow one"
            assert len(slow.for_subject(f"{subject_root}.slow.created")) <= 2  # its two slots, no more
            dead = wait_until(lambda: (rows := deliveries(client, editor, status="dead")) and len(rows) >= 2 and rows,
                              timeout=30)
            assert all(r["last_error"] == "no complete answer within 3 s" for r in dead)
    finally:
        slow.stop()
        fast.stop()


def dead_letter_of(client, headers) -> tuple[dict, str]:
    """A subscription of ``headers``' caller and one dead delivery of it, written straight into the database."""
    sub = subscribe(client, headers, "https://hooks.example.com/in", "arrakis.>")
    with client.app.state.runtime.database().session() as session:
        row = Delivery(subscription_id=sub["id"], event_id="e-1", subject="arrakis.user.user.created", body="{}",
                       status="dead", attempts=6)
        session.add(row)
        session.flush()
        return sub, row.id


@pytest.mark.parametrize("verb", ["replay", "get", "list", "list-dead"])
@pytest.mark.parametrize("caller", ["other-editor", "owner", "admin"])
def test_a_delivery_is_seen_and_replayed_only_by_its_subscriptions_owner_or_an_admin(gateway, database_url,
                                                                                    auth_header, caller, verb):
    headers = {"owner": auth_header("alice", "editor"), "other-editor": auth_header("mallory", "editor"),
               "admin": auth_header("root", "admin")}
    with gateway(database_url) as client:
        sub, delivery_id = dead_letter_of(client, headers["owner"])
        request = {"replay": ("POST", f"/dead-letters/{delivery_id}/replay"),
                   "get": ("GET", f"/deliveries/{delivery_id}"), "list": ("GET", "/deliveries"),
                   "list-dead": ("GET", "/dead-letters")}[verb]
        response = client.request(*request, headers=headers[caller])
        state = client.get(f"/deliveries/{delivery_id}", headers=headers["owner"]).json()["status"]
        if caller == "other-editor" and verb in ("replay", "get"):
            # Deliveries are as private as their subscription: another user is told it does not exist.
            assert response.status_code == 404, response.text
            assert state == "dead"
        elif caller == "other-editor":
            assert response.status_code == 200 and response.json()["total"] == 0
        elif verb == "replay":
            assert response.status_code == 202, response.text
            assert state == "pending"
        elif verb == "get":
            assert response.status_code == 200 and response.json()["subscription_id"] == sub["id"]
        else:
            assert [d["id"] for d in response.json()["items"]] == [delivery_id]
