"""The shared library through a small service: HTTP behaviour, outbox, consumers, auth and the database backends."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import nats
import pytest
from fastapi.testclient import TestClient
from sample_service import NoteCreated, Outbox, Seen, create_app
from sqlalchemy import func, select

from arrakis_common import dead_letters
from arrakis_common.auth import JWKSVerifier, TokenIssuer, generate_private_key_pem
from arrakis_common.events import Envelope
from arrakis_common.settings import ServiceSettings
from arrakis_common.testing import NatsServer, wait_until

# The services' event keys of this test session (kept out of the working directory's var/data).
EVENT_KEYS = Path(tempfile.mkdtemp(prefix="arrakis-event-keys-"))


def make_client(database_url: str, nats_url: str, token_issuer: TokenIssuer, **overrides: object) -> TestClient:
    settings = ServiceSettings(service_name="sample-service", database_url=database_url, nats_url=nats_url,
                               outbox_poll_seconds=0.05, **{"event_keys_dir": EVENT_KEYS, **overrides})
    app = create_app(settings)
    app.state.verifier = token_issuer
    return TestClient(app)


def count(client: TestClient, stmt) -> int:  # noqa: ANN001
    with client.app.state.runtime.database().session() as session:
        return session.execute(stmt).scalar_one()


def test_outbox_reaches_nats_and_consumer_runs_once(database_url, nats_server, token_issuer, auth_header):
    with make_client(database_url, nats_server.url, token_issuer) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        for i in range(5):
            assert client.post("/notes", json={"text": f"n{i}"}, headers=auth_header("w", "writer")).status_code == 201
        wait_until(lambda: count(client, select(func.count()).select_from(Seen)) == 5)
        assert count(client, select(func.count()).where(Outbox.published_at.is_(None))) == 0
        runtime = client.app.state.runtime
        sub = runtime.bus.subscriptions[0]
        envelope = Envelope.wrap(NoteCreated(id=99, text="dup"), source="test")
        assert runtime.bus.handle(sub, "sample-seen", envelope) is True
        assert runtime.bus.handle(sub, "sample-seen", envelope) is False
        assert count(client, select(func.count()).select_from(Seen)) == 6


def test_publish_while_nats_down_is_delivered_after_restart(tmp_path: Path, token_issuer, auth_header):
    server = NatsServer(store_dir=tmp_path / "js")
    server.start()
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    with make_client(db, server.url, token_issuer) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        server.stop()
        # Still ready: writes go on into the outbox; the broker is reported degraded beside it.
        wait_until(lambda: client.get("/health/ready").json()["broker"] == "degraded")
        assert client.get("/health/ready").status_code == 200
        for i in range(3):
            assert client.post("/notes", json={"text": f"n{i}"}, headers=auth_header("w", "writer")).status_code == 201
        assert count(client, select(func.count()).where(Outbox.published_at.is_(None))) == 3
        server.start()
        wait_until(lambda: count(client, select(func.count()).select_from(Seen)) == 3, timeout=30)
    server.stop()

    async def stream_count() -> int:
        server.start()
        nc = await nats.connect(server.url)
        info = await nc.jetstream(timeout=30).stream_info("ARRAKIS")
        await nc.close()
        return info.state.messages

    assert asyncio.run(stream_count()) == 3
    server.stop()


def test_bad_input_is_never_a_500(tmp_path: Path, token_issuer, auth_header):
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    with make_client(db, "nats://127.0.0.1:1", token_issuer, events_enabled=False, max_body_bytes=1000) as client:
        writer = auth_header("w", "writer")
        assert client.post("/notes", json={"text": ""}, headers=writer).status_code == 422
        assert client.post("/notes", content=b"{", headers={**writer, "content-type": "application/json"}
                           ).status_code == 422
        assert client.post("/notes", json={"text": "x" * 2000}, headers=writer).status_code == 413
        assert client.get("/notes/12345").status_code == 404
        assert client.post("/notes", json={"text": "a"}).status_code == 401
        assert client.post("/notes", json={"text": "a"}, headers={"Authorization": "Bearer junk"}).status_code == 401
        assert client.post("/notes", json={"text": "a"}, headers=auth_header("r", "reader")).status_code == 403
        assert client.post("/notes", json={"text": "a"}, headers=auth_header("boss", "admin")).status_code == 201
        live = client.get("/health/live").json()
        assert live["service"] == "sample-service" and live["uptime_seconds"] >= 0
        metrics = client.get("/metrics").text
        assert 'http_requests_total{method="POST",route="/notes",status="201"} 1.0' in metrics


def test_jwks_verifier_fetches_and_caches_remote_keys():
    issuer = TokenIssuer(generate_private_key_pem())
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            body = json.dumps(issuer.jwks()).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        verifier = JWKSVerifier(f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json")
        for _ in range(3):
            claims = verifier.verify(issuer.issue("alice", ["reader"]))
            assert claims["sub"] == "alice" and claims["roles"] == ["reader"]
        assert hits == ["/.well-known/jwks.json"]
        other = TokenIssuer(generate_private_key_pem())
        with pytest.raises(Exception):  # noqa: B017 - unknown kid or bad signature, either is a rejection
            verifier.verify(other.issue("mallory", ["admin"]))
    finally:
        server.shutdown()


@pytest.mark.parametrize(("pattern", "subject", "expected"), [
    ("arrakis.>", "arrakis.user.user.created", True),
    ("arrakis.>", "arrakis", False),
    ("arrakis.*.object.created", "arrakis.ontology.object.created", True),
    ("arrakis.*.object.created", "arrakis.ontology.object.deleted", False),
    ("arrakis.ontology.object.*", "arrakis.ontology.object.created.extra", False),
    ("arrakis.ontology.object.created", "arrakis.ontology.object.created", True),
])
def test_subject_matches_follows_nats_wildcards(pattern: str, subject: str, expected: bool):
    from arrakis_common.events import subject_matches

    assert subject_matches(pattern, subject) is expected


def test_envelope_takes_null_trace_and_payload_as_empty():
    envelope = Envelope.model_validate({"id": "e1", "subject": "arrakis.a.b.c", "type": "T", "occurred_at":
                                        "2026-01-01T00:00:00Z", "source": "client", "trace": None, "payload": None})
    assert envelope.trace == {} and envelope.payload == {}


def test_data_and_key_files_are_owner_only(tmp_path):
    """The SQLite file (and the -wal/-shm files SQLite makes beside it) and the signing key are mode 0600."""
    from arrakis_common.auth import load_or_create_private_key
    from arrakis_common.db import Database

    loose = tmp_path / "old.db"
    loose.touch(mode=0o644)
    for path in (tmp_path / "data" / "svc.db", loose):
        database = Database(f"sqlite:///{path.as_posix()}")
        with database.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            made = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
            assert {f"{path.name}-wal"} <= set(made)
            modes = {p: oct(stat.S_IMODE((path.parent / p).stat().st_mode)) for p in made}
            assert modes == dict.fromkeys(made, "0o600")
        database.engine.dispose()
    key = tmp_path / "keys" / "signing.pem"
    assert load_or_create_private_key(key).startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"text": NaN}', "NaN is not a JSON number"), (b'{"text": -Infinity}', "-Infinity is not a JSON number"),
    (b'{"text": 1e999}', "1e999 is too large"), (b'{"text": "a\\ud800b"}', "lone UTF-16 surrogate"),
    (b'{"text": "\\udc00"}', "lone UTF-16 surrogate"), (b"[" * 10_000 + b"]" * 10_000, "nests deeper than 64"),
    (b'{"text": ' + b"9" * 5000 + b"}", "more digits"),
])
def test_json_bodies_must_be_strict(tmp_path: Path, token_issuer, auth_header, body: bytes, problem: str):
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    with make_client(db, "nats://127.0.0.1:1", token_issuer, events_enabled=False) as client:
        headers = {**auth_header("w", "writer"), "content-type": "application/json"}
        response = client.post("/notes", content=body, headers=headers)
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert error["loc"] == ["body"] and problem in error["msg"]
        paired = client.post("/notes", content=b'{"text": "spice \\ud83c\\udf36 and [brackets] {in} text"}',
                             headers=headers)
        assert paired.status_code == 201 and paired.json()["text"] == "spice \U0001f336 and [brackets] {in} text"


def test_a_chunked_body_over_the_limit_is_413(tmp_path: Path, token_issuer, auth_header):
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    with make_client(db, "nats://127.0.0.1:1", token_issuer, events_enabled=False, max_body_bytes=1000) as client:
        sent = []

        def chunks():
            for _ in range(50):
                sent.append(1)
                yield b'{"text": "' + b"x" * 100

        response = client.post("/notes", content=chunks(), headers={**auth_header("w", "writer"),
                                                                      "content-type": "application/json"})
        assert response.status_code == 413 and "exceeds 1000 bytes" in response.json()["detail"]
        small = client.post("/notes", content=iter([b'{"text":', b' "ok"}']),
                            headers={**auth_header("w", "writer"), "content-type": "application/json"})
        assert small.status_code == 201


def test_idempotency_key_replays_the_first_answer(database_url, token_issuer, auth_header):
    from sample_service import Note

    with make_client(database_url, "nats://127.0.0.1:1", token_issuer, events_enabled=False) as client:
        writer = auth_header("w", "writer")
        keyed = {**writer, "Idempotency-Key": "create-spice-1"}
        first = client.post("/notes", json={"text": "spice"}, headers=keyed)
        assert first.status_code == 201 and "idempotent-replayed" not in first.headers
        retry = client.post("/notes", json={"text": "spice"}, headers=keyed)
        assert retry.status_code == 201 and retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        assert count(client, select(func.count()).select_from(Note)) == 1
        other = client.post("/notes", json={"text": "melange"}, headers=keyed)
        assert other.status_code == 422 and "different request" in other.json()["detail"][0]["msg"]
        # keys belong to their caller; a request without a key is never deduplicated
        elsewhere = client.post("/notes", json={"text": "spice"},
                                headers={**auth_header("x", "writer"), "Idempotency-Key": "create-spice-1"})
        assert elsewhere.status_code == 201 and elsewhere.json()["id"] != first.json()["id"]
        assert client.post("/notes", json={"text": "spice"}, headers=writer).status_code == 201
        assert count(client, select(func.count()).select_from(Note)) == 3
        # a refused request stores nothing: the same key may carry the corrected request
        assert client.post("/notes", json={"text": ""}, headers={**writer, "Idempotency-Key": "k2"}).status_code == 422
        corrected = client.post("/notes", json={"text": "ok"}, headers={**writer, "Idempotency-Key": "k2"})
        assert corrected.status_code == 201
        bad_key = client.post("/notes", json={"text": "x"}, headers={**writer, "Idempotency-Key": "x" * 256})
        assert bad_key.status_code == 422


def test_openapi_declares_the_shared_error_statuses(tmp_path: Path, token_issuer):
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    app = make_client(db, "nats://127.0.0.1:1", token_issuer, events_enabled=False).app
    spec = app.openapi()
    create = spec["paths"]["/notes"]["post"]
    assert sorted(create["responses"]) == ["201", "400", "401", "403", "404", "409", "413", "422", "503"]
    assert create["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"}
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    assert sorted(spec["paths"]["/notes/{note_id}"]["get"]["responses"]) == ["200", "404", "422"]
    with TestClient(app) as client:
        refused = client.put("/notes/1")
        assert refused.status_code == 405 and refused.headers["allow"] == "GET"


@pytest.mark.parametrize(("subject", "roles", "visible", "expected"), [
    ("alice", (), True, None),
    ("alice", (), False, None),
    ("root", ("admin",), False, None),
    ("bob", ("editor",), True, 403),
    ("bob", ("editor",), False, 404),
])
def test_require_owner_lets_owner_and_admin_through_and_refuses_others(subject, roles, visible, expected):
    from fastapi import HTTPException

    from arrakis_common.auth import Principal
    from arrakis_common.ownership import require_owner

    principal = Principal(subject=subject, roles=frozenset(roles))
    if expected is None:
        require_owner("alice", principal, what="thing 1", visible=visible)
        return
    with pytest.raises(HTTPException) as caught:
        require_owner("alice", principal, what="thing 1", visible=visible)
    assert caught.value.status_code == expected


def test_a_consumer_handles_only_events_signed_by_their_subjects_owner(tmp_path: Path, nats_server, token_issuer,
                                                                      auth_header):
    from arrakis_common.events import schema_bucket
    from arrakis_common.provenance import KeyDirectory, sign

    keys = KeyDirectory(tmp_path / "keys")
    intruder = keys.private_key("intruder-service")  # a real platform service, but not the owner of sample subjects
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    with make_client(db, nats_server.url, token_issuer, event_keys_dir=keys.directory) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        assert client.post("/notes", json={"text": "real"}, headers=auth_header("w", "writer")).status_code == 201
        wait_until(lambda: count(client, select(func.count()).select_from(Seen)) == 1)
        owner = keys.private_key("sample-service")

        def envelope(source: str = "sample-service", subject: str = NoteCreated.subject, **payload: object) -> dict:
            return Envelope.wrap(NoteCreated(id=1, text="forged", **payload), source=source,
                                 subject=subject).model_dump(mode="json")

        unsigned = envelope()
        by_intruder = envelope(source="intruder-service")
        by_intruder["signature"] = sign(by_intruder, intruder)
        posing = envelope()
        posing["signature"] = sign(posing, intruder)
        altered = envelope()
        altered["signature"] = sign(altered, owner)
        altered["payload"]["text"] = "changed on the way"
        elsewhere = envelope()
        elsewhere["signature"] = sign(elsewhere, owner)
        # A registry record for a subject the service consumes, claiming its owner without its signature.
        unowned_subject = "arrakis.sample.note.deleted"
        squatted = envelope(subject=unowned_subject)
        squatted["signature"] = sign(squatted, owner)
        # A subject no registry key can spell: there is no owner to find.
        odd_subject = "arrakis.sample.note.m%ved"
        odd = envelope(subject=odd_subject)
        odd["signature"] = sign(odd, owner)
        genuine = envelope()
        genuine["signature"] = sign(genuine, owner)

        async def send() -> None:
            nc = await nats.connect(nats_server.url)
            js = nc.jetstream(timeout=30)
            kv = await schema_bucket(js)
            await kv.put(unowned_subject, json.dumps({"subject": unowned_subject, "source": "sample-service",
                                                      "schema": {}}).encode())
            for wire_subject, body in [(NoteCreated.subject, unsigned), (NoteCreated.subject, by_intruder),
                                       (NoteCreated.subject, posing), (NoteCreated.subject, altered),
                                       ("arrakis.sample.note.moved", elsewhere), (unowned_subject, squatted),
                                       (odd_subject, odd), (NoteCreated.subject, genuine)]:
                await js.publish(wire_subject, json.dumps(body).encode(), headers={"Nats-Msg-Id": body["id"]})
            await nc.close()

        asyncio.run(send())
        provenance = client.app.state.runtime.bus.provenance
        wait_until(lambda: count(client, select(func.count()).select_from(Seen)) == 2)
        wait_until(lambda: sum(provenance.refused.values()) == 7)
        assert provenance.refused == {"unsigned": 1, "not-owner": 3, "bad-signature": 2, "subject-mismatch": 1}
        with client.app.state.runtime.database().session() as session:
            seen = set(session.scalars(select(Seen.event_id)))
        assert genuine["id"] in seen and not seen & {e["id"] for e in (unsigned, by_intruder, posing, altered)}
        metrics = client.get("/metrics").text
        assert 'arrakis_events_refused_total{reason="bad-signature"} 2.0' in metrics
        assert 'arrakis_events_refused_total{reason="not-owner"} 3.0' in metrics


def test_keys_are_owner_only_and_names_cannot_leave_the_folder(tmp_path: Path):
    from arrakis_common.provenance import KeyDirectory

    keys = KeyDirectory(tmp_path / "keys")
    keys.private_key("user-service")
    assert stat.S_IMODE((tmp_path / "keys" / "user-service.key").stat().st_mode) == 0o600
    assert keys.public_key("user-service") is not None
    assert keys.public_key("../keys/user-service") is None and keys.public_key("nobody") is None
    with pytest.raises(ValueError, match="not a service name"):
        keys.private_key("../../etc/evil")


def outbox_publication_rate(client: TestClient, rows: int) -> float:
    """Rows per second the relay published among the first ``rows`` outbox rows, from the outbox's own stamps: one
    stamp per acknowledged batch, so the first batch marks the start and every later row counts against the time
    from the first stamp to the last."""
    with client.app.state.runtime.database().session() as session:
        stamps = [row[0] for row in session.execute(select(Outbox.published_at).order_by(Outbox.seq).limit(rows))]
    assert len(stamps) == rows and None not in stamps
    first, last = min(stamps), max(stamps)
    later = sum(1 for stamp in stamps if stamp != first)
    return later / max((last - first).total_seconds(), 1e-6)


def test_relay_drains_a_backlog_three_times_faster_than_the_api_creates(tmp_path: Path, token_issuer, auth_header):
    """The API's create rate, then the relay's rate draining that backlog while the API goes on creating."""
    server = NatsServer(store_dir=tmp_path / "js")  # not started yet: the creates pile up in the outbox
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    writer = auth_header("w", "writer")
    backlog, during = 600, 300
    with make_client(db, server.url, token_issuer, outbox_batch_size=100) as client:
        started = time.perf_counter()
        for i in range(backlog):
            assert client.post("/notes", json={"text": f"n{i}"}, headers=writer).status_code == 201
        api_rate = backlog / (time.perf_counter() - started)
        statuses: list[int] = []

        def keep_creating() -> None:
            statuses.extend(client.post("/notes", json={"text": f"m{i}"}, headers=writer).status_code
                            for i in range(during))

        creator = threading.Thread(target=keep_creating)
        server.start()
        try:
            creator.start()
            creator.join()
            wait_until(lambda: count(client, select(func.count()).where(Outbox.published_at.is_(None))) == 0,
                       timeout=60, interval=0.05)
            relay_rate = outbox_publication_rate(client, backlog)
        finally:
            server.stop()
    assert statuses == [201] * during
    print(f"API {api_rate:.0f} creates/s, relay {relay_rate:.0f} events/s under the same write load "
          f"({relay_rate / api_rate:.1f}x)")
    assert relay_rate >= 3 * api_rate, (api_rate, relay_rate)


def publish_raw(nats_url: str, messages: list[tuple[str, bytes]]) -> None:
    """Put messages on the stream as they are, bypassing every service's outbox (a poison event's way in)."""

    async def run() -> None:
        nc = await nats.connect(nats_url)
        js = nc.jetstream(timeout=10)
        for subject, body in messages:
            await js.publish(subject, body, headers={"Nats-Msg-Id": str(uuid.uuid4())})
        await nc.close()

    asyncio.run(run())


def envelope_bytes(payload: object, signer: object = None, **fields: object) -> bytes:
    """An envelope from the subject's owner (signed with ``signer``, its private key, when given)."""
    from arrakis_common.provenance import sign

    envelope = {"id": str(uuid.uuid4()), "subject": NoteCreated.subject, "type": "NoteCreated", "version": 1,
                "occurred_at": "2026-01-01T00:00:00Z", "source": "sample-service", "payload": payload, **fields}
    if signer is not None:  # signed as the relay signs: the envelope with every field it has, defaults included
        envelope = Envelope.model_validate(envelope).model_dump(mode="json")
        envelope["signature"] = sign(envelope, signer)
    return json.dumps(envelope).encode()


def test_events_a_consumer_cannot_handle_are_dead_lettered_with_the_reason(tmp_path: Path, nats_server, token_issuer,
                                                                          auth_header):
    deep: object = "bottom"
    for _ in range(300):
        deep = [deep]
    from arrakis_common.provenance import KeyDirectory

    keys = KeyDirectory(tmp_path / "keys")
    owner = keys.private_key("sample-service")  # past the provenance check: these come from the subject's owner
    poison = [
        (NoteCreated.subject, b"{not json"),
        (NoteCreated.subject, envelope_bytes({"id": 1, "text": "deep", "nested": deep})),  # past the parser's depth
        (NoteCreated.subject, envelope_bytes({"id": "not a number", "text": "x"}, owner)),
        (NoteCreated.subject, envelope_bytes({"id": 7, "text": "boom"}, owner)),  # the handler fails every time
        (NoteCreated.subject, envelope_bytes({"id": 8, "text": "forged"})),  # unsigned: refused, and kept
    ]
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    with make_client(db, nats_server.url, token_issuer, consumer_max_deliveries=2,
                     event_keys_dir=keys.directory) as client:
        wait_until(lambda: client.get("/health/ready").json()["status"] == "ok")
        engine = client.app.state.runtime.database().engine
        publish_raw(nats_server.url, poison)
        assert client.post("/notes", json={"text": "fine"}, headers=auth_header("w", "writer")).status_code == 201
        wait_until(lambda: dead_letters.count(engine, "sample-seen") == 5, timeout=30)
        wait_until(lambda: count(client, select(func.count()).select_from(Seen)) == 1)  # the good event still passes
        with engine.connect() as conn:
            rows = conn.execute(select(dead_letters.event_dead_letters).order_by(
                dead_letters.event_dead_letters.c.stream_seq)).mappings().all()
        assert [row["reason"] for row in rows] == ["malformed", "malformed", "invalid_payload", "handler_failed",
                                                   "refused"]
        assert rows[4]["detail"] == "PermissionError: unsigned"
        assert "recursion limit" in rows[1]["detail"] and rows[0]["body"] == "{not json"
        assert rows[3]["deliveries"] == 2 and "cannot take this note" in rows[3]["detail"]
        assert all(row["stream_seq"] and row["event_id"] for row in rows)
        metrics = client.get("/metrics").text
        assert (f'arrakis_events_dead_lettered_total{{reason="malformed",subject="{NoteCreated.subject}"}} 2.0'
                in metrics), metrics
        assert f'arrakis_events_dead_lettered_total{{reason="handler_failed",subject="{NoteCreated.subject}"}} 1.0' \
            in metrics


def test_a_frozen_broker_is_degraded_within_five_seconds_while_writes_go_on(tmp_path: Path, token_issuer,
                                                                           auth_header):
    server = NatsServer(store_dir=tmp_path / "js")
    server.start()
    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    try:
        with make_client(db, server.url, token_issuer) as client:
            wait_until(lambda: client.get("/health/ready").json()["status"] == "ok", timeout=30)
            assert server.proc is not None
            os.kill(server.proc.pid, signal.SIGSTOP)  # the TCP connection stays open; nothing answers
            frozen = time.monotonic()
            try:
                wait_until(lambda: client.get("/health/ready").json()["broker"] == "degraded", timeout=5,
                           interval=0.1)
                took = time.monotonic() - frozen
                ready = client.get("/health/ready")
                assert ready.status_code == 200 and ready.json()["status"] == "degraded", ready.json()
                assert ready.json()["checks"] == {"database": True, "nats": False}
                assert client.post("/notes", json={"text": "while frozen"},
                                   headers=auth_header("w", "writer")).status_code == 201
                assert 'arrakis_ready{check="nats"} 0.0' in client.get("/metrics").text
            finally:
                os.kill(server.proc.pid, signal.SIGCONT)
            print(f"degraded {took:.1f} s after the freeze")
            wait_until(lambda: client.get("/health/ready").json()["status"] == "ok", timeout=15)
            wait_until(lambda: count(client, select(func.count()).select_from(Seen)) == 1, timeout=30)
    finally:
        server.stop()


def test_stream_limits_come_from_settings_and_follow_them(tmp_path: Path, token_issuer):
    server = NatsServer(store_dir=tmp_path / "js")
    server.start()

    async def limits() -> tuple[float | None, int | None]:
        nc = await nats.connect(server.url)
        config = (await nc.jetstream(timeout=10).stream_info("ARRAKIS")).config
        await nc.close()
        return config.max_age, config.max_bytes

    db = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    try:
        with make_client(db, server.url, token_issuer, nats_stream_max_age_seconds=3600,
                         nats_stream_max_bytes=50_000_000) as client:
            wait_until(lambda: client.get("/health/ready").json()["status"] == "ok", timeout=30)
        assert asyncio.run(limits()) == (3600.0, 50_000_000)
        with make_client(db, server.url, token_issuer, nats_stream_max_age_seconds=600,
                         nats_stream_max_bytes=0) as client:  # an existing stream takes the new limits
            wait_until(lambda: client.get("/health/ready").json()["status"] == "ok", timeout=30)
        assert asyncio.run(limits()) == (600.0, -1)
    finally:
        server.stop()
