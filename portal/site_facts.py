"""What the portal pages say about events and infrastructure, read from the model without depending on the exact
shape of its ``events`` and ``infra`` sub-models: edges of the sending/receiving kinds, and any records in those
sub-models that name a subject with its producers and consumers, or a service they run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from arrakis_docs.model.architecture import ArchitectureModel, to_jsonable

SEND_KINDS = {"publishes", "produces", "sends", "emits"}
RECEIVE_KINDS = {"subscribes", "consumes", "receives"}
_SUBJECT_KEYS = ("subject", "address", "channel")
_SENDER_KEYS = ("producers", "publishers", "senders", "sent_by")
_RECEIVER_KEYS = ("consumers", "subscribers", "receivers", "received_by")


@dataclass
class EventFacts:
    """Subjects each service sends and receives."""

    sends: dict[str, set[str]] = field(default_factory=dict)
    receives: dict[str, set[str]] = field(default_factory=dict)

    def add(self, service: str, subject: str, sending: bool) -> None:
        """Record one service sending or receiving one subject."""
        (self.sends if sending else self.receives).setdefault(service, set()).add(subject)

    def subjects(self) -> list[str]:
        """Every subject anyone sends or receives."""
        return sorted(set().union(*self.sends.values(), *self.receives.values()))


def _records(data: Any) -> list[dict[str, Any]]:
    """Every dict nested anywhere in plain JSON data."""
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _names(value: Any) -> set[str]:
    """Service names in a producers/consumers value: names, entity ids or records with a service/name key."""
    items = value if isinstance(value, list) else [value]
    names = set()
    for item in items:
        if isinstance(item, dict):
            item = item.get("service") or item.get("name") or ""
        if isinstance(item, str) and item:
            names.add(item.split(":", 1)[-1])
    return names


def event_facts(model: ArchitectureModel) -> EventFacts:
    """Who sends and receives which subject, from edges and from the events sub-model."""
    facts = EventFacts()
    for edge in model.edges:
        if edge.kind in SEND_KINDS | RECEIVE_KINDS and edge.source.startswith("service:"):
            facts.add(edge.source.split(":", 1)[1], edge.target.split(":", 1)[-1], edge.kind in SEND_KINDS)
    for record in _records(to_jsonable(model.events)):
        subject = next((record[k] for k in _SUBJECT_KEYS if isinstance(record.get(k), str)), "")
        if not subject:
            continue
        for key in _SENDER_KEYS:
            for name in _names(record.get(key, [])):
                facts.add(name, subject, True)
        for key in _RECEIVER_KEYS:
            for name in _names(record.get(key, [])):
                facts.add(name, subject, False)
    return facts


def infra_by_service(model: ArchitectureModel) -> dict[str, list[dict[str, str]]]:
    """Infrastructure records of the infra sub-model by the service they name (a service/services key)."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for record in _records(to_jsonable(model.infra)):
        owners = _names(record.get("service", [])) | _names(record.get("services", []))
        name = record.get("address") or record.get("id") or record.get("name")
        if not owners or not isinstance(name, str) or not name:
            continue
        row = {"name": name, "type": str(record.get("type") or record.get("kind") or "")}
        for owner in owners:
            found.setdefault(owner, {})[name] = row
    return {owner: [rows[k] for k in sorted(rows)] for owner, rows in found.items()}
