"""Two architecture models compared: services, APIs, datastores, Terraform resources, HTTP and event edges,
event subjects with their publishers and subscribers, and (through the rule modules) every API and event contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from arrakis_docs.diff.findings import Finding, Level, ordered
from arrakis_docs.diff.openapi_rules import compare_openapi
from arrakis_docs.diff.schema_rules import Mode, compare_payloads
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.model.events import EventChannel, EventMessage
from arrakis_docs.model.infra import InfraNode
from arrakis_docs.model.refs import Severity, SourceRef

Locator = Callable[[str, str], SourceRef | None]
# Infrastructure attributes whose change is worth a line; the rest is layout.
INFRA_ATTRIBUTES = ("type", "multiplicity", "multiplicity_expression", "provider", "source", "version", "target")


@dataclass
class Comparison:
    """What ``compare_models`` found, and the edges it saw change (for the neighbourhood diagram)."""

    findings: list[Finding] = field(default_factory=list)
    added_edges: list[tuple[str, str, str]] = field(default_factory=list)
    removed_edges: list[tuple[str, str, str]] = field(default_factory=list)
    changed_nodes: list[str] = field(default_factory=list)  # entity ids whose contract changed


@dataclass
class Side:
    """One side of the diff: its model and, when its source tree is at hand, where each operation is declared."""

    model: ArchitectureModel
    locate: Callable[[str], Locator] | None = None  # service name -> (path, method) -> location


def compare_models(base: Side, head: Side, mode: Mode = Mode.BACKWARD,
                   history: list[tuple[str, ArchitectureModel]] | None = None) -> Comparison:
    """Every finding between two sides, worst first. Under a ``_TRANSITIVE`` mode, ``history`` holds earlier
    models (label, model; newest first): HEAD's payload schemas are judged against each of their versions too."""
    out = Comparison()
    _entities(out, base.model, head.model)
    _apis(out, base, head)
    _events(out, base.model, head.model, mode)
    if mode.transitive:
        _transitive(out, base.model, head.model, mode, history or [])
    _infra(out, base.model, head.model)
    _edges(out, base.model, head.model)
    _import_rules(out, base.model, head.model)
    _diagnostics(out, base.model, head.model)
    out.findings = ordered(out.findings)
    out.changed_nodes = sorted(set(out.changed_nodes))
    return out


def _entities(out: Comparison, base: ArchitectureModel, head: ArchitectureModel) -> None:
    for kind, old, new in (("service", {s.id: s for s in base.services}, {s.id: s for s in head.services}),
                           ("datastore", {d.id: d for d in base.datastores}, {d.id: d for d in head.datastores})):
        for entity in sorted(old.keys() - new.keys()):
            where = getattr(getattr(old[entity], "app", None), "location", None)
            out.findings.append(Finding(f"{kind}-removed", Level.WARNING, "architecture", entity,
                                        f"{kind} {old[entity].name} removed", base=where))
        for entity in sorted(new.keys() - old.keys()):
            where = getattr(getattr(new[entity], "app", None), "location", None)
            out.findings.append(Finding(f"{kind}-added", Level.INFO, "architecture", entity,
                                        f"{kind} {new[entity].name} added", head=where))
        for entity in sorted(old.keys() & new.keys()):
            a, b = old[entity], new[entity]
            for attribute in ("owner", "lifecycle", "system", "kind", "technology", "tier"):
                if getattr(a, attribute, None) != getattr(b, attribute, None):
                    out.findings.append(Finding(f"{kind}-{attribute}-changed", Level.INFO, "architecture", entity,
                                                f"{attribute} {getattr(a, attribute)!r} became "
                                                f"{getattr(b, attribute)!r}"))
    old_apis, new_apis = {a.id: a for a in base.apis}, {a.id: a for a in head.apis}
    for api in sorted(old_apis.keys() - new_apis.keys()):
        out.findings.append(Finding("api-removed", Level.BREAKING, "architecture", api,
                                    f"API {old_apis[api].name} of {old_apis[api].service} removed"))
    for api in sorted(new_apis.keys() - old_apis.keys()):
        out.findings.append(Finding("api-added", Level.INFO, "architecture", api,
                                    f"API {new_apis[api].name} of {new_apis[api].service} added"))


def _apis(out: Comparison, base: Side, head: Side) -> None:
    old_apis, new_apis = {a.id: a for a in base.model.apis}, {a.id: a for a in head.model.apis}
    for api_id in sorted(old_apis.keys() & new_apis.keys()):
        old, new = old_apis[api_id], new_apis[api_id]
        if old.document == new.document or "openapi" not in new.document or "openapi" not in old.document:
            continue  # event APIs are judged on their payload schemas, not as OpenAPI
        found = compare_openapi(old.service, old.document, new.document,
                                base.locate(old.service) if base.locate else None,
                                head.locate(new.service) if head.locate else None)
        out.findings.extend(found)
        if any(f.level != Level.INFO for f in found):
            out.changed_nodes.append(f"service:{new.service}")


def _events(out: Comparison, base: ArchitectureModel, head: ArchitectureModel, mode: Mode) -> None:
    old_messages = {m.name: m for m in base.events.messages}
    new_messages = {m.name: m for m in head.events.messages}
    for name in sorted(old_messages.keys() & new_messages.keys()):
        old, new = old_messages[name], new_messages[name]
        subject = f"event {name}"
        if old.subject and new.subject and old.subject != new.subject:
            out.findings.append(Finding("event-message-subject-changed", Level.BREAKING, "events", subject,
                                        f"subject {old.subject} became {new.subject}", "", _at(old), _at(new)))
        if old.schema != new.schema:
            found = compare_payloads(subject, old.schema, new.schema, mode, _at(old), _at(new))
            out.findings.extend(found)
            if any(f.level != Level.INFO for f in found) and new.subject:
                out.changed_nodes.append(f"channel:{new.subject}")
    for name in sorted(old_messages.keys() - new_messages.keys()):
        message = old_messages[name]
        out.findings.append(Finding("event-message-removed", Level.WARNING, "events", f"event {name}",
                                    "payload model removed", "", _at(message), None))
    for name in sorted(new_messages.keys() - old_messages.keys()):
        message = new_messages[name]
        out.findings.append(Finding("event-message-added", Level.INFO, "events", f"event {name}",
                                    "payload model added", "", None, _at(message)))
    _channels(out, base, head)


def _transitive(out: Comparison, base: ArchitectureModel, head: ArchitectureModel, mode: Mode,
                history: list[tuple[str, ArchitectureModel]]) -> None:
    """HEAD's payload schemas against every earlier version (each distinct schema once, newest first); a problem
    BASE's version already shows is not repeated, a problem only an older version shows names that version."""
    old_messages = {m.name: m for m in base.events.messages}
    for new in sorted(head.events.messages, key=lambda m: m.name):
        if not new.schema:
            continue
        seen = [old_messages[new.name].schema] if new.name in old_messages else []
        known = {(f.id, f.message.split(":", 1)[0]) for f in out.findings if f.subject == f"event {new.name}"}
        for label, model in history:
            old = next((m for m in model.events.messages if m.name == new.name), None)
            if old is None or not old.schema or old.schema in seen or old.schema == new.schema:
                continue
            seen.append(old.schema)
            for finding in compare_payloads(f"event {new.name}", old.schema, new.schema, mode, _at(old), _at(new)):
                key = (finding.id, finding.message.split(":", 1)[0])
                if finding.level == Level.INFO or key in known:
                    continue
                known.add(key)
                out.findings.append(replace(finding, message=f"{finding.message}; against the version of {label}, "
                                            "earlier than BASE", detail={**finding.detail, "version": label}))
                if new.subject:
                    out.changed_nodes.append(f"channel:{new.subject}")


def _at(message: EventMessage) -> SourceRef | None:
    return message.location if message.location.path else None


def _usage_at(model: ArchitectureModel, address: str, service: str, action: str) -> SourceRef | None:
    for usage in model.events.usages:
        if usage.address == address and usage.service == service and usage.action == action:
            return usage.location
    return None


def _channels(out: Comparison, base: ArchitectureModel, head: ArchitectureModel) -> None:
    old = {c.address: c for c in base.events.channels if c.address}
    new = {c.address: c for c in head.events.channels if c.address}
    removed, added = sorted(old.keys() - new.keys()), sorted(new.keys() - old.keys())
    renamed: dict[str, str] = {}
    # A subject gone, or left without its publishers, while a new one carries the same messages from the same
    # publishers: a rename, which strands every subscriber of the old name.
    silenced = [a for a in sorted(old.keys() & new.keys()) if old[a].producers and not new[a].producers]
    for address in [*removed, *silenced]:
        match = [a for a in added if a not in renamed.values() and old[address].messages and
                 set(old[address].messages) == set(new[a].messages) and
                 (not old[address].producers or set(old[address].producers) & set(new[a].producers))]
        if match:
            renamed[address] = match[0]
    for address in silenced:
        if address in renamed:
            out.findings.append(Finding("event-subject-renamed", Level.BREAKING, "events", f"subject {address}",
                                        f"its publishers now publish {', '.join(old[address].messages)} on "
                                        f"{renamed[address]}; subscribers of {address} "
                                        f"({_names(new[address].consumers)}) get nothing"))
    for address in removed:
        channel = old[address]
        if address in renamed:
            out.findings.append(Finding("event-subject-renamed", Level.BREAKING, "events", f"subject {address}",
                                        f"renamed to {renamed[address]} (messages {', '.join(channel.messages)})"))
            continue
        level = Level.BREAKING if channel.consumers and not channel.pattern else Level.WARNING
        out.findings.append(Finding("event-subject-removed", level, "events", f"subject {address}",
                                    f"subject removed (was published by {_names(channel.producers)}, consumed by "
                                    f"{_names(channel.consumers)})"))
    for address in added:
        if address in renamed.values():
            continue
        out.findings.append(Finding("event-subject-added", Level.INFO, "events", f"subject {address}",
                                    f"subject added (published by {_names(new[address].producers)}, consumed by "
                                    f"{_names(new[address].consumers)})"))
    for address in sorted(old.keys() & new.keys()):
        a, b = old[address], new[address]
        for service in sorted(set(a.producers) - set(b.producers)):
            out.findings.append(Finding("event-publisher-removed", Level.WARNING, "events", f"subject {address}",
                                        f"{service} no longer publishes it", "",
                                        _usage_at(base, address, service, "send"), None))
        for service in sorted(set(b.producers) - set(a.producers)):
            out.findings.append(Finding("event-publisher-added", Level.INFO, "events", f"subject {address}",
                                        f"{service} now publishes it", "", None,
                                        _usage_at(head, address, service, "send")))
        for service in sorted(set(a.consumers) - set(b.consumers)):
            out.findings.append(Finding("event-subscriber-removed", Level.INFO, "events", f"subject {address}",
                                        f"{service} no longer subscribes", "",
                                        _usage_at(base, address, service, "receive"), None))
        for service in sorted(set(b.consumers) - set(a.consumers)):
            out.findings.append(Finding("event-subscriber-added", Level.INFO, "events", f"subject {address}",
                                        f"{service} now subscribes", "", None,
                                        _usage_at(head, address, service, "receive")))
        if _orphan(b) and not _orphan(a):
            out.findings.append(Finding("event-became-orphan", Level.WARNING, "events", f"subject {address}",
                                        "no publisher left" if not b.producers else "no subscriber left"))


def _orphan(channel: EventChannel) -> bool:
    return not channel.pattern and (not channel.producers or not channel.consumers)


def _names(names: list[str]) -> str:
    return ", ".join(sorted(names)) or "nobody"


def _infra(out: Comparison, base: ArchitectureModel, head: ArchitectureModel) -> None:
    kinds = ("resource", "data", "module")
    old = {n.id: n for n in base.infra.nodes if n.kind in kinds}
    new = {n.id: n for n in head.infra.nodes if n.kind in kinds}
    for node_id in sorted(old.keys() - new.keys()):
        node = old[node_id]
        out.findings.append(Finding(f"terraform-{node.kind}-removed", Level.WARNING, "infrastructure",
                                    f"{node.root or '.'}: {node.address}", f"{node.kind} {node.address} removed"
                                    f"{_multiplicity(node)}", "", _loc(node), None))
    for node_id in sorted(new.keys() - old.keys()):
        node = new[node_id]
        out.findings.append(Finding(f"terraform-{node.kind}-added", Level.INFO, "infrastructure",
                                    f"{node.root or '.'}: {node.address}", f"{node.kind} {node.address} added"
                                    f"{_multiplicity(node)}", "", None, _loc(node)))
    for node_id in sorted(old.keys() & new.keys()):
        a, b = old[node_id], new[node_id]
        changed = [f"{k} {getattr(a, k)!r} became {getattr(b, k)!r}" for k in INFRA_ATTRIBUTES
                   if getattr(a, k) != getattr(b, k)]
        if a.keys != b.keys:
            changed.append(f"for_each keys {a.keys} became {b.keys}")
        if changed:
            out.findings.append(Finding(f"terraform-{b.kind}-changed", Level.INFO, "infrastructure",
                                        f"{b.root or '.'}: {b.address}", "; ".join(changed) + _multiplicity(b),
                                        "", _loc(a), _loc(b)))


def _multiplicity(node: InfraNode) -> str:
    """Instances a count/for_each decides: named when literal keys are known, flagged (never guessed) otherwise."""
    if not node.multiplicity:
        return ""
    if node.keys:
        return f" ({node.multiplicity} over {', '.join(node.keys)})"
    return f" ({node.multiplicity} = {node.multiplicity_expression or '?'}: instance count not resolvable statically)"


def _loc(node: InfraNode) -> SourceRef | None:
    return node.location if node.location.path else None


def _edges(out: Comparison, base: ArchitectureModel, head: ArchitectureModel) -> None:
    old = {(e.source, e.target, e.kind): e for e in base.edges}
    new = {(e.source, e.target, e.kind): e for e in head.edges}
    for key in sorted(old.keys() - new.keys()):
        out.removed_edges.append(key)
        evidence = old[key].evidence[0] if old[key].evidence else None
        out.findings.append(Finding(f"edge-{key[2]}-removed", Level.INFO, "architecture", f"{key[0]} -> {key[1]}",
                                    f"{key[2]} edge removed", "", evidence, None))
    for key in sorted(new.keys() - old.keys()):
        out.added_edges.append(key)
        evidence = new[key].evidence[0] if new[key].evidence else None
        out.findings.append(Finding(f"edge-{key[2]}-added", Level.INFO, "architecture", f"{key[0]} -> {key[1]}",
                                    f"{key[2]} edge added", "", None, evidence))


def _cross_service_imports(model: ArchitectureModel) -> dict[tuple[str, str], SourceRef]:
    """``(service, package of another service) -> where it is first imported``: the breaches of the rule that
    services import the shared libraries and never each other."""
    owner = model.code.service_of_package()
    out: dict[tuple[str, str], SourceRef] = {}
    for code in model.code.services:
        for imported in sorted(code.package_imports, key=lambda p: (p.location.path, p.location.line)):
            if owner.get(imported.package, code.service) != code.service:
                out.setdefault((code.service, imported.package), imported.location)
    return out


def _import_rules(out: Comparison, base: ArchitectureModel, head: ArchitectureModel) -> None:
    """Import-rule violations the head introduces (a warning: coupling, not a broken contract) or removes."""
    old, new = _cross_service_imports(base), _cross_service_imports(head)
    owner = {**base.code.service_of_package(), **head.code.service_of_package()}
    for key in sorted(new.keys() - old.keys()):
        service, package = key
        out.findings.append(Finding(
            "import-rule-violation-introduced", Level.WARNING, "architecture", f"{service} -> {owner[package]}",
            f"{service} imports {package}, a package of service {owner[package]} (services may import the "
            "shared libraries only)", "", None, new[key]))
    for key in sorted(old.keys() - new.keys()):
        service, package = key
        out.findings.append(Finding(
            "import-rule-violation-removed", Level.INFO, "architecture", f"{service} -> {owner[package]}",
            f"{service} no longer imports {package}, a package of service {owner[package]}", "", old[key], None))


def _diagnostics(out: Comparison, base: ArchitectureModel, head: ArchitectureModel) -> None:
    """Problems the head introduces (import-rule violations, unreadable files): errors only, located."""
    old = {(d.path, d.message) for d in base.diagnostics}
    for diagnostic in head.diagnostics:
        if diagnostic.severity == Severity.ERROR and (diagnostic.path, diagnostic.message) not in old:
            out.findings.append(Finding("diagnostic-introduced", Level.WARNING, "architecture", diagnostic.path,
                                        diagnostic.message, "", None, SourceRef(diagnostic.path, diagnostic.line)))
