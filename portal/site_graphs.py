"""Mermaid pictures of one entity's neighbourhood (one hop in and out) and the data of the catalog graph page.

A service: HTTP callers and callees, the subjects it publishes with their consumers, the subjects it consumes with
their producers, its datastores and the Terraform resources it runs on. A datastore: the services using it. Each
group keeps at most ``PER_GROUP`` nodes and names the rest in one "+N more" node, so a picture stays readable
whatever the size of the platform.
"""

from __future__ import annotations

import re
from typing import Any

from arrakis_docs.model.architecture import ArchitectureModel, Service
from arrakis_docs.site_facts import EventFacts

PER_GROUP = 8  # nodes of one kind in a neighbourhood picture; the rest become one "+N more" node
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _id(prefix: str, name: str) -> str:
    return f"{prefix}_{_UNSAFE.sub('_', name)}"


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


class Picture:
    """A Mermaid ``flowchart LR`` under construction: nodes once each, edges in insertion order."""

    def __init__(self) -> None:
        self.nodes: dict[str, str] = {}
        self.edges: list[str] = []

    def node(self, node_id: str, shape: str) -> str:
        """Add a node (``shape`` is its Mermaid shape with label, e.g. ``["name"]``) once; returns its id."""
        self.nodes.setdefault(node_id, f"    {node_id}{shape}")
        return node_id

    def edge(self, source: str, target: str, label: str = "", dotted: bool = False) -> None:
        """Add ``source --> target`` (dotted: ``-.->``), labelled when ``label`` is given."""
        arrow = "-.->" if dotted else "-->"
        self.edges.append(f"    {source} {arrow}{f'|{_label(label)}|' if label else ''} {target}")

    def text(self) -> str:
        """The Mermaid source (without the fence)."""
        return "\n".join(["flowchart LR", *self.nodes.values(), *dict.fromkeys(self.edges),
                          "    classDef self fill:#ffe8a3,stroke:#b58900,stroke-width:2px"]) + "\n"


def _capped(names: list[str]) -> tuple[list[str], int]:
    names = sorted(set(names))
    return names[:PER_GROUP], max(len(names) - PER_GROUP, 0)


def _more(picture: Picture, key: str, count: int, what: str) -> str | None:
    return picture.node(_id("more", key), f'["+{count} more {what}"]') if count else None


class Neighbours:
    """Who is next to whom, indexed once per model (pictures of every service stay linear in the model's size)."""

    def __init__(self, model: ArchitectureModel, events: EventFacts) -> None:
        self.model = model
        self.events = events
        http_apis = {a.id: a.service for a in model.apis if a.kind not in ("asyncapi", "events")}
        self.stores = {d.id: d for d in model.datastores}
        self.callers: dict[str, list[str]] = {}
        self.callees: dict[str, list[str]] = {}
        self.uses: dict[str, list[str]] = {}  # service -> datastore ids
        self.users: dict[str, list[str]] = {}  # datastore id -> services
        for edge in model.edges:
            if not edge.source.startswith("service:"):
                continue
            caller = edge.source.split(":", 1)[1]
            callee = ""
            if edge.kind == "depends-on" and edge.target.startswith("service:"):
                callee = edge.target.split(":", 1)[1]
            elif edge.kind == "consumes-api" and edge.target in http_apis:
                callee = http_apis[edge.target]
            elif edge.kind == "depends-on" and edge.target in self.stores:
                self.uses.setdefault(caller, []).append(edge.target)
                self.users.setdefault(edge.target, []).append(caller)
            if callee and callee != caller:
                self.callees.setdefault(caller, []).append(callee)
                self.callers.setdefault(callee, []).append(caller)
        self.senders: dict[str, set[str]] = {}
        self.receivers: dict[str, set[str]] = {}
        for name, subjects in events.sends.items():
            for subject in subjects:
                self.senders.setdefault(subject, set()).add(name)
        for name, subjects in events.receives.items():
            for subject in subjects:
                self.receivers.setdefault(subject, set()).add(name)

    def service_picture(self, service: Service, infra: list[dict[str, str]]) -> str:
        """The neighbourhood of one service as Mermaid source."""
        picture = Picture()
        me = picture.node(_id("svc", service.name), f'["{_label(service.name)}"]:::self')
        shown, extra = _capped(self.callers.get(service.name, []))
        for name in shown:
            picture.edge(picture.node(_id("svc", name), f'["{_label(name)}"]'), me, "HTTP")
        if (more := _more(picture, "callers", extra, "callers")):
            picture.edge(more, me, "HTTP")
        shown, extra = _capped(self.callees.get(service.name, []))
        for name in shown:
            picture.edge(me, picture.node(_id("svc", name), f'["{_label(name)}"]'), "HTTP")
        if (more := _more(picture, "callees", extra, "callees")):
            picture.edge(me, more, "HTTP")
        for direction, subjects in (("out", self.events.sends.get(service.name, set())),
                                    ("in", self.events.receives.get(service.name, set()))):
            shown, extra = _capped(list(subjects))
            for subject in shown:
                node = picture.node(_id("subj", subject), f'(["{_label(subject)}"])')
                others = self.receivers if direction == "out" else self.senders
                peers, hidden = _capped([p for p in others.get(subject, set()) if p != service.name])
                if direction == "out":
                    picture.edge(me, node, "publishes")
                else:
                    picture.edge(node, me, "consumes")
                for peer in peers:
                    peer_node = picture.node(_id("svc", peer), f'["{_label(peer)}"]')
                    if direction == "out":
                        picture.edge(node, peer_node)
                    else:
                        picture.edge(peer_node, node)
                if (more := _more(picture, f"{direction}_{subject}", hidden,
                                  "consumers" if direction == "out" else "producers")):
                    picture.edge(node, more) if direction == "out" else picture.edge(more, node)
            if (more := _more(picture, f"subjects_{direction}", extra, "subjects")):
                picture.edge(me, more, "publishes") if direction == "out" else picture.edge(more, me, "consumes")
        shown, extra = _capped(self.uses.get(service.name, []))
        for store_id in shown:
            store = self.stores[store_id]
            picture.edge(me, picture.node(_id("db", store.name), f'[("{_label(store.name)}")]'), store.kind)
        if (more := _more(picture, "stores", extra, "datastores")):
            picture.edge(me, more)
        shown, extra = _capped([r["name"] for r in infra])
        for name in shown:
            picture.edge(me, picture.node(_id("tf", name), f'{{{{"{_label(name)}"}}}}'), "runs on", dotted=True)
        if (more := _more(picture, "infra", extra, "resources")):
            picture.edge(me, more, "runs on", dotted=True)
        return picture.text()

    def datastore_picture(self, name: str) -> str:
        """The services using one datastore, as Mermaid source; "" when no datastore has that name."""
        store = next((d for d in self.stores.values() if d.name == name), None)
        if store is None:
            return ""
        picture = Picture()
        me = picture.node(_id("db", store.name), f'[("{_label(store.name)}")]:::self')
        users, extra = _capped(self.users.get(store.id, []))
        for user in users:
            picture.edge(picture.node(_id("svc", user), f'["{_label(user)}"]'), me, store.kind)
        if (more := _more(picture, "users", extra, "services")):
            picture.edge(more, me)
        return picture.text()


RELATIONS = ("owner", "system", "domain", "dependsOn", "providesApis", "consumesApis", "dependencyOf", "parent",
             "subcomponentOf")
_DEFAULT_KIND = {"owner": "group", "system": "system", "domain": "domain", "parent": "group",
                 "providesApis": "api", "consumesApis": "api"}


def catalog_graph(entities: list[dict[str, Any]], link: Any) -> dict[str, Any]:
    """Nodes (kind, name, domain, owner, page link) and edges (relation) of every catalog entity, for the
    client-side catalog graph; ``link(kind, name)`` gives a node's page link or ""."""
    systems = {e["metadata"]["name"]: e.get("spec", {}).get("domain", "") for e in entities if e["kind"] == "System"}
    nodes: dict[str, dict[str, str]] = {}
    for entity in entities:
        kind, name, spec = entity["kind"], entity["metadata"]["name"], entity.get("spec") or {}
        system = str(spec.get("system", "")).rpartition(":")[2]
        domain = str(spec.get("domain", "")).rpartition(":")[2] or systems.get(system, "")
        if kind == "Domain":
            domain = name
        nodes[f"{kind.lower()}:{name}"] = {"id": f"{kind.lower()}:{name}", "kind": kind, "name": name,
                                           "domain": str(domain).rpartition(":")[2],
                                           "owner": str(spec.get("owner", "")).rpartition(":")[2],
                                           "link": link(kind, name)}
    edges = []
    for entity in entities:
        source = f"{entity['kind'].lower()}:{entity['metadata']['name']}"
        for relation in RELATIONS:
            value = (entity.get("spec") or {}).get(relation)
            for target in value if isinstance(value, list) else [value] if value else []:
                kind, _, name = str(target).rpartition(":")
                target_id = f"{(kind or _DEFAULT_KIND.get(relation, 'component')).lower()}:{name.split('/')[-1]}"
                if target_id in nodes and target_id != source:
                    edges.append({"source": source, "target": target_id, "relation": relation})
    return {"nodes": [nodes[k] for k in sorted(nodes)],
            "edges": sorted(edges, key=lambda e: (e["source"], e["target"], e["relation"]))}
