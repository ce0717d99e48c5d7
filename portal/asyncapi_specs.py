"""Writer: AsyncAPI 3.0 documents, one per service (its own point of view) and one for the whole platform.

A service's ``send`` operations are the subjects it publishes, its ``receive`` operations what it subscribes to.
Messages sent through our bus travel inside the bus's envelope, so their payload is the envelope schema (named after
the message) with the event's own schema, ``<Message>Payload``, under ``payload``. NATS bindings carry only ``queue``
(the one operation field the NATS binding defines); JetStream stream, durable and ack policy are ``x-jetstream``
extensions.
"""

from __future__ import annotations

import copy
import keyword
import re
from collections.abc import Callable
from typing import Any

from arrakis_docs.json_text import dump_json
from arrakis_docs.model.architecture import ArchitectureModel, Service
from arrakis_docs.model.events import (
    ENVELOPE,
    RECEIVE,
    SEND,
    EventModel,
    EventUsage,
    event_api_name,
    parameters_of,
    subject_matches,
)
from arrakis_docs.model_index import EventIndex

ASYNCAPI_VERSION = "3.0.0"
PLATFORM = "platform-events"
NATS_BINDING_VERSION = "0.1.0"
KAFKA_BINDING_VERSION = "0.5.0"
_TRANSPORT_NAMES = {"nats": "NATS", "kafka": "Kafka", "amqp": "RabbitMQ (AMQP)", "sqs": "Amazon SQS"}


def spec_filename(name: str) -> str:
    """File name of an AsyncAPI document beside the API entities (JSON: no entity discovery glob matches it)."""
    return f"{name}.asyncapi.json"


def spec_text(document: dict[str, Any]) -> str:
    """The document's file text: what the file holds and what its API entity carries as ``spec.definition``."""
    return dump_json(document)


def identifier(text: str) -> str:
    """A valid Python identifier made from ``text`` (used for channel and operation ids)."""
    text = text.replace(">", "all").replace("*", "any")
    ident = re.sub(r"\W+", "_", text).strip("_") or "x"
    if ident[0].isdigit() or keyword.iskeyword(ident):
        ident = f"_{ident}"
    return ident


SCHEMAS = "#/components/schemas/"


def _map_refs(node: Any, change: Callable[[str], str]) -> Any:
    """``node`` with ``change`` applied to every ``$ref`` string in it."""
    if isinstance(node, dict):
        return {k: (change(v) if k == "$ref" and isinstance(v, str) else _map_refs(v, change)) for k, v in node.items()}
    if isinstance(node, list):
        return [_map_refs(v, change) for v in node]
    return node


def _rewrite_refs(node: Any) -> Any:
    """A pydantic schema's ``#/$defs/X`` references as component references."""
    return _map_refs(node, lambda ref: ref.replace("#/$defs/", SCHEMAS))


class AsyncApiBuilder:
    """Builds AsyncAPI documents from the events part of the model."""

    def __init__(self, model: ArchitectureModel) -> None:
        self.model = model
        self.events: EventModel = model.events
        self.bus_messages = {u.message for u in self.events.usages if u.api == "bus" and u.message}
        self.index = EventIndex(self.events)
        self._matched: dict[str, set[str]] = {}  # receive address -> messages of the subjects it matches

    def services(self) -> list[Service]:
        """Services with at least one NATS usage."""
        used = set(self.events.services())
        return [s for s in self.model.services if s.name in used]

    def document(self, service: Service | None) -> dict[str, Any]:
        """The AsyncAPI document of one service, or (``None``) of the whole platform."""
        usages = list(self.events.usages) if service is None else self.index.usages_of(service.name)
        schemas: dict[str, Any] = {}
        messages: dict[str, Any] = {}
        channels: dict[str, Any] = {}
        operations: dict[str, Any] = {}
        grouped: dict[tuple[str, str, str], list[EventUsage]] = {}
        for use in usages:
            if use.address:
                key = (use.service if service is None else "", use.action, use.address)
                grouped.setdefault(key, []).append(use)
        for (owner, action, address), uses in sorted(grouped.items()):
            channel_id = identifier(address)
            names = self._channel_messages(address, uses)
            channel = channels.setdefault(channel_id, self._channel(address, names, uses[0].transport))
            for name in names:
                if name not in messages:
                    messages[name] = self._message(name, schemas)
            op_id = identifier(f"{owner}_{action}_{address}" if owner else f"{action}_{address}")
            operations[op_id] = self._operation(action, channel_id, channel, uses, names)
            if owner:
                operations[op_id]["x-arrakis-service"] = owner
        title = f"{service.name} events" if service else f"{self.model.repo.name} platform events"
        info: dict[str, Any] = {"title": title, "version": service.version if service else "1.0.0",
                                "description": self._description(service, usages)}
        document: dict[str, Any] = {
            "asyncapi": ASYNCAPI_VERSION,
            "info": info,
            "defaultContentType": "application/json",
            "channels": channels,
            "operations": operations,
            "components": {"messages": messages, "schemas": self._wrap_envelopes(messages, schemas)},
        }
        dynamic = [u for u in usages if not u.address]
        if dynamic:
            document["x-arrakis-dynamic-subjects"] = [
                {"service": u.service, "action": u.action, "expression": u.dynamic, "code": str(u.location)}
                for u in dynamic]
        streams = [s for s in self.events.streams if any(u.address and any(subject_matches(p, u.address)
                                                                              for p in s.subjects) for u in usages)]
        if streams:
            document["x-jetstream-streams"] = {s.name: {"subjects": s.subjects} for s in streams}
        return document

    def _description(self, service: Service | None, usages: list[EventUsage] | None = None) -> str:
        transports = sorted({u.transport for u in usages or []} - {"nats"})
        if transports:  # another broker beside (or instead of) NATS: name every one
            every = [_TRANSPORT_NAMES.get(t, t) for t in sorted({u.transport for u in usages or []})]
            names = " and ".join([", ".join(every[:-1]), every[-1]])
            who = service.name if service else "the platform's services"
            return (f"What {who} sends and receives on {names}: subjects, topics and queues, from the code. "
                    "Generated by arrakis-docs from the code.")
        if service is None:
            return ("Every NATS subject the platform's services publish or subscribe to, with one operation per "
                    "service and direction. Generated by arrakis-docs from the code.")
        return (f"What {service.name} sends (publishes) and receives (subscribes to) on NATS, from its own point "
                "of view. Generated by arrakis-docs from the code.")

    def _channel_messages(self, address: str, uses: list[EventUsage]) -> list[str]:
        names = {u.message for u in uses if u.message}
        if not names and uses[0].action == RECEIVE:
            if address not in self._matched:
                self._matched[address] = {n for c in self.index.concrete_matching(address) for n in c.messages}
            names.update(self._matched[address])
        return sorted(n for n in names if self.index.message(n) is not None)

    def _channel(self, address: str, names: list[str], transport: str = "nats") -> dict[str, Any]:
        channel: dict[str, Any] = {"address": address}
        if transport == "kafka":
            channel["bindings"] = {"kafka": {"topic": address, "bindingVersion": KAFKA_BINDING_VERSION}}
        if transport != "nats":
            channel["x-arrakis-transport"] = transport
        parameters = parameters_of(address)
        if parameters:
            channel["parameters"] = {p: {"description": f"Token of the subject filled in at run time ({p})."}
                                     for p in parameters}
        if names:
            channel["messages"] = {n: {"$ref": f"#/components/messages/{n}"} for n in names}
        linked = self.index.channel(address)
        if linked is not None and linked.streams:
            channel["x-jetstream-streams"] = linked.streams
        return channel

    def _operation(self, action: str, channel_id: str, channel: dict[str, Any], uses: list[EventUsage],
                   names: list[str]) -> dict[str, Any]:
        first = uses[0]
        verb = "Publishes to" if action == SEND else "Subscribes to"
        operation: dict[str, Any] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"{verb} {channel['address']}",
            "x-arrakis-code": sorted({str(u.location) for u in uses}),
        }
        if names:
            operation["messages"] = [{"$ref": f"#/channels/{channel_id}/messages/{n}"} for n in names]
        queue = next((u.queue for u in uses if u.queue), "")
        if queue and first.transport == "kafka":  # a consumer group is Kafka's queue group
            operation["bindings"] = {"kafka": {"groupId": {"type": "string", "enum": [queue]},
                                               "bindingVersion": KAFKA_BINDING_VERSION}}
        elif queue and first.transport == "nats":
            operation["bindings"] = {"nats": {"queue": queue, "bindingVersion": NATS_BINDING_VERSION}}
        jetstream: dict[str, Any] = {}
        if any(u.api in ("bus", "jetstream") for u in uses):
            streams = channel.get("x-jetstream-streams") or sorted({u.stream for u in uses if u.stream})
            if streams:
                jetstream["stream"] = streams[0]
            durable = next((u.durable for u in uses if u.durable), "")
            if durable:
                jetstream["durable"] = durable
            if action == RECEIVE:
                jetstream["ack"] = "explicit"
                jetstream["consumer"] = "pull" if any(u.call == "pull_subscribe" or u.api == "bus" for u in uses) \
                    else "push"
        if jetstream:
            operation["x-jetstream"] = jetstream
        handlers = sorted({u.handler for u in uses if u.handler})
        if handlers:
            operation["x-arrakis-handlers"] = handlers
        wrappers = sorted({u.via for u in uses if u.via})
        if wrappers:
            operation["x-arrakis-via"] = wrappers
        operation["x-arrakis-api"] = first.api
        return operation

    def _message(self, name: str, schemas: dict[str, Any]) -> dict[str, Any]:
        """The message ``name``, its payload schema registered under ``name`` (see :meth:`_wrap_envelopes`)."""
        message = self.index.message(name)
        assert message is not None
        schema = copy.deepcopy(message.schema)
        for def_name, definition in sorted(schema.pop("$defs", {}).items()):
            schemas.setdefault(def_name, _rewrite_refs(definition))
        schemas[name] = _rewrite_refs(schema)
        result: dict[str, Any] = {"name": name, "title": name, "contentType": "application/json",
                                  "x-arrakis-schema-source": message.schema_source,
                                  "x-arrakis-code": str(message.location),
                                  "payload": {"$ref": f"{SCHEMAS}{name}"}}
        if message.description:
            result["summary"] = message.description.splitlines()[0]
        return result

    def _wrap_envelopes(self, messages: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
        """Schemas with every bus message's payload schema the envelope, still named after the message, so code
        generators that name a message's type after the message (asyncapi-python) type what travels on the wire.
        The event's own schema moves to ``<Message>Payload``, and every reference to it follows."""
        envelope = self.index.message(ENVELOPE)
        wrapped_names = sorted(n for n in messages if n in self.bus_messages)
        if envelope is None or not wrapped_names:
            return schemas
        renamed: dict[str, str] = {}
        for name in wrapped_names:
            renamed[name] = _free_name(f"{name}Payload", schemas.keys() | renamed.values())
        result = {renamed.get(k, k): _rename_refs(v, renamed) for k, v in schemas.items()}
        base = _rewrite_refs(envelope.schema)  # new containers: the model's own schema is never changed
        for def_name, definition in sorted(base.pop("$defs", {}).items()):
            result.setdefault(def_name, definition)
        for name, inner in renamed.items():
            result[inner]["title"] = inner
            wrapped = copy.deepcopy(base)
            wrapped["title"] = name
            wrapped.setdefault("properties", {})["payload"] = {"$ref": f"{SCHEMAS}{inner}"}
            subject = self.index.message(name).subject  # type: ignore[union-attr]
            if subject:
                wrapped["properties"]["subject"] = {"const": subject, "title": "Subject", "type": "string"}
            result[name] = wrapped
            messages[name]["x-arrakis-envelope"] = ENVELOPE
        return dict(sorted(result.items()))


def _free_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted2``, ``wanted3``... when a schema of that name exists already."""
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}{n}"
    return name


def _rename_refs(node: Any, renamed: dict[str, str]) -> Any:
    """``node`` with every component reference to a renamed schema pointing at its new name."""
    def change(ref: str) -> str:
        name = ref.removeprefix(SCHEMAS)
        return SCHEMAS + renamed[name] if ref.startswith(SCHEMAS) and name in renamed else ref

    return _map_refs(node, change)


def asyncapi_documents(model: ArchitectureModel) -> dict[str, dict[str, Any]]:
    """AsyncAPI documents by API name: one per service with NATS usage, and the platform-wide one."""
    builder = AsyncApiBuilder(model)
    documents = {event_api_name(s.name): builder.document(s) for s in builder.services()}
    if documents:
        documents[PLATFORM] = builder.document(None)
    return documents
