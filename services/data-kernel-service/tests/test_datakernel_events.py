"""data-kernel-service on a real NATS: a transform.requested event runs the transform, events are published,
the consumer is idempotent and the request schema is registered by its owner."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import nats
from sqlalchemy import func, select

from arrakis_common.events import Envelope, lookup_schema
from arrakis_common.testing import signed_by_source, stream_envelopes, wait_until
from data_kernel_service.events import TransformRequested
from data_kernel_service.models import TransformRun

SUBJECT = "arrakis.data.transform.requested"


async def publish(nats_url: str, envelope: Envelope, msg_id: str | None = None, keys_dir: Path | None = None) -> None:
    """Publish ``envelope`` as its source's relay would: signed with that service's key in ``keys_dir``."""
    if keys_dir is not None:
        envelope = signed_by_source(envelope, keys_dir)
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream(timeout=30).publish(envelope.subject, envelope.model_dump_json().encode(),
                                     headers={"Nats-Msg-Id": msg_id or envelope.id})
    finally:
        await nc.close()


def completed_event(nats_url: str, run_id: str) -> dict | None:
    """The transform.completed envelope of ``run_id`` from the stream, or None."""
    return next((e for e in stream_envelopes(nats_url, "arrakis.data.transform.completed")
                 if e["payload"]["run_id"] == run_id), None)


async def registered_schema(nats_url: str) -> dict | None:
    nc = await nats.connect(nats_url)
    try:
        return await lookup_schema(nc.jetstream(timeout=30), SUBJECT)
    finally:
        await nc.close()


def test_transform_requested_event_runs_transform(database_url, nats_server, make_client, auth_header, sales,
                                                  tmp_path):
    editor = auth_header("ed", "editor")
    keys = tmp_path / "event-keys"  # the app's data_dir is tmp_path
    with make_client(database_url, nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        source = sales(client, editor)
        transform = client.post("/transforms", headers=editor, json={
            "name": "by-region", "source_dataset_id": source, "target_dataset": f"by_region_{uuid.uuid4().hex[:6]}",
            "steps": [{"type": "aggregate", "group_by": ["region"], "aggregations": [{"function": "count"}]}]}).json()
        # Published by a service the owner does not name: refused, so it never runs.
        forged = Envelope.wrap(TransformRequested(transform_id=transform["id"]), source="event-gateway")
        asyncio.run(publish(nats_server.url, forged, keys_dir=keys))
        # scheduler-service may ask; the run is requested by the job owner it authenticated, not the payload's claim.
        request = Envelope.wrap(TransformRequested(transform_id=transform["id"], requested_by="scheduler-job"),
                                source="scheduler-service", actor="ed")
        asyncio.run(publish(nats_server.url, request, keys_dir=keys))

        def runs() -> list[dict]:
            return client.get(f"/transforms/{transform['id']}/runs", headers=editor).json()["items"]

        [run] = wait_until(runs)
        assert run["status"] == "succeeded" and run["trigger"] == "event" and run["event_id"] == request.id
        assert run["requested_by"] == "ed" and (run["rows_in"], run["rows_out"]) == (4, 3)
        assert client.app.state.runtime.bus.provenance.refused == {"not-owner": 1}
        output = client.get(f"/datasets/{run['output_dataset_id']}", headers=editor).json()
        assert output["name"] == transform["target_dataset"] and output["derived_from"] == transform["id"]
        rows = client.get(f"/datasets/{output['id']}/records", headers=editor).json()["items"]
        assert [r["data"] for r in rows] == [{"region": "north", "count": 2}, {"region": "south", "count": 1},
                                             {"region": "east", "count": 1}]

        completed = wait_until(lambda: completed_event(nats_server.url, run["id"]))
        assert completed is not None, "transform.completed not published"
        assert completed["payload"]["output_dataset_id"] == output["id"]
        assert completed["source"] == "data-kernel-service"

        # A redelivery of the same event (new NATS message id, same envelope id) is a no-op; the request after it
        # is handled, so once it is counted the duplicate has been seen too.
        bus = client.app.state.runtime.bus
        consumed = bus.consumed
        asyncio.run(publish(nats_server.url, request, msg_id=str(uuid.uuid4()), keys_dir=keys))
        missing = Envelope.wrap(TransformRequested(transform_id="missing"), source="scheduler-service")
        asyncio.run(publish(nats_server.url, missing, keys_dir=keys))
        wait_until(lambda: bus.consumed == consumed + 1)
        assert len(runs()) == 1

        # A job of another account asking for ed's transform: recorded as a failed run, the output untouched.
        someone_elses = Envelope.wrap(TransformRequested(transform_id=transform["id"], requested_by="ed"),
                                      source="scheduler-service", actor="mallory")
        asyncio.run(publish(nats_server.url, someone_elses, keys_dir=keys))
        refused = wait_until(lambda: [r for r in runs() if r["event_id"] == someone_elses.id])[0]
        assert (refused["status"], refused["requested_by"]) == ("failed", "mallory")
        assert "mallory, who did not create transform" in refused["error"]
        assert client.get(f"/datasets/{output['id']}", headers=editor).json()["version"] == output["version"]

        schema = asyncio.run(registered_schema(nats_server.url))
        assert schema is not None and schema["source"] == "data-kernel-service"
        assert schema["publishers"] == ["scheduler-service"] and schema["signature"].startswith("ed25519:")
        assert "transform_id" in schema["schema"]["properties"]


def test_consumer_is_idempotent_and_tolerates_bad_requests(database_url, make_client, auth_header, sales):
    editor = auth_header("ed", "editor")
    with make_client(database_url) as client:
        source = sales(client, editor)
        transform = client.post("/transforms", headers=editor, json={
            "name": "copy", "source_dataset_id": source, "target_dataset": "copy",
            "steps": [{"type": "select", "columns": ["region"]}]}).json()
        runtime = client.app.state.runtime
        [sub] = runtime.bus.subscriptions
        assert (sub.subject, sub.durable) == (SUBJECT, "data-kernel-service-transforms")
        envelope = Envelope.wrap(TransformRequested(transform_id=transform["id"]), source="test")
        assert runtime.bus.handle(sub, sub.durable, envelope) is True
        assert runtime.bus.handle(sub, sub.durable, envelope) is False
        # Even past the inbox (another consumer name), the run's event id keeps the handler from running twice.
        assert runtime.bus.handle(sub, "other-consumer", envelope) is True
        for payload in ({"transform_id": "missing"}, {"nothing": 1}):
            odd = Envelope(id=str(uuid.uuid4()), subject=SUBJECT, type="X", occurred_at=envelope.occurred_at,
                           source="test", payload=payload)
            assert runtime.bus.handle(sub, sub.durable, odd) is True
        with runtime.database().session() as session:
            assert session.execute(select(func.count()).select_from(TransformRun)).scalar_one() == 1
        [run] = client.get(f"/transforms/{transform['id']}/runs", headers=editor).json()["items"]
        assert run["requested_by"] == "test" and run["event_id"] == envelope.id
