"""What each diagram shows, decided from the model (pyreverse's ``diadefslib``): model in, figures out."""

from __future__ import annotations

from typing import Any

from arrakis_docs.diagrams.figures import Box, ClassFigure, ErFigure, Graph, Link, Node, Reference, node_id
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.model.code import ServiceCode

HTTP_KINDS = ("consumes-api", "depends-on")
DATASTORE_KINDS = {"database": "database", "cache": "cache", "message-stream": "queue"}
C4_MAX_SERVICES = 40  # services one container diagram shows; past it, one diagram per domain beside an overview


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


def platform_name(model: ArchitectureModel) -> str:
    """What the platform is called: the one system its services declare, else the repository's name."""
    systems = sorted({s.system for s in model.services if s.system})
    return systems[0] if len(systems) == 1 else (model.repo.name or "platform")


def c4_context(model: ArchitectureModel) -> Graph:
    """People, the platform as one system, and the outside systems it talks to."""
    system = platform_name(model)
    graph = Graph(title="system context", direction="TB")
    graph.nodes = [Node("user", "API user", "person", detail="calls the services' HTTP APIs"),
                   Node("operator", "Operator", "person", detail="runs and observes the platform"),
                   Node("system", f"{system} platform", "system", detail=f"{len(model.services)} services")]
    graph.links = [Link("user", "system", "HTTPS + JWT"), Link("operator", "system", "health, metrics")]
    if _webhook_senders(model):
        graph.nodes.append(Node("webhooks", "Webhook receivers", "external", detail="outside HTTP endpoints"))
        graph.links.append(Link("system", "webhooks", "signed webhooks"))
    return graph


def c4_container(model: ArchitectureModel, members: list[str] | None = None, label: str = "") -> Graph:
    """Inside the platform: the services, their databases, the message stream and the cache. With ``members``
    (one group of :func:`container_groups`): only those services and their datastores; services of other groups they
    call or are called by are drawn outside the boundary."""
    inside = {s.name for s in model.services} if members is None else set(members)
    title = f"containers: {label}" if label else "containers"
    graph = Graph(title=title, direction="LR", groups={"boundary": f"{platform_name(model)} platform"})
    graph.nodes.append(Node("user", "API user", "person"))
    for service in model.services:
        if service.name in inside:
            graph.nodes.append(Node(node_id(service.name), service.name, "container", "boundary", "FastAPI"))
            graph.links.append(Link("user", node_id(service.name), "HTTPS"))
    stores = {d.id: d for d in model.datastores}
    if members is None:
        for store in model.datastores:
            graph.nodes.append(Node(node_id(store.name), store.name, DATASTORE_KINDS.get(store.kind, "database"),
                                    "boundary", store.technology))
    verb = {"database": "reads/writes", "cache": "caches", "message-stream": "publishes/consumes"}
    for edge in model.edges:
        if edge.kind != "depends-on" or not edge.source.startswith("service:"):
            continue
        source, target = edge.source.split(":", 1)[1], edge.target.split(":", 1)[1]
        if edge.target.startswith("datastore:") and source in inside:
            store = stores.get(edge.target)
            if members is not None and store is not None:
                graph.nodes.append(Node(node_id(store.name), store.name,
                                        DATASTORE_KINDS.get(store.kind, "database"), "boundary", store.technology))
            graph.links.append(Link(node_id(source), node_id(target), verb.get(store.kind, "uses") if store else "",
                                    dashed=bool(store and store.kind == "message-stream")))
        elif edge.target.startswith("service:") and (source in inside or target in inside):
            for end in (source, target):
                if end not in inside:
                    graph.nodes.append(Node(node_id(end), end, "external", detail="another group"))
            graph.links.append(Link(node_id(source), node_id(target), "HTTP"))
    for sender in _webhook_senders(model):
        if sender in inside:
            graph.nodes.append(Node("webhooks", "Webhook receivers", "external"))
            graph.links.append(Link(node_id(sender), "webhooks", "signed webhooks"))
    graph.nodes, graph.links = sorted(set(graph.nodes)), sorted(set(graph.links))
    return graph


def container_groups(model: ArchitectureModel, limit: int = C4_MAX_SERVICES) -> dict[str, list[str]]:
    """{} when one container diagram can show every service; else service names by domain (or system), a group
    past ``limit`` split into consecutive ranges, so each group's diagram stays readable."""
    if len(model.services) <= limit:
        return {}
    by_domain: dict[str, list[str]] = {}
    for service in sorted(model.services, key=lambda s: s.name):
        by_domain.setdefault(service.domain or service.system or "other", []).append(service.name)
    groups: dict[str, list[str]] = {}
    for key, names in sorted(by_domain.items()):
        if len(names) <= limit:
            groups[key] = names
            continue
        for start in range(0, len(names), limit):
            chunk = names[start:start + limit]
            groups[f"{key} {chunk[0]} – {chunk[-1]}"] = chunk
    return groups


def c4_container_overview(model: ArchitectureModel, groups: dict[str, list[str]]) -> Graph:
    """One box per group of :func:`container_groups` (services and datastores counted), HTTP calls between groups
    counted on one arrow, and the datastores several groups share."""
    where = group_of(groups)
    graph = Graph(title="containers by group", direction="LR",
                  groups={"boundary": f"{platform_name(model)} platform"})
    graph.nodes.append(Node("user", "API user", "person"))
    stores = {d.id: d for d in model.datastores}
    store_groups: dict[str, set[str]] = {}
    calls: dict[tuple[str, str], int] = {}
    for edge in model.edges:
        source = where.get(edge.source.split(":", 1)[1]) if edge.source.startswith("service:") else None
        if edge.kind != "depends-on" or source is None:
            continue
        if edge.target in stores:
            store_groups.setdefault(edge.target, set()).add(source)
        elif edge.target.startswith("service:"):
            target = where.get(edge.target.split(":", 1)[1])
            if target and target != source:
                calls[(source, target)] = calls.get((source, target), 0) + 1
    own = {label: sum(1 for g in store_groups.values() if g == {label}) for label in groups}
    for label, members in sorted(groups.items()):
        group = node_id(f"group {label}")
        graph.nodes.append(Node(group, label, "system", "boundary",
                                f"{len(members)} services, {own[label]} datastores"))
        graph.links.append(Link("user", group, "HTTPS"))
    for (source, target), count in sorted(calls.items()):
        graph.links.append(Link(node_id(f"group {source}"), node_id(f"group {target}"),
                                f"{count} HTTP call{'s' if count != 1 else ''}"))
    for store_id, users in sorted(store_groups.items()):
        if len(users) < 2:
            continue
        store = stores[store_id]
        graph.nodes.append(Node(node_id(store.name), store.name, DATASTORE_KINDS.get(store.kind, "database"),
                                "boundary", store.technology))
        graph.links.extend(Link(node_id(f"group {u}"), node_id(store.name), dashed=store.kind == "message-stream")
                           for u in sorted(users))
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


# ---------------------------------------------------------------- splitting diagrams past a readable size


def package_groups(paths: dict[str, str], limit: int) -> dict[str, list[str]]:
    """Items (name -> the dotted package path it lives at) in groups of at most ``limit``, split along packages.

    A group is named by the package its items share; siblings too small to stand alone are packed together in
    order (``a.b.c … a.b.f``); items at one path beyond ``limit`` (one module with many classes) are cut into
    numbered parts. Deterministic: same items, same groups.
    """
    limit = max(limit, 1)
    groups: dict[str, list[str]] = {}

    def visit(prefix: tuple[str, ...], members: list[str]) -> list[tuple[str, str, list[str]]]:
        if len(members) <= limit:
            shared = _shared(members, paths)
            return [(shared, shared, members)]
        here = [m for m in members if len(paths[m].split(".")) <= len(prefix)]
        buckets: dict[tuple[str, ...], list[str]] = {}
        for member in members:
            parts = tuple(paths[member].split("."))
            if len(parts) > len(prefix):
                buckets.setdefault(parts[: len(prefix) + 1], []).append(member)
        if not buckets:  # one path holds them all: numbered parts
            label = ".".join(prefix) or "(top level)"
            size = -(-len(here) // limit)
            return [(f"{label} ({n + 1}/{size})", f"{label} ({n + 1}/{size})", here[n * limit:(n + 1) * limit])
                    for n in range(size)]
        if len(buckets) == 1 and not here:  # a package with one sub-package: go deeper without a level
            ((key, only),) = buckets.items()
            return visit(key, only)
        top = ".".join(prefix) or "(top level)"
        parts = [] if not here else visit(prefix, here) if len(here) > limit else [(top, top, here)]
        for key, bucket in sorted(buckets.items()):
            parts.extend(visit(key, bucket))
        return _packed(parts, limit)

    for first, last, members in visit((), sorted(paths)):
        groups[first if first == last else f"{first} … {last}"] = sorted(members)
    return groups


def _shared(members: list[str], paths: dict[str, str]) -> str:
    """The longest package path every member lies under."""
    split = [paths[m].split(".") for m in members]
    common: list[str] = []
    for column in zip(*split, strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return ".".join(common) or "(top level)"


def _packed(parts: list[tuple[str, str, list[str]]], limit: int) -> list[tuple[str, str, list[str]]]:
    """Consecutive small groups merged while they fit in ``limit``, named by the first and the last."""
    packed: list[tuple[str, str, list[str]]] = []
    for first, last, members in parts:
        if packed and len(packed[-1][2]) + len(members) <= limit:
            packed[-1] = (packed[-1][0], last, packed[-1][2] + members)
        else:
            packed.append((first, last, list(members)))
    return packed


def group_of(groups: dict[str, list[str]]) -> dict[str, str]:
    """Item -> the label of its group."""
    return {member: label for label, members in groups.items() for member in members}


def module_groups(code: ServiceCode, limit: int) -> dict[str, list[str]]:
    """The service's modules in groups of at most ``limit`` along its packages."""
    return package_groups({m: m for m in code.modules}, limit)


def module_group_graph(code: ServiceCode, label: str, members: list[str], groups: dict[str, list[str]]) -> Graph:
    """One group's modules and imports; imports to and from other groups end at that group's box."""
    where = group_of(groups)
    inside = set(members)
    in_cycle = {m: i for i, group in enumerate(code.cycles) for m in group}
    graph = Graph(title=f"{code.service} modules: {label}")
    nodes = {Node(node_id(m), m, "module") for m in members}
    links: dict[tuple[str, str], bool] = {}
    for edge in drawn_imports(code):
        if edge.source not in inside and edge.target not in inside:
            continue
        ends = []
        for end in (edge.source, edge.target):
            if end in inside:
                ends.append(node_id(end))
            else:
                other = where.get(end, end)
                nodes.add(Node(node_id(f"group {other}"), other, "package", detail="other group"))
                ends.append(node_id(f"group {other}"))
        if ends[0] == ends[1]:
            continue
        cyclic = edge.source in in_cycle and in_cycle[edge.source] == in_cycle.get(edge.target, -1)
        links[(ends[0], ends[1])] = links.get((ends[0], ends[1]), False) or cyclic
    graph.nodes = sorted(nodes)
    graph.links = [Link(s, t, flagged=f) for (s, t), f in sorted(links.items())]
    return graph


def drawn_imports(code: ServiceCode) -> list:
    """The imports worth an arrow: ``import a.b.c`` also imports the packages ``a`` and ``a.b`` (pydeps lists those
    too); an arrow to a package the same module reaches deeper into says nothing and is left out."""
    targets: dict[str, set[str]] = {}
    for edge in code.imports:
        targets.setdefault(edge.source, set()).add(edge.target)
    return [e for e in code.imports
            if not any(t.startswith(f"{e.target}.") for t in targets[e.source])]


def module_overview(code: ServiceCode, groups: dict[str, list[str]]) -> Graph:
    """One box per module group (with its module count), an arrow where a group imports another."""
    where = group_of(groups)
    graph = Graph(title=f"{code.service} module groups")
    graph.nodes = [Node(node_id(f"group {label}"), label, "package", detail=f"{len(members)} modules")
                   for label, members in sorted(groups.items())]
    counts: dict[tuple[str, str], int] = {}
    for edge in drawn_imports(code):
        source, target = where.get(edge.source), where.get(edge.target)
        if source and target and source != target:
            counts[(source, target)] = counts.get((source, target), 0) + 1
    graph.links = [Link(node_id(f"group {s}"), node_id(f"group {t}"), f"{n} imports")
                   for (s, t), n in sorted(counts.items())]
    return graph


def class_groups(code: ServiceCode, limit: int) -> dict[str, list[str]]:
    """The service's classes (fully qualified) in groups of at most ``limit`` along their modules' packages."""
    return package_groups({c.name: c.module for c in code.classes}, limit)


def class_group_figure(code: ServiceCode, label: str, members: list[str]) -> ClassFigure:
    """One group's classes in full; classes of other groups they inherit from or point at, by name only."""
    inside = set(members)
    known = {c.name for c in code.classes}
    figure = ClassFigure(title=f"{code.service} classes: {label}")
    outside: set[str] = set()
    for cls in code.classes:
        if cls.name not in inside:
            continue
        stereotype = ", ".join(b.rsplit(".", 1)[-1] for b in cls.framework_bases)
        figure.boxes.append(Box(cls.name, tuple(cls.attributes), tuple(cls.methods), stereotype))
        figure.inherits += [(cls.name, b) for b in cls.bases if b in known]
        figure.associations += [(cls.name, a) for a in cls.associations if a in known]
        outside |= {b for b in cls.bases if b in known and b not in inside}
        outside |= {a for a in cls.associations if a in known and a not in inside}
    figure.boxes += [Box(name, stereotype="other group") for name in sorted(outside)]
    return figure


def class_overview(code: ServiceCode, groups: dict[str, list[str]]) -> Graph:
    """One box per class group (with its class count); arrows where a group's classes derive from or use
    another's."""
    where = group_of(groups)
    graph = Graph(title=f"{code.service} class groups")
    graph.nodes = [Node(node_id(f"group {label}"), label, "package", detail=f"{len(members)} classes")
                   for label, members in sorted(groups.items())]
    counts: dict[tuple[str, str], int] = {}
    for cls in code.classes:
        for other in [*cls.bases, *cls.associations]:
            source, target = where.get(cls.name), where.get(other)
            if source and target and source != target:
                counts[(source, target)] = counts.get((source, target), 0) + 1
    graph.links = [Link(node_id(f"group {s}"), node_id(f"group {t}"), f"{n} relations")
                   for (s, t), n in sorted(counts.items())]
    return graph
