"""Writer: an EventCatalog (https://www.eventcatalog.dev) of the platform's events: domains, services, events,
channels and teams folders, each resource an ``index.mdx`` with frontmatter the EventCatalog linter checks."""

from __future__ import annotations

import json
import re

from arrakis_docs.model.architecture import ArchitectureModel, Service
from arrakis_docs.model.events import ENVELOPE, RECEIVE, SEND, EventChannel, subject_matches
from arrakis_docs.yaml_text import dump_yaml

CHANNEL_VERSION = "1.0.0"


def slug(text: str) -> str:
    """An EventCatalog id: lowercase letters, digits and dashes."""
    text = text.replace(">", "all").replace("*", "any")
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", text).lower()).strip("-")


def _semver(version: str) -> str:
    return version if re.fullmatch(r"\d+\.\d+\.\d+", version) else "0.1.0"


def _mdx(frontmatter: dict, body: str) -> str:
    return f"---\n{dump_yaml(frontmatter)}---\n\n{body.strip()}\n"


class EventCatalogWriter:
    """Builds the EventCatalog files of one model."""

    def __init__(self, model: ArchitectureModel) -> None:
        self.model = model
        self.events = model.events
        used = set(self.events.services())
        self.services = [s for s in model.services if s.name in used]
        self.messages = [m for m in self.events.messages if m.name != ENVELOPE]

    def owner(self, service: Service | None) -> str:
        """Team id of a service's owner (the most common owner for shared resources)."""
        owners = sorted(s.owner for s in self.services if s.owner)
        name = service.owner if service and service.owner else (max(set(owners), key=owners.count) if owners
                                                                 else "unknown")
        return slug(name)

    def files(self) -> dict[str, str]:
        """File text by path relative to the catalog folder."""
        out: dict[str, str] = {}
        for team in sorted({self.owner(s) for s in self.services} | {self.owner(None)}):
            out[f"teams/{team}.mdx"] = _mdx({"id": team, "name": team, "summary": f"Owner team {team}."},
                                             f"Team {team}, owner of services.")
        domains: dict[str, list[str]] = {}
        for service in self.services:
            domains.setdefault(slug(service.domain or service.system or "platform"), []).append(slug(service.name))
            out[f"services/{slug(service.name)}/index.mdx"] = self.service(service)
        for domain, members in sorted(domains.items()):
            front = {"id": domain, "name": domain, "version": "1.0.0", "owners": [self.owner(None)],
                     "summary": f"The {domain} domain.", "services": [{"id": m} for m in sorted(members)]}
            out[f"domains/{domain}/index.mdx"] = _mdx(front, f"Services of the {domain} domain and their events.")
        for message in self.messages:
            base = f"events/{slug(message.name)}"
            producer = next((s for s in self.services if any(u.message == message.name and u.action == SEND
                                                            for u in self.events.usages_of(s.name))), None)
            front = {"id": slug(message.name), "name": message.name, "version": f"{message.version}.0.0",
                     "summary": (message.description or f"{message.name} event").splitlines()[0],
                     "owners": [self.owner(producer)], "schemaPath": "schema.json"}
            body = [message.description or message.name, "", f"Subject: `{message.subject or 'set at run time'}`",
                    "", f"Defined in `{message.location}`.", "", "<Schema file=\"schema.json\" />"]
            out[f"{base}/index.mdx"] = _mdx(front, "\n".join(body))
            out[f"{base}/schema.json"] = json.dumps(message.schema, indent=2, sort_keys=True) + "\n"
        for channel in self.events.channels:
            out[f"channels/{slug(channel.address)}/index.mdx"] = self.channel(channel)
        return out

    def channel(self, channel: EventChannel) -> str:
        """A channel per subject or subscription pattern."""
        front: dict = {"id": slug(channel.address), "name": channel.address, "version": CHANNEL_VERSION,
                       "summary": f"NATS subject {channel.address}", "owners": [self.owner(None)],
                       "address": channel.address, "protocols": ["nats"]}
        if channel.streams:
            front["deliveryGuarantee"] = "at-least-once"
        if channel.parameters:
            front["parameters"] = {p: {"description": f"Subject token {p}"} for p in channel.parameters}
        kind = "Subscription pattern" if channel.pattern else "Subject"
        streams = f" in JetStream stream {', '.join(channel.streams)}" if channel.streams else ""
        return _mdx(front, f"{kind} `{channel.address}`{streams}.")

    def service(self, service: Service) -> str:
        """A service with what it sends (to which channel) and receives (from which subscription)."""
        sends: dict[str, set[str]] = {}
        receives: dict[str, set[str]] = {}
        for use in self.events.usages_of(service.name):
            if not use.address:
                continue
            if use.action == SEND and use.message:
                sends.setdefault(use.message, set()).add(use.address)
            elif use.action == RECEIVE:
                for item in self.events.channels:
                    if not item.pattern and subject_matches(use.address, item.address):
                        for name in item.messages:
                            receives.setdefault(name, set()).add(use.address)
        known = {m.name for m in self.messages}
        front: dict = {
            "id": slug(service.name), "name": service.name, "version": _semver(service.version),
            "summary": (service.description or service.name).splitlines()[0][:200], "owners": [self.owner(service)],
            "sends": [{"id": slug(n), "to": [{"id": slug(a)} for a in sorted(c)]}
                      for n, c in sorted(sends.items()) if n in known],
            "receives": [{"id": slug(n), "from": [{"id": slug(a)} for a in sorted(c)]}
                         for n, c in sorted(receives.items()) if n in known],
        }
        front = {k: v for k, v in front.items() if v != []}
        dynamic = [u for u in self.events.usages_of(service.name) if not u.address]
        body = [service.description or service.name]
        if dynamic:
            body += ["", "Subjects only known at run time:", ""]
            body += [f"- {u.action} `{u.dynamic}` at `{u.location}`" for u in dynamic]
        return _mdx(front, "\n".join(body))


def eventcatalog_files(model: ArchitectureModel) -> dict[str, str]:
    """Every EventCatalog file for ``model``, by path relative to the catalog folder."""
    return EventCatalogWriter(model).files()
