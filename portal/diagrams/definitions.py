"""What each diagram shows, decided from the model (pyreverse's ``diadefslib``): model in, figures out."""

from __future__ import annotations

from typing import Any

from arrakis_docs.diagrams.figures import Box, ClassFigure, ErFigure, Graph, Link, Node, Reference, node_id
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.model.code import ServiceCode

HTTP_KINDS = ("consumes-api", "depends-on")
DATASTORE_KINDS = {"database": "database", "cache": "cache", "message-stream": "queue"}


def collapse(name: str, depth: int | None) -> str:
    """The package a module belongs to at ``depth`` dotted parts (None: the module itself)."""
    return name if depth is None else ".".join(name.split(".")[:depth])


def module_graph(code: ServiceCode, depth: int | None = None) -> Graph:
    """The service's modules and imports, collapsed to ``depth``; arrows inside an import cycle are flagged."""
    in_cycle = {m: i for i, group in enumerate(code.cycles) for m in group}
    graph = Graph(title=f"{code.service} modules" + (f" (depth {depth})" if depth else ""))
    names = sorted({collapse(m, depth) for m in code.modules})
    graph.nodes = [Node(node_id(n), n, "package" if n not in code.modules else "module") for n in names]
    links: dict[tuple[str, str], bool] = {}
    for edge in code.imports:
        source, target = collapse(edge.source, depth), collapse(edge.target, depth)
        if source == target:
            continue
        cyclic = edge.source in in_cycle and in_cycle[edge.source] == in_cycle.get(edge.target, -1)
        links[(source, target)] = links.get((source, target), False) or cyclic
    graph.links = [Link(node_id(s), node_id(t), flagged=f) for (s, t), f in sorted(links.items())]
    return graph


def class_figure(code: ServiceCode) -> ClassFigure:
    """The core classes with fully qualified names; framework bases become a stereotype, never a class."""
    figure = ClassFigure(title=f"{code.service} classes")
    known = {c.name for c in code.classes}
    for cls in code.classes:
        stereotype = ", ".join(b.rsplit(".", 1)[-1] for b in cls.framework_bases)
        figure.boxes.append(Box(cls.name, tuple(cls.attributes), tuple(cls.methods), stereotype))
        figure.inherits += [(cls.name, b) for b in cls.bases if b in known]
        figure.associations += [(cls.name, a) for a in cls.associations if a in known]
    return figure


def er_figure(code: ServiceCode) -> ErFigure:
    """The service's tables and their foreign keys."""
    names = {t.name for t in code.tables}
    references = set()
    for table in code.tables:
        for column in table.columns:
            parent = column.foreign_key.rsplit(".", 1)[0]
            if column.foreign_key and parent in names:
                references.add(Reference(table.name, parent, column.name, column.nullable))
    return ErFigure(title=f"{code.service} database", tables=list(code.tables), references=sorted(references))


def package_imports(model: ArchitectureModel) -> Graph:
    """Which top-level first-party packages each service's code imports (third-party packages left out)."""
    owner = model.code.service_of_package()
    graph = Graph(title="cross-service imports", groups={"services": "services", "libraries": "libraries"})
    libraries = {p for code in model.code.services for p in code.libraries}
    nodes: set[Node] = set()
    links: set[Link] = set()
    for code in model.code.services:
        for package in code.packages:
            nodes.add(Node(node_id(package), package, "container", "services", code.service))
        for used in sorted({p.package for p in code.package_imports}):
            if used in owner and owner[used] != code.service:
                links.add(Link(node_id(code.packages[0]), node_id(used), "forbidden", flagged=True))
            elif used in libraries:
                nodes.add(Node(node_id(used), used, "package", "libraries", "shared library"))
                links.add(Link(node_id(code.packages[0]), node_id(used)))
    graph.nodes, graph.links = sorted(nodes), sorted(links)
    return graph


def c4_context(model: ArchitectureModel) -> Graph:
    """People, the platform as one system, and the outside systems it talks to."""
    system = model.repo.name or "platform"
    graph = Graph(title="system context", direction="TB")
    graph.nodes = [Node("user", "API user", "person", detail="calls the services' HTTP APIs"),
                   Node("operator", "Operator", "person", detail="runs and observes the platform"),
                   Node("system", f"{system} platform", "system", detail=f"{len(model.services)} services")]
    graph.links = [Link("user", "system", "HTTPS + JWT"), Link("operator", "system", "health, metrics")]
    if _webhook_senders(model):
        graph.nodes.append(Node("webhooks", "Webhook receivers", "external", detail="outside HTTP endpoints"))
        graph.links.append(Link("system", "webhooks", "signed webhooks"))
    return graph


def c4_container(model: ArchitectureModel) -> Graph:
    """Inside the platform: the services, their databases, the message stream and the cache."""
    graph = Graph(title="containers", direction="LR", groups={"boundary": f"{model.repo.name or 'platform'} platform"})
    graph.nodes.append(Node("user", "API user", "person"))
    for service in model.services:
        graph.nodes.append(Node(node_id(service.name), service.name, "container", "boundary", "FastAPI"))
        graph.links.append(Link("user", node_id(service.name), "HTTPS"))
    for store in model.datastores:
        graph.nodes.append(Node(node_id(store.name), store.name, DATASTORE_KINDS.get(store.kind, "database"),
                                "boundary", store.technology))
    for edge in model.edges:
        source, target = edge.source.split(":", 1)[1], edge.target.split(":", 1)[1]
        if edge.kind == "depends-on" and edge.target.startswith("datastore:"):
            store = next((d for d in model.datastores if d.id == edge.target), None)
            verb = {"database": "reads/writes", "cache": "caches", "message-stream": "publishes/consumes"}
            graph.links.append(Link(node_id(source), node_id(target), verb.get(store.kind, "uses") if store else "",
                                    dashed=bool(store and store.kind == "message-stream")))
        elif edge.kind == "depends-on" and edge.target.startswith("service:"):
            graph.links.append(Link(node_id(source), node_id(target), "HTTP"))
    for sender in _webhook_senders(model):
        graph.nodes.append(Node("webhooks", "Webhook receivers", "external"))
        graph.links.append(Link(node_id(sender), "webhooks", "signed webhooks"))
    graph.nodes, graph.links = sorted(set(graph.nodes)), sorted(set(graph.links))
    return graph


def _webhook_senders(model: ArchitectureModel) -> list[str]:
    """Services with a webhook module: they deliver to receivers outside the platform."""
    return sorted(c.service for c in model.code.services if any("webhook" in m.rsplit(".", 1)[-1] for m in c.modules))


def platform_map(model: ArchitectureModel) -> Graph:
    """Services, the HTTP calls between them (solid) and, when the event model has them, event flows (dashed)."""
    graph = Graph(title="platform map", direction="LR")
    graph.nodes = [Node(node_id(s.name), s.name, "container") for s in model.services]
    services = {s.name for s in model.services}
    api_owner = {a.id: a.service for a in model.apis}
    http = set()
    for edge in model.edges:
        if edge.kind not in HTTP_KINDS:
            continue
        target = api_owner.get(edge.target) or (edge.target.split(":", 1)[1] if edge.target.startswith("service:")
                                                else "")
        source = edge.source.split(":", 1)[1]
        if source in services and target in services and source != target:
            http.add((source, target))
    graph.links = [Link(node_id(s), node_id(t), "HTTP") for s, t in sorted(http)]
    flows: dict[tuple[str, str], set[str]] = {}
    for subject, producers, consumers in event_flows(model.events):
        for producer in producers & services:
            for consumer in consumers & services:
                if producer != consumer:
                    flows.setdefault((producer, consumer), set()).add(subject)
    for (producer, consumer), subjects in sorted(flows.items()):
        label = "<br/>".join(sorted(subjects)) if len(subjects) <= 3 else f"{len(subjects)} event subjects"
        graph.links.append(Link(node_id(producer), node_id(consumer), label, dashed=True))
    return graph


def event_flows(events: Any) -> list[tuple[str, set[str], set[str]]]:
    """``(subject, producers, consumers)`` per channel, read defensively: the event model may be empty or older."""
    flows = []
    for channel in getattr(events, "channels", None) or []:
        subject = str(getattr(channel, "address", "") or getattr(channel, "name", ""))
        producers = {str(p).removeprefix("service:") for p in getattr(channel, "producers", None) or []}
        consumers = {str(c).removeprefix("service:") for c in getattr(channel, "consumers", None) or []}
        if subject and producers and consumers:
            flows.append((subject, producers, consumers))
    return flows
