"""Lookups the writers make once per entity (edges of a service, the API of a service, a datastore by id, a
service's event usages), indexed once per model: answered by a scan of the whole model each, they made a writer's
time grow with the square of the platform's size."""

from __future__ import annotations

from arrakis_docs.model.architecture import Api, ArchitectureModel, Datastore, Service
from arrakis_docs.model.events import (
    EventChannel,
    EventMessage,
    EventModel,
    EventUsage,
    is_wildcard,
    parameters_of,
    subject_matches,
)
from arrakis_docs.model.refs import Edge


class ModelIndex:
    """The model's entities and edges by the keys writers look them up by; answers as the model's own methods
    (``edges_from``, ``edges_to``, ``api_of``, ``service``), in the model's order."""

    def __init__(self, model: ArchitectureModel) -> None:
        self.model = model
        self._from: dict[tuple[str, str], list[Edge]] = {}
        self._to: dict[tuple[str, str], list[Edge]] = {}
        for edge in model.edges:
            self._from.setdefault((edge.source, edge.kind), []).append(edge)
            self._to.setdefault((edge.target, edge.kind), []).append(edge)
        self.services: dict[str, Service] = {}
        for service in model.services:
            self.services.setdefault(service.name, service)
        self.apis: dict[str, Api] = {}
        self._api_of: dict[str, Api] = {}
        for api in model.apis:
            self.apis.setdefault(api.name, api)
            self._api_of.setdefault(api.service, api)
        self.datastores: dict[str, Datastore] = {}
        for store in model.datastores:
            self.datastores.setdefault(store.id, store)
        self.roots: dict[str, int] = {}
        for service in model.services:
            self.roots[service.root] = self.roots.get(service.root, 0) + 1
        self.events = EventIndex(model.events)

    def edges_from(self, entity_id: str, kind: str) -> list[Edge]:
        """Outgoing edges of one kind."""
        return self._from.get((entity_id, kind), [])

    def edges_to(self, entity_id: str, kind: str) -> list[Edge]:
        """Incoming edges of one kind."""
        return self._to.get((entity_id, kind), [])

    def api_of(self, service: Service) -> Api | None:
        """The API the given service provides, if one was extracted."""
        return self._api_of.get(service.name)

    def service(self, name: str) -> Service | None:
        """The service called ``name``, if any."""
        return self.services.get(name)


class EventIndex:
    """The event model's messages, channels and usages by name, address and service; answers as the event model's
    own methods (``message``, ``channel``, ``usages_of``), in the model's order."""

    def __init__(self, events: EventModel) -> None:
        self.events = events
        self.messages: dict[str, EventMessage] = {}
        for message in events.messages:
            self.messages.setdefault(message.name, message)
        self.channels: dict[str, EventChannel] = {}
        for channel in events.channels:
            self.channels.setdefault(channel.address, channel)
        self.concrete = [c for c in events.channels if not c.pattern]
        self.concrete_addresses = {c.address for c in self.concrete}
        self._literal: dict[str, list[EventChannel]] = {}
        self._parameterised: list[EventChannel] = []
        for channel in self.concrete:
            if parameters_of(channel.address):
                self._parameterised.append(channel)
            else:
                self._literal.setdefault(channel.address, []).append(channel)
        self._order = {id(c): n for n, c in enumerate(self.concrete)}
        self.position: dict[EventUsage, int] = {}
        self.by_address: dict[str, list[EventUsage]] = {}
        self._usages: dict[tuple[str, str | None], list[EventUsage]] = {}
        for n, usage in enumerate(events.usages):
            self.position.setdefault(usage, n)
            self.by_address.setdefault(usage.address, []).append(usage)
            self._usages.setdefault((usage.service, usage.action), []).append(usage)
            self._usages.setdefault((usage.service, None), []).append(usage)

    def message(self, name: str) -> EventMessage | None:
        """The message called ``name``, if any."""
        return self.messages.get(name)

    def channel(self, address: str) -> EventChannel | None:
        """The channel with ``address``, if any."""
        return self.channels.get(address)

    def usages_of(self, service: str, action: str | None = None) -> list[EventUsage]:
        """The usages of one service (optionally only sends or receives)."""
        return self._usages.get((service, action), [])

    def concrete_matching(self, pattern: str) -> list[EventChannel]:
        """The concrete channels (no wildcards) ``pattern`` matches (``subject_matches``), in the model's order: a
        plain subject by a lookup plus the channels with ``{param}`` tokens, a wildcard by a scan."""
        if is_wildcard(pattern) or parameters_of(pattern):
            return [c for c in self.concrete if subject_matches(pattern, c.address)]
        found = [*self._literal.get(pattern, []),
                 *(c for c in self._parameterised if subject_matches(pattern, c.address))]
        return sorted(found, key=lambda c: self._order[id(c)])
