"""Fixtures of the event-gateway tests: the app on real servers, a real webhook receiver, NATS helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import nats
import pytest
from fastapi.testclient import TestClient

from arrakis_common.events import Envelope, Event, schema_bucket, utcnow
from arrakis_common.testing import signed_by_source, signed_record, stream_envelopes
from event_gateway.app import create_app
from event_gateway.settings import Settings


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def envelope(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint on a free port: records every POST and answers with the queued status codes, then 200;
    with ``drip_seconds`` it answers 200 one byte at a time, that many seconds apart (a slow receiver)."""

    statuses: list[int] = field(default_factory=list)
    drip_seconds: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/hooks/arrakis"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body))
                    code = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.drip_seconds:
                    self.drip()
                    return
                self.send_response(code)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def drip(self) -> None:
                self.send_response(200)
                self.send_header("content-length", "30")
                self.end_headers()
                with contextlib.suppress(OSError):  # the sender gave up and closed the connection
                    for _ in range(30):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(receiver.drip_seconds)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def for_subject(self, subject: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.headers.get("x-arrakis-subject") == subject]


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def gateway(tmp_path, token_issuer) -> Callable[..., TestClient]:
    """``gateway(database_url, nats_url, **settings)`` -> a TestClient (use it as a context manager)."""

    def make(database_url: str, nats_url: str = "nats://127.0.0.1:1", **overrides: Any) -> TestClient:
        values: dict[str, Any] = {"database_url": database_url, "nats_url": nats_url, "data_dir": tmp_path,
                                  "outbox_poll_seconds": 0.05, "delivery_poll_seconds": 0.02,
                                  "retry_base_seconds": 0.01, "retry_max_seconds": 0.05,
                                  "webhook_timeout_seconds": 5.0,
                                  # The test receivers listen on 127.0.0.1, which webhooks may not reach by default.
                                  "webhook_allowed_networks": ["127.0.0.0/8"], **overrides}
        app = create_app(Settings(**values))
        app.state.verifier = token_issuer
        return TestClient(app)

    return make


@pytest.fixture()
def subject_root() -> str:
    """A subject prefix no other test uses, since the NATS server and the durable consumer live for the session; its
    domain is ``gwtest`` (subscribers need role events-gwtest)."""
    return f"arrakis.gwtest.t{uuid.uuid4().hex[:10]}"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with_js(nats_url: str, action: Callable[[Any], Any]) -> Any:
    nc = await nats.connect(nats_url)
    try:
        return await action(nc.jetstream(timeout=30))
    finally:
        await nc.close()


@pytest.fixture()
def publish_envelope(nats_server, tmp_path) -> Callable[..., Envelope]:
    """Publish an envelope straight onto the stream, the way another service's relay would: signed by
    ``test-producer``, which registers the subject (with its signed record) first, so the gateway trusts it."""

    def publish(subject: str, payload: dict[str, Any] | None = None, event_id: str | None = None) -> Envelope:
        keys = tmp_path / "event-keys"  # the gateway fixture's data_dir is tmp_path
        envelope = signed_by_source(Envelope(id=event_id or str(uuid.uuid4()), subject=subject, type="TestEvent",
                                             version=1, occurred_at=utcnow(), source="test-producer",
                                             payload=payload or {}), keys)
        record = signed_record({"subject": subject, "version": 1, "type": "TestEvent", "source": "test-producer",
                                "schema": {"type": "object"}}, keys)

        async def send(js: Any) -> None:
            kv = await schema_bucket(js)
            await kv.put(subject, json.dumps(record, sort_keys=True).encode())
            await js.publish(subject, envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": envelope.id})

        run(_with_js(nats_server.url, send))
        return envelope

    return publish


@pytest.fixture()
def register_schema(nats_server) -> Callable[[type[Event]], dict[str, Any]]:
    """Put an Event class's registry record into the KV bucket exactly as EventBus.declare would."""

    def register(event: type[Event]) -> dict[str, Any]:
        record = {"subject": event.subject, "version": event.version, "type": event.__name__,
                  "source": "test-producer", "schema": event.model_json_schema()}

        async def put(js: Any) -> None:
            kv = await schema_bucket(js)
            await kv.put(event.subject, json.dumps(record, sort_keys=True).encode())

        run(_with_js(nats_server.url, put))
        return record

    return register


@pytest.fixture()
def stream_messages(nats_server) -> Callable[[str], list[dict[str, Any]]]:
    """Every envelope on the ARRAKIS stream under ``subject`` (wildcards allowed), via an ephemeral consumer."""
    return lambda subject: stream_envelopes(nats_server.url, subject)
