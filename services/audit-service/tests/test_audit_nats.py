"""Consumption from a real JetStream server: every arrakis.> event lands in the log, in order, once."""

from __future__ import annotations

import uuid

from audit_helpers import envelope, publish

from arrakis_common.testing import wait_until


def test_events_published_to_jetstream_are_logged_in_order_once(make_client, database_url, nats_server, auditor):
    token = uuid.uuid4().hex[:8]
    sent = [envelope(f"arrakis.x{token}.y.z{i}", {"i": i, "requested_by": "tester"}) for i in range(6)]
    with make_client(database_url, events_enabled=True, nats_url=nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        # The last event arrives twice (a redelivery the broker cannot dedupe: different message ids).
        publish(nats_server.url, [*sent, sent[-1]])

        def logged() -> list[dict]:
            items = client.get("/audit/events", params={"subject": f"arrakis.x{token}.>", "limit": 500},
                               headers=auditor).json()["items"]
            return items if len(items) >= len(sent) else []

        items = wait_until(logged)
        assert [item["event_id"] for item in items] == [env.id for env in sent]
        assert [item["payload"]["i"] for item in items] == list(range(6))
        assert all(item["actor"] == "tester" for item in items)
        wait_until(lambda: client.app.state.runtime.bus.consumed >= len(sent))
        report = client.get("/audit/verify", headers=auditor).json()
        assert report["ok"] is True
        assert len(client.get("/audit/events", params={"subject": f"arrakis.x{token}.>"}, headers=auditor
                              ).json()["items"]) == len(sent)
