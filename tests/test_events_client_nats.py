"""The generated asyncapi-python client of data-kernel-service talks to the running service over real NATS, both ways:
a ``TransformRequested`` envelope sent through the generated producer and our nats-py wire makes the service run the
transform (its HTTP API shows an event-triggered run carrying our envelope id), and the ``TransformCompleted`` envelope
the service then publishes is received and decoded into the generated, typed model. The wire's own contract
(Nats-Msg-Id from the envelope id, receiving and acking) is checked on a stream of its own."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import nats
import yaml

from arrakis_common.events import Envelope
from arrakis_common.testing import client_factory, signed_by_source, wait_until
from data_kernel_service.app import create_app
from data_kernel_service.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "catalog" / "apis" / "data-kernel-service-events.asyncapi.json"
SUBJECT = "arrakis.data.transform.requested"
COMPLETED = "arrakis.data.transform.completed"
COLUMNS = [{"name": "region", "type": "string", "nullable": False},
           {"name": "quantity", "type": "integer", "nullable": False}]
ROWS = [{"region": "north", "quantity": 3}, {"region": "south", "quantity": 10}, {"region": "north", "quantity": 1}]


def load_wire() -> ModuleType:
    """tests/events_client/nats_wire.py, loaded by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("events_client_nats_wire",
                                                  Path(__file__).parent / "events_client" / "nats_wire.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def client_view(service_spec: Path, target: Path) -> Path:
    """The service's spec seen from a client that requests transforms and hears when they complete: the service
    receives the request and sends the completion, so the client does the opposite (AsyncAPI 3 operations are written
    from the application's own point of view)."""
    document = yaml.safe_load(service_spec.read_text(encoding="utf-8"))
    request = document["operations"]["receive_arrakis_data_transform_requested"]
    completion = document["operations"]["send_arrakis_data_transform_completed"]
    document["operations"] = {"send_arrakis_data_transform_requested": {**request, "action": "send"},
                              "receive_arrakis_data_transform_completed": {**completion, "action": "receive"}}
    target.write_text(yaml.safe_dump(document, sort_keys=True), encoding="utf-8")
    return target


def test_generated_client_requests_a_transform_over_nats(tmp_path: Path, asyncapi_client, nats_server, token_issuer,
                                                         auth_header) -> None:
    wire = load_wire()
    generated, messages = asyncapi_client(client_view(SPEC, tmp_path / "client.asyncapi.yaml"), "dk_client")
    editor = auth_header("ed", "editor")
    make = client_factory(create_app, Settings, tmp_path, token_issuer)
    with make(f"sqlite:///{(tmp_path / 'dk.db').as_posix()}", nats_url=nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        dataset = client.post("/datasets", headers=editor, json={"name": "orders", "columns": COLUMNS})
        assert dataset.status_code == 201, dataset.text
        ingested = client.post(f"/datasets/{dataset.json()['id']}/records", headers=editor, json=ROWS).json()
        assert ingested["accepted"] == 3, ingested
        created = client.post("/transforms", headers=editor, json={
            "name": "by-region", "source_dataset_id": dataset.json()["id"],
            "target_dataset": f"by_region_{uuid.uuid4().hex[:6]}",
            "steps": [{"type": "aggregate", "group_by": ["region"], "aggregations": [{"function": "count"}]}]})
        assert created.status_code == 201, created.text
        transform_id = created.json()["id"]

        # The message of the spec is the platform envelope, named after the message; the event is its payload. The
        # consumer trusts the subject only from a publisher its owner names (scheduler-service), signed with that
        # publisher's key: the client signs the envelope it sends with it.
        envelope = Envelope(id=str(uuid.uuid4()), subject=SUBJECT, type="TransformRequested", version=1,
                            occurred_at=datetime.now(UTC), source="scheduler-service",
                            payload={"transform_id": transform_id, "requested_by": "generated-client"})
        signature = signed_by_source(envelope, tmp_path / "event-keys").signature
        request = messages.TransformRequested(
            id=envelope.id, subject=SUBJECT, type="TransformRequested", version=1, occurred_at=envelope.occurred_at,
            source=envelope.source, signature=signature,
            payload=messages.TransformRequestedPayload(transform_id=transform_id, requested_by="generated-client"))

        async def request_and_hear_completion() -> Any:
            nc = await nats.connect(nats_server.url)
            completions: asyncio.Queue[Any] = asyncio.Queue()
            try:
                app = generated.Application(wire.NatsWire(nc))

                @app.consumer.receive_arrakis_data_transform_completed
                async def completed(message: Any) -> None:
                    if message.payload.transform_id == transform_id:
                        await completions.put(message)

                await app.start()
                await app.producer.send_arrakis_data_transform_requested(request)
                heard = await asyncio.wait_for(completions.get(), timeout=60)
                await app.stop()
                return heard
            finally:
                await nc.close()

        heard = asyncio.run(request_and_hear_completion())
        assert isinstance(heard, messages.TransformCompleted)
        assert isinstance(heard.payload, messages.TransformCompletedPayload)
        assert (heard.subject, heard.type, heard.source) == (COMPLETED, "TransformCompleted", "data-kernel-service")
        assert (heard.payload.rows_in, heard.payload.rows_out) == (3, 2)

        def runs() -> list[dict]:
            return client.get(f"/transforms/{transform_id}/runs", headers=editor).json()["items"]

        [run] = wait_until(runs)
        assert (run["status"], run["trigger"], run["event_id"]) == ("succeeded", "event", request.id)
        assert run["requested_by"] == "generated-client" and (run["rows_in"], run["rows_out"]) == (3, 2)
        assert heard.payload.run_id == run["id"]


def test_wire_sets_the_envelope_id_as_nats_msg_id_and_receives(nats_server) -> None:
    from asyncapi_python.kernel.document import Channel
    from asyncapi_python.kernel.endpoint.message import WireMessage

    wire = load_wire()
    # A stream of its own keeps these test messages away from the platform's consumers of `arrakis.>`.
    channel = Channel(address="wiretest.{run}.events", title=None, summary=None, description=None, servers=[],
                      messages={}, parameters={}, tags=[], external_docs=None, bindings=None, key="wire")
    run = uuid.uuid4().hex
    envelope_id = str(uuid.uuid4())
    body = f'{{"id": "{envelope_id}", "payload": {{}}}}'.encode()

    async def round_trip() -> tuple[bytes, dict, list[str], bool]:
        nc = await nats.connect(nats_server.url)
        stream = f"WIRETEST_{run}"
        await nc.jetstream().add_stream(name=stream, subjects=[f"wiretest.{run}.>"])
        try:
            factory = wire.NatsWire(nc)
            params = {"channel": channel, "parameters": {"run": run}, "op_bindings": None, "is_reply": False}
            consumer = await factory.create_consumer(**params)
            producer = await factory.create_producer(**params)
            await consumer.start()
            await producer.start()
            await producer.send_batch([WireMessage(_payload=body, _headers={})])
            # The same envelope again: JetStream dedupes it by Nats-Msg-Id, a core subscriber still sees it.
            ack = await nc.jetstream().publish(f"wiretest.{run}.events", body, headers={"Nats-Msg-Id": envelope_id})
            received = await asyncio.wait_for(anext(consumer.recv()), timeout=10)
            await received.ack()
            await consumer.stop()
            await producer.stop()
            return received.payload, received.headers, received.settled, ack.duplicate
        finally:
            await nc.jetstream().delete_stream(stream)
            await nc.close()

    payload, headers, settled, duplicate = asyncio.run(round_trip())
    assert payload == body and headers["Nats-Msg-Id"] == envelope_id
    assert settled == ["ack"] and duplicate is True
