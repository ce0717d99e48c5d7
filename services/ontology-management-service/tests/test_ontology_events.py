"""Every ontology change reaches a real NATS JetStream server as an event; the schema registry knows them all."""

from __future__ import annotations

import asyncio

import nats
from ontology_samples import PERSON, PLANET
from sqlalchemy import func, select

from arrakis_common.events import lookup_schema
from arrakis_common.testing import stream_envelopes, wait_until
from ontology_management_service.events import PUBLISHED_EVENTS
from ontology_management_service.models import Outbox


async def registered(url: str, subjects: list[str]) -> dict[str, dict | None]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        return {subject: await lookup_schema(js, subject) for subject in subjects}
    finally:
        await nc.close()


def pending(client) -> int:
    with client.app.state.runtime.database().session() as session:
        return session.execute(select(func.count()).where(Outbox.published_at.is_(None))).scalar_one()


def test_every_change_is_published(make_client, database_url, nats_server, editor):
    with make_client(database_url, nats_url=nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        client.post("/object-types", json=PERSON, headers=editor)
        client.post("/object-types", json=PLANET, headers=editor)
        changed = {k: v for k, v in PLANET.items() if k != "api_name"}
        client.put("/object-types/Planet", json={**changed, "display_name": "World"}, headers=editor)
        link_type = {"api_name": "LivesOn", "display_name": "lives on", "source_object_type": "Person",
                     "target_object_type": "Planet", "cardinality": "many-to-many"}
        client.post("/link-types", json=link_type, headers=editor)
        client.put("/link-types/LivesOn", json={"display_name": "resides", "cardinality": "one-to-many"},
                   headers=editor)
        person = client.post("/objects", json={"object_type": "Person", "properties": {"name": "Chani", "age": 16}},
                             headers=editor).json()
        planet = client.post("/objects", json={"object_type": "Planet", "properties": {"name": "Arrakis"}},
                             headers=editor).json()
        client.put(f"/objects/{person['id']}", json={"properties": {"name": "Chani Kynes", "age": 17}},
                   headers=editor)
        link = client.post("/links", json={"link_type": "LivesOn", "source_object_id": person["id"],
                                           "target_object_id": planet["id"]}, headers=editor).json()
        client.delete(f"/links/{link['id']}", headers=editor)
        client.delete("/link-types/LivesOn", headers=editor)
        client.delete(f"/objects/{person['id']}", headers=editor)
        client.delete("/object-types/Person", headers=editor)
        wait_until(lambda: pending(client) == 0)
        with client.app.state.runtime.database().session() as session:
            mine = set(session.scalars(select(Outbox.event_id)).all())

    # The server is shared with other tests: keep this run's events, whose ids are in our outbox.
    envelopes = [e for e in stream_envelopes(nats_server.url, "arrakis.ontology.>") if e["id"] in mine]
    assert len(envelopes) == len(mine) == 13
    subjects = [e["subject"] for e in envelopes]
    assert subjects == [
        "arrakis.ontology.object_type.created", "arrakis.ontology.object_type.created",
        "arrakis.ontology.object_type.updated",
        "arrakis.ontology.link_type.created", "arrakis.ontology.link_type.updated",
        "arrakis.ontology.object.created", "arrakis.ontology.object.created", "arrakis.ontology.object.updated",
        "arrakis.ontology.link.created", "arrakis.ontology.link.deleted",
        "arrakis.ontology.link_type.deleted", "arrakis.ontology.object.deleted",
        "arrakis.ontology.object_type.deleted",
    ]
    by_subject = {e["subject"]: e for e in envelopes}
    updated = by_subject["arrakis.ontology.object.updated"]
    assert updated["payload"] == {"object_id": person["id"], "object_type": "Person", "title": "Chani Kynes",
                                  "properties": {"name": "Chani Kynes", "age": 17}, "version": 2}
    assert updated["version"] == 1  # the envelope's schema version, not the object's
    assert by_subject["arrakis.ontology.object.deleted"]["payload"] == {"object_id": person["id"],
                                                                       "object_type": "Person"}
    assert by_subject["arrakis.ontology.object_type.updated"]["payload"]["version"] == 2
    assert by_subject["arrakis.ontology.link.created"]["payload"]["source_object_id"] == person["id"]

    schemas = asyncio.run(registered(nats_server.url, [e.subject for e in PUBLISHED_EVENTS]))
    assert all(record and record["source"] == "ontology-management-service" for record in schemas.values())
    object_schema = schemas["arrakis.ontology.object.created"]["schema"]
    assert {"object_id", "object_type", "properties", "version"} <= set(object_schema["properties"])
