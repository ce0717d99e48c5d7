"""arrakis_audit_chain_ok: the scheduled verification's verdict, as Prometheus scrapes it from /metrics."""

from __future__ import annotations

import re
import time

from audit_helpers import consume, envelope
from sqlalchemy import text


def chain_ok(client) -> float:
    found = re.search(r"^arrakis_audit_chain_ok (\S+)$", client.get("/metrics").text, re.MULTILINE)
    assert found, "arrakis_audit_chain_ok missing from /metrics"
    return float(found.group(1))


def wait_for(client, value: float, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while chain_ok(client) != value:
        assert time.monotonic() < deadline, f"arrakis_audit_chain_ok never became {value}"
        time.sleep(0.05)


def test_chain_gauge_drops_to_zero_once_a_scheduled_verification_finds_a_changed_row(make_client, database_url):
    with make_client(database_url, audit_verify_interval_seconds=0.1) as client:
        consume(client, *[envelope("arrakis.test.thing.updated", {"n": i}) for i in range(4)])
        wait_for(client, 1.0)
        with client.app.state.runtime.database().session() as session:
            session.execute(text("UPDATE audit_log SET payload = :p WHERE seq = 2"), {"p": '{"n": 99}'})
        wait_for(client, 0.0)
        assert "arrakis_audit_chain_verified_timestamp_seconds" in client.get("/metrics").text
