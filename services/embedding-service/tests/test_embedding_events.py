"""embedding-service consumes ontology object events from a real NATS server and announces what it indexed."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import nats
from sqlalchemy import func, select

from arrakis_common.events import Envelope, lookup_schema, utcnow
from arrakis_common.testing import register_signed_schemas, signed_by_source, stream_envelopes, wait_until
from embedding_service.models import Outbox
from embedding_service.ontology_index import DURABLE


def object_envelope(verb: str, object_id: str, version: int = 1, **properties: object) -> Envelope:
    payload: dict[str, object] = {"object_id": object_id, "object_type": "Creature"}
    if verb != "deleted":
        payload |= {"properties": properties, "version": version, "title": str(properties.get("name", ""))}
    return Envelope(id=str(uuid.uuid4()), subject=f"arrakis.ontology.object.{verb}", type=f"Object{verb.title()}",
                    occurred_at=utcnow(), source="ontology-management-service", payload=payload)


OBJECT_SUBJECTS = [f"arrakis.ontology.object.{verb}" for verb in ("created", "updated", "deleted")]


async def publish(url: str, envelope: Envelope, keys_dir: Path | None = None) -> None:
    """Publish ``envelope`` as its source's relay would: signed with the source's key in ``keys_dir`` (if given)."""
    if keys_dir is not None:
        envelope = signed_by_source(envelope, keys_dir)
    nc = await nats.connect(url)
    try:
        await nc.jetstream(timeout=30).publish(envelope.subject, envelope.model_dump_json().encode(),
                                     headers={"Nats-Msg-Id": envelope.id})
    finally:
        await nc.close()


async def indexed_schema(url: str) -> dict | None:
    nc = await nats.connect(url)
    try:
        return await lookup_schema(nc.jetstream(timeout=30), "arrakis.embedding.object.indexed")
    finally:
        await nc.close()


def indexed_outbox_rows(client, object_id: str) -> int:
    with client.app.state.runtime.database().session() as session:
        return session.execute(select(func.count()).where(Outbox.body.contains(object_id))).scalar_one()


def test_object_events_keep_the_index_in_step(make_client, database_url, nats_server, editor, viewer, tmp_path):
    worm, harvester, forged = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    keys = tmp_path / "event-keys"  # the app's data_dir is tmp_path
    register_signed_schemas(nats_server.url, keys, "ontology-management-service", *OBJECT_SUBJECTS)
    with make_client(database_url, nats_url=nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        # An object that does not exist, announced unsigned and by a service that does not own the subject:
        # neither reaches the index.
        asyncio.run(publish(nats_server.url, object_envelope("created", forged, name="Ghost")))
        fake = object_envelope("created", forged, name="Ghost").model_copy(update={"source": "event-gateway"})
        asyncio.run(publish(nats_server.url, fake, keys))
        item = f"/collections/ontology-objects/items/{worm}"
        asyncio.run(publish(nats_server.url, object_envelope("created", worm, name="Shai-Hulud",
                                                             description="sand worms of Arrakis", length=400), keys))
        asyncio.run(publish(nats_server.url, object_envelope("created", harvester, name="Harvester",
                                                             description="spice harvester crawler"), keys))
        wait_until(lambda: client.get(item, headers=viewer).status_code == 200)
        assert client.get(item, headers=viewer).json()["text"] == "Creature Shai-Hulud sand worms of Arrakis"
        assert client.get(f"/collections/ontology-objects/items/{forged}", headers=viewer).status_code == 404
        assert client.app.state.runtime.bus.provenance.refused == {"unsigned": 1, "not-owner": 1}
        wait_until(lambda: client.get(f"/collections/ontology-objects/items/{harvester}", headers=viewer
                                      ).status_code == 200)
        hits = client.post("/collections/ontology-objects/search",
                           json={"text": "giant sandworm", "k": 1, "filter": {"object_type": "Creature"}},
                           headers=viewer).json()["hits"]
        assert hits[0]["id"] == worm and hits[0]["metadata"]["title"] == "Shai-Hulud"

        asyncio.run(publish(nats_server.url, object_envelope("updated", worm, version=2, name="Shai-Hulud",
                                                             description="maker of the desert"), keys))
        wait_until(lambda: client.get(item, headers=viewer).json()["metadata"]["version"] == 2)
        assert "maker of the desert" in client.get(item, headers=viewer).json()["text"]

        # The same event twice is handled once (inbox); an older or repeated version changes nothing (handler).
        runtime = client.app.state.runtime
        subscription = runtime.bus.subscriptions[0]
        replay = object_envelope("updated", worm, version=2, name="Stale", description="stale")
        rows_before = indexed_outbox_rows(client, worm)
        assert runtime.bus.handle(subscription, DURABLE, replay) is True
        assert runtime.bus.handle(subscription, DURABLE, replay) is False
        assert client.get(item, headers=viewer).json()["text"] == "Creature Shai-Hulud maker of the desert"
        assert indexed_outbox_rows(client, worm) == rows_before

        asyncio.run(publish(nats_server.url, object_envelope("deleted", worm), keys))
        wait_until(lambda: client.get(item, headers=viewer).status_code == 404)
        deleted_again = object_envelope("deleted", worm)
        assert runtime.bus.handle(subscription, DURABLE, deleted_again) is True  # nothing left to delete: no error
        wait_until(lambda: runtime.bus.pending_count() == 0)

    events = stream_envelopes(nats_server.url, "arrakis.embedding.object.indexed")
    schema = asyncio.run(indexed_schema(nats_server.url))
    mine = [e["payload"] for e in events if e["payload"]["object_id"] in (worm, harvester)]
    assert sorted(mine, key=lambda p: p["object_id"] == harvester) == [
        {"collection": "ontology-objects", "object_id": worm}, {"collection": "ontology-objects", "object_id": worm},
        {"collection": "ontology-objects", "object_id": harvester}]
    assert schema is not None and schema["source"] == "embedding-service"
