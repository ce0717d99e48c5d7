"""The hash chain on SQLite and PostgreSQL: appending, idempotency, tamper detection and the append-only ORM."""

from __future__ import annotations

import pytest
from audit_helpers import consume, envelope
from sqlalchemy import delete, select, text, update

from audit_service.chain import GENESIS, append_event, chain_hash, entry_content, verify_chain
from audit_service.models import AppendOnlyViolation, AuditEntry


@pytest.fixture()
def client(make_client, database_url):
    with make_client(database_url) as client:
        yield client


def session_of(client):
    return client.app.state.runtime.database().session()


def entries(client) -> list[AuditEntry]:
    with session_of(client) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_entries_link_into_a_chain(client, auditor):
    consume(client, *[envelope(f"arrakis.test.thing.e{i}", {"n": i, "user_id": f"u{i}"}) for i in range(4)])
    log = entries(client)
    assert [e.seq for e in log] == [1, 2, 3, 4]
    assert log[0].prev_hash == GENESIS
    for before, after in zip(log, log[1:], strict=False):
        assert after.prev_hash == before.hash
    for entry in log:
        assert entry.hash == chain_hash(entry.prev_hash, entry_content(entry))
    report = client.get("/audit/verify", headers=auditor).json()
    assert report == {"ok": True, "count": 4, "head_hash": log[-1].hash, "broken_seq": None, "reason": None,
                      "stream": None}


def test_empty_log_verifies(client, auditor):
    assert client.get("/audit/verify", headers=auditor).json() == {
        "ok": True, "count": 0, "head_hash": GENESIS, "broken_seq": None, "reason": None, "stream": None}


def test_redelivered_event_is_appended_once(client):
    env = envelope("arrakis.test.thing.created", {"x": 1})
    assert consume(client, env, env) == [True, False]
    # The handler is safe on its own too, without the inbox in front of it.
    with session_of(client) as session:
        assert append_event(session, env) is None
    assert len(entries(client)) == 1


def test_verify_reports_a_row_changed_behind_the_orm(client, auditor):
    consume(client, *[envelope("arrakis.test.thing.updated", {"n": i}) for i in range(5)])
    with session_of(client) as session:
        session.execute(text("UPDATE audit_log SET payload = :p WHERE seq = 3"), {"p": '{"n": 99}'})
    report = client.get("/audit/verify", headers=auditor).json()
    assert report["ok"] is False and report["broken_seq"] == 3 and report["count"] == 2
    assert "content" in report["reason"] and report["head_hash"] == entries(client)[1].hash


def test_verify_reports_a_rewritten_hash_and_a_removed_row(client, auditor):
    consume(client, *[envelope("arrakis.test.thing.updated", {"n": i}) for i in range(5)])
    with session_of(client) as session:
        # Recomputing entry 2's hash after editing it still breaks the link from entry 3.
        session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
        forged = session.get(AuditEntry, 2)
        session.execute(text("UPDATE audit_log SET hash = :h WHERE seq = 2"),
                        {"h": chain_hash(forged.prev_hash, entry_content(forged))})
    report = client.get("/audit/verify", headers=auditor).json()
    assert (report["ok"], report["broken_seq"]) == (False, 3) and "prev_hash" in report["reason"]
    with session_of(client) as session:
        session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    report = client.get("/audit/verify", headers=auditor).json()
    assert (report["ok"], report["broken_seq"], report["count"]) == (False, 2, 1)
    assert "missing" in report["reason"]


def test_verify_walks_the_chain_in_batches(client):
    consume(client, *[envelope("arrakis.test.thing.created", {"n": i}) for i in range(7)])
    with session_of(client) as session:
        report = verify_chain(session, batch_size=2)
    assert report.ok and report.count == 7


def test_orm_refuses_updates_and_deletes(client):
    consume(client, envelope("arrakis.test.thing.created", {"n": 1}))
    with pytest.raises(AppendOnlyViolation), session_of(client) as session:
        session.get(AuditEntry, 1).actor = "mallory"
    with pytest.raises(AppendOnlyViolation), session_of(client) as session:
        session.delete(session.get(AuditEntry, 1))
    with pytest.raises(AppendOnlyViolation), session_of(client) as session:
        session.execute(update(AuditEntry).values(actor="mallory"))
    with pytest.raises(AppendOnlyViolation), session_of(client) as session:
        session.execute(delete(AuditEntry))
    [entry] = entries(client)
    assert entry.actor == "test-service"


@pytest.mark.parametrize(("payload", "actor"), [
    ({"requested_by": "admin-1", "user_id": "u-7"}, "admin-1"),
    ({"user_id": "u-7", "email": "x@example.com"}, "u-7"),
    ({"object_id": "o-1"}, "test-service"),
])
def test_actor_comes_from_the_payload_or_the_source(make_client, tmp_path, payload, actor):
    with make_client(f"sqlite:///{tmp_path / 'actor.db'}") as client:
        consume(client, envelope("arrakis.test.thing.created", payload))
        assert entries(client)[0].actor == actor
