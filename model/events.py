"""Events: NATS channels (subjects), messages (payload schemas), who sends and who receives them.

Part of the architecture model (``ArchitectureModel.events``): plain dataclasses,
JSON-serialisable through ``arrakis_docs.model.architecture.to_jsonable``, sorted by ``normalise`` so output is
deterministic.

Per service the extractor records *usages* (one per call site: send or receive, the channel address, the message,
queue group, durable, handler) plus the messages (payload schemas) and streams it saw. ``link`` then builds the
platform-wide channels: every concrete address, who produces it and who consumes it, directly or through wildcards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from arrakis_docs.model.refs import Edge, SourceRef, entity_id

SEND = "send"
ENVELOPE = "Envelope"  # the wire wrapper of our bus; not an event of its own
RECEIVE = "receive"
_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")


def event_api_name(service: str) -> str:
    """Name of the API (Backstage entity, AsyncAPI document) of one service's events."""
    return f"{service}-events"


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS matching: ``*`` matches one token, a final ``>`` one or more; ``{param}`` tokens behave like ``*``."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":  # nosec B105
            return len(have) > i
        if i >= len(have):
            return False
        if token == "*" or _PARAM.fullmatch(token) or _PARAM.fullmatch(have[i]) or have[i] == "*":  # nosec B105
            continue
        if token != have[i]:
            return False
    return len(want) == len(have)


def is_wildcard(address: str) -> bool:
    """Whether a subscription address holds a NATS wildcard token."""
    return any(token in ("*", ">") for token in address.split("."))


def parameters_of(address: str) -> list[str]:
    """Names of the ``{parameters}`` of a channel address, in order of appearance."""
    return list(dict.fromkeys(_PARAM.findall(address)))


@dataclass(frozen=True, order=True)
class EventUsage:
    """One call site that sends to or receives from a NATS subject, seen from ``service``'s point of view."""

    service: str
    action: str  # send | receive
    address: str  # subject; f-string parts become {param}; "" when only known at run time
    api: str  # bus (arrakis_common EventBus) | core (nats-py) | jetstream
    call: str  # publish, publish_envelope, subscribe, pull_subscribe, request, ...
    location: SourceRef
    message: str = ""  # name of the message (payload model) sent or expected
    queue: str = ""
    durable: str = ""
    stream: str = ""
    handler: str = ""
    via: str = ""  # the wrapper function the subject flowed through, if any
    dynamic: str = ""  # the expression that decides the subject at run time
    transport: str = "nats"  # nats | kafka | ...: the broker the call goes through (AsyncAPI server protocol)


@dataclass
class EventMessage:
    """A payload type: a pydantic model (or a known envelope) and its JSON Schema."""

    name: str
    schema: dict[str, Any] = field(default_factory=dict)
    schema_source: str = "static"  # import | static
    subject: str = ""  # the subject the model declares (our bus's ``Event.subject``)
    version: int = 1
    description: str = ""
    module: str = ""
    location: SourceRef = field(default_factory=lambda: SourceRef(""))
    declared_by: list[str] = field(default_factory=list)  # services that register its schema (bus.declare)


@dataclass
class EventStream:
    """A JetStream stream and the subjects it captures."""

    name: str
    subjects: list[str] = field(default_factory=list)
    evidence: list[SourceRef] = field(default_factory=list)


@dataclass
class EventChannel:
    """A subject (or subject pattern) on the platform, joined across services by ``link``."""

    address: str
    parameters: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    producers: list[str] = field(default_factory=list)
    consumers: list[str] = field(default_factory=list)  # direct subscribers and subscribers through wildcards
    wildcard_consumers: list[str] = field(default_factory=list)  # the subset that matches only through a wildcard
    streams: list[str] = field(default_factory=list)
    pattern: bool = False  # a subscription pattern with wildcards, not a concrete subject
    transport: str = "nats"  # the broker of the channel's usages (nats | kafka | ...)


@dataclass
class EventModel:
    """Every NATS usage of the platform, its messages, streams and (after ``link``) channels."""

    usages: list[EventUsage] = field(default_factory=list)
    messages: list[EventMessage] = field(default_factory=list)
    streams: list[EventStream] = field(default_factory=list)
    channels: list[EventChannel] = field(default_factory=list)

    def merge(self, other: EventModel) -> None:
        """Add one service's findings to the platform-wide model."""
        self.usages.extend(other.usages)
        known = {m.name: m for m in self.messages}
        for message in other.messages:
            mine = known.get(message.name)
            if mine is None:
                known[message.name] = message
                self.messages.append(message)
                continue
            mine.declared_by = sorted(set(mine.declared_by) | set(message.declared_by))
            if mine.schema_source != "import" and message.schema_source == "import":
                mine.schema, mine.schema_source = message.schema, message.schema_source
        streams = {s.name: s for s in self.streams}
        for stream in other.streams:
            if stream.name in streams:
                mine_stream = streams[stream.name]
                mine_stream.subjects = sorted(set(mine_stream.subjects) | set(stream.subjects))
                mine_stream.evidence = sorted(set(mine_stream.evidence) | set(stream.evidence))
            else:
                streams[stream.name] = stream
                self.streams.append(stream)

    def link(self, model: object) -> None:
        """Once every service is merged: join producers and consumers across services, and streams per subject."""
        self.normalise()
        channels: dict[str, EventChannel] = {}

        def channel(address: str) -> EventChannel:
            return channels.setdefault(address, EventChannel(address, parameters_of(address),
                                                              pattern=is_wildcard(address)))

        for use in self.usages:
            if use.address:
                item = channel(use.address)
                item.transport = use.transport if item.transport == "nats" else item.transport
                (item.producers if use.action == SEND else item.consumers).append(use.service)
                if use.message and (use.action == SEND or not item.messages):
                    item.messages.append(use.message)
        for message in self.messages:
            if message.subject and message.declared_by:
                channel(message.subject).messages.append(message.name)
        for item in list(channels.values()):
            if item.pattern:
                continue
            for pattern in [c for c in channels.values() if c.pattern and subject_matches(c.address, item.address)]:
                item.wildcard_consumers.extend(set(pattern.consumers) - set(item.consumers))
            item.consumers.extend(item.wildcard_consumers)
        for item in channels.values():
            item.streams = sorted(s.name for s in self.streams
                                  if any(subject_matches(p, item.address) for p in s.subjects))
        self.channels = list(channels.values())
        self.normalise()
        self._api_edges(model)

    def _api_edges(self, model: Any) -> None:
        """A service provides its event API; a receiver consumes the event API of each producer it hears."""
        known = {s.name for s in getattr(model, "services", [])}
        for service in self.services():
            if service in known:
                evidence = tuple(sorted({u.location for u in self.usages_of(service)}))
                model.edges.append(Edge(entity_id("service", service), entity_id("api", event_api_name(service)),
                                        "provides-api", evidence))
        for item in self.channels:
            for consumer in item.consumers:
                evidence = tuple(sorted({u.location for u in self.usages_of(consumer, RECEIVE)
                                         if u.address and subject_matches(u.address, item.address)}))
                for producer in item.producers:
                    if producer != consumer and {producer, consumer} <= known:
                        model.edges.append(Edge(entity_id("service", consumer),
                                                entity_id("api", event_api_name(producer)), "consumes-api", evidence))

    def normalise(self) -> EventModel:
        """Sort every list so the same input always serialises to the same bytes."""
        self.usages = sorted(set(self.usages))
        self.messages = sorted({m.name: m for m in self.messages}.values(), key=lambda m: m.name)
        for message in self.messages:
            message.declared_by = sorted(set(message.declared_by))
        self.streams = sorted(self.streams, key=lambda s: s.name)
        for stream in self.streams:
            stream.subjects = sorted(set(stream.subjects))
            stream.evidence = sorted(set(stream.evidence))
        self.channels = sorted({c.address: c for c in self.channels}.values(), key=lambda c: c.address)
        for item in self.channels:
            for name in ("messages", "producers", "consumers", "wildcard_consumers", "streams"):
                setattr(item, name, sorted(set(getattr(item, name))))
        return self

    # ------------------------------------------------------------ questions writers ask

    def services(self) -> list[str]:
        """Every service with at least one usage."""
        return sorted({u.service for u in self.usages})

    def usages_of(self, service: str, action: str | None = None) -> list[EventUsage]:
        """The usages of one service (optionally only sends or receives)."""
        return [u for u in self.usages if u.service == service and (action is None or u.action == action)]

    def message(self, name: str) -> EventMessage | None:
        """The message called ``name``, if any."""
        return next((m for m in self.messages if m.name == name), None)

    def channel(self, address: str) -> EventChannel | None:
        """The channel with ``address``, if any."""
        return next((c for c in self.channels if c.address == address), None)

    def dynamic(self) -> list[EventUsage]:
        """Usages whose subject is only known at run time."""
        return [u for u in self.usages if not u.address]
