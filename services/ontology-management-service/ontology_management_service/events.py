"""Events ontology-management-service publishes: one class per subject ``arrakis.ontology.<entity>.<verb>``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from arrakis_common.events import Event

# The payload field ``version`` (of the type or object) would shadow Event.version, the envelope's schema version:
# it lives under another attribute name and is serialised as ``version``.
VERSIONED = ConfigDict(serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)


class ObjectTypeChanged(Event):
    """Payload shared by object type created/updated: the whole current definition."""

    model_config = VERSIONED
    object_type_id: str
    api_name: str
    display_name: str
    type_version: int = Field(alias="version", description="Version of the type definition after the change")
    title_property: str
    properties: list[dict[str, Any]]


class ObjectTypeCreated(ObjectTypeChanged):
    subject: ClassVar[str] = "arrakis.ontology.object_type.created"


class ObjectTypeUpdated(ObjectTypeChanged):
    subject: ClassVar[str] = "arrakis.ontology.object_type.updated"


class ObjectTypeDeleted(Event):
    subject: ClassVar[str] = "arrakis.ontology.object_type.deleted"
    object_type_id: str
    api_name: str


class LinkTypeChanged(Event):
    """Payload shared by link type created/updated."""

    link_type_id: str
    api_name: str
    display_name: str
    source_object_type: str
    target_object_type: str
    cardinality: str


class LinkTypeCreated(LinkTypeChanged):
    subject: ClassVar[str] = "arrakis.ontology.link_type.created"


class LinkTypeUpdated(LinkTypeChanged):
    subject: ClassVar[str] = "arrakis.ontology.link_type.updated"


class LinkTypeDeleted(Event):
    subject: ClassVar[str] = "arrakis.ontology.link_type.deleted"
    link_type_id: str
    api_name: str


class ObjectChanged(Event):
    """Payload shared by object created/updated: the object's properties after the change."""

    model_config = VERSIONED
    object_id: str
    object_type: str
    properties: dict[str, Any]
    object_version: int = Field(alias="version", description="Version of the object after the change")
    title: str = ""


class ObjectCreated(ObjectChanged):
    subject: ClassVar[str] = "arrakis.ontology.object.created"


class ObjectUpdated(ObjectChanged):
    subject: ClassVar[str] = "arrakis.ontology.object.updated"


class ObjectDeleted(Event):
    subject: ClassVar[str] = "arrakis.ontology.object.deleted"
    object_id: str
    object_type: str


class LinkChanged(Event):
    link_id: str
    link_type: str
    source_object_id: str
    target_object_id: str


class LinkCreated(LinkChanged):
    subject: ClassVar[str] = "arrakis.ontology.link.created"


class LinkDeleted(LinkChanged):
    subject: ClassVar[str] = "arrakis.ontology.link.deleted"


PUBLISHED_EVENTS: tuple[type[Event], ...] = (
    ObjectTypeCreated, ObjectTypeUpdated, ObjectTypeDeleted,
    LinkTypeCreated, LinkTypeUpdated, LinkTypeDeleted,
    ObjectCreated, ObjectUpdated, ObjectDeleted,
    LinkCreated, LinkDeleted,
)
