"""The ``ontology-objects`` collection: kept in step with ontology object events, rebuilt on demand over HTTP."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime
from arrakis_common.events import Envelope

from .events import ObjectIndexed
from .models import Collection, Item
from .settings import Settings
from .vector_store import ItemWrite, delete_items, ensure_collection, upsert_items

COLLECTION = "ontology-objects"
OBJECT_EVENTS = "arrakis.ontology.object.*"
DURABLE = "embedding-service-objects"


def object_text(object_type: str, properties: dict[str, Any]) -> str:
    """What gets embedded: the type name and the object's string property values."""
    return " ".join([object_type, *(v for v in properties.values() if isinstance(v, str) and v)])


def object_write(obj: dict[str, Any]) -> ItemWrite:
    """The item of one ontology object (as in events and in ``GET /objects``)."""
    properties = obj.get("properties") or {}
    return ItemWrite(item_id=obj["object_id"], text=object_text(obj["object_type"], properties),
                     metadata={"object_type": obj["object_type"], "version": int(obj.get("version") or 0),
                               "title": str(obj.get("title") or "")})


def ontology_collection(session: Session, settings: Settings) -> Collection:
    return ensure_collection(session, COLLECTION, settings.embedding_dimension, settings.embedder)


def indexed_version(session: Session, collection: Collection, object_id: str) -> int | None:
    metadata = session.scalar(select(Item.item_metadata).where(Item.collection_id == collection.id,
                                                               Item.item_id == object_id))
    return None if metadata is None else int(metadata.get("version") or 0)


def index_objects(session: Session, runtime: ServiceRuntime, collection: Collection,
                  objects: Iterable[dict[str, Any]]) -> int:
    """Embed objects into the collection and announce each one; returns how many."""
    writes = [object_write(obj) for obj in objects]
    upsert_items(session, collection, writes)
    for write in writes:
        runtime.bus.publish(session, ObjectIndexed(collection=collection.name, object_id=write.item_id))
    return len(writes)


def object_event_handler(runtime: ServiceRuntime):  # noqa: ANN201 - an arrakis_common event handler
    """Handler of ``arrakis.ontology.object.*``: upsert on created/updated, delete on deleted.

    Safe to repeat on its own (besides the inbox): an event for a version already indexed changes nothing.
    """
    settings: Settings = runtime.settings  # type: ignore[assignment]

    def handle(session: Session, envelope: Envelope) -> None:
        payload = envelope.payload
        collection = ontology_collection(session, settings)
        if envelope.subject.endswith(".deleted"):
            delete_items(session, collection, [payload["object_id"]])
            return
        current = indexed_version(session, collection, payload["object_id"])
        if current is not None and current >= int(payload.get("version") or 0):
            return
        index_objects(session, runtime, collection, [payload])

    return handle


@dataclass(frozen=True)
class ReindexResult:
    indexed: int
    removed: int


def reindex(session: Session, runtime: ServiceRuntime, objects: list[dict[str, Any]]) -> ReindexResult:
    """Make the collection hold exactly ``objects`` (from ``GET /objects``, keyed ``id``)."""
    collection = ontology_collection(session, runtime.settings)  # type: ignore[arg-type]
    present = {obj["id"] for obj in objects}
    stale = [item_id for item_id in session.scalars(select(Item.item_id).where(Item.collection_id == collection.id))
             if item_id not in present]
    removed = delete_items(session, collection, stale)
    indexed = index_objects(session, runtime, collection, ({**obj, "object_id": obj["id"]} for obj in objects))
    return ReindexResult(indexed=indexed, removed=removed)
