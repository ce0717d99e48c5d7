"""Events embedding-service publishes."""

from __future__ import annotations

from typing import ClassVar

from arrakis_common.events import Event


class ObjectIndexed(Event):
    """An ontology object's text was embedded into a collection."""

    subject: ClassVar[str] = "arrakis.embedding.object.indexed"
    collection: str
    object_id: str
