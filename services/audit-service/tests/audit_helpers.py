"""Helpers for audit-service tests: envelopes, feeding the consumer directly, publishing to JetStream."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
from fastapi.testclient import TestClient

from arrakis_common.events import Envelope
from arrakis_common.testing import register_signed_schemas, signed_by_source


def envelope(subject: str, payload: dict[str, Any] | None = None, *, source: str = "test-service",
             occurred_at: datetime | None = None, event_id: str | None = None) -> Envelope:
    return Envelope(id=event_id or str(uuid.uuid4()), subject=subject, type=subject.rsplit(".", 1)[-1].title(),
                    occurred_at=occurred_at or datetime.now(UTC), source=source, payload=payload or {})


def consume(client: TestClient, *envelopes: Envelope) -> list[bool]:
    """Run the audit consumer on ``envelopes`` the way a JetStream delivery does (inbox included)."""
    bus = client.app.state.runtime.bus
    [subscription] = bus.subscriptions
    return [bus.handle(subscription, subscription.durable, env) for env in envelopes]


def publish(nats_url: str, envelopes: list[Envelope], stream: str = "ARRAKIS", keys_dir: Path | None = None) -> None:
    """Publish ``envelopes`` with nats-py to JetStream, each with a fresh Nats-Msg-Id (no broker-side dedupe).

    With ``keys_dir``, each is signed by its source (as its relay would) after that source registers the subject."""
    if keys_dir is not None:
        for env in envelopes:
            register_signed_schemas(nats_url, keys_dir, env.source, env.subject)
        envelopes = [signed_by_source(env, keys_dir) for env in envelopes]

    async def run() -> None:
        nc = await nats.connect(nats_url)
        js = nc.jetstream(timeout=30)
        for _ in range(100):  # the service creates the stream once it connects
            try:
                await js.stream_info(stream)
                break
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.1)
        for env in envelopes:
            await js.publish(env.subject, env.model_dump_json().encode(), headers={"Nats-Msg-Id": uuid.uuid4().hex})
        await nc.close()

    asyncio.run(run())
