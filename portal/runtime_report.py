"""Reconciliation of the observed call graph with the static model, and the reports ``arrakis-docs runtime`` writes.

Per protocol, every relation is labelled:

- ``declared-and-observed``: the code declares it and the traces show it;
- ``declared-only``: declared, never seen in the window (dead code, an untested path, or a call not traced);
- ``observed-only``: seen, declared nowhere (a raw URL, a subject nobody documented): what ``--fail-on`` catches;
- ``external``: an HTTP call to a peer outside the platform (a webhook receiver); no static model describes it.

What counts as declared: HTTP, a ``depends-on`` edge between two services (the declared clients); NATS, a send
usage whose subject matches the observed one (``{param}`` tokens and wildcards included; a send whose subject is
only known at run time declares every subject of its service) for ``publishes``, a receive usage whose pattern
matches for ``consumes``, a ``consumes-api`` edge to the producer's event API for ``delivers``, and a
``depends-on`` edge to the message stream; databases, a ``depends-on`` edge to a datastore of kind database or
cache: a span goes to the declared datastore whose technology is its ``db.system`` (``redis``), else a SQL span to
the service's only database (SQLite in development stands for the PostgreSQL a deployment declares).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from arrakis_docs.model.architecture import ArchitectureModel, dumps
from arrakis_docs.model.events import RECEIVE, SEND, event_api_name, subject_matches
from arrakis_docs.model.runtime import (
    CONSUMES,
    DATABASE,
    DECLARED_AND_OBSERVED,
    DECLARED_ONLY,
    DELIVERS,
    EXTERNAL,
    HTTP,
    LABELS,
    NATS,
    OBSERVED_ONLY,
    PUBLISHES,
    EdgeStats,
    ObservedEdge,
    ObservedGraph,
    ReconciledEdge,
    Reconciliation,
)

STREAM = "uses-stream"
STORE_KINDS = ("database", "cache")  # datastores a service queries (a message stream is NATS' business)
# db.system values of SQL databases (SQLAlchemy's dialect names): what a declared database of another engine may be.
SQL_SYSTEMS = frozenset({"sqlite", "postgresql", "mysql", "mariadb", "mssql", "oracle", "other_sql", "db"})


@dataclass
class _Pending:
    protocol: str
    source: str
    target: str
    kind: str
    declared: bool = False
    evidence: set[str] = field(default_factory=set)
    observed: list[ObservedEdge] = field(default_factory=list)


def _merge(stats: list[EdgeStats]) -> EdgeStats:
    """Several edges' numbers as one: counts add up, percentiles are the call-weighted worst (a bound, not a
    recomputation: the samples are per edge)."""
    if not stats:
        return EdgeStats()
    seen = [s for s in stats if s.calls]
    return EdgeStats(sum(s.calls for s in stats), sum(s.errors for s in stats),
                     max((s.p50_ms for s in seen), default=0.0), max((s.p95_ms for s in seen), default=0.0),
                     min((s.first_seen for s in seen if s.first_seen), default=""),
                     max((s.last_seen for s in seen), default=""))


def reconcile(model: ArchitectureModel, graph: ObservedGraph) -> Reconciliation:
    """Label every declared and every observed relation (see the module's docstring)."""
    services = {s.id for s in model.services}
    pending: dict[tuple[str, str, str, str], _Pending] = {}

    def slot(protocol: str, kind: str, source: str, target: str) -> _Pending:
        key = (protocol, kind, source, target)
        if key not in pending:
            pending[key] = _Pending(protocol, source, target, kind)
        return pending[key]

    databases: dict[str, list[str]] = {}
    streams: dict[str, list[str]] = {}
    kinds = {d.id: d.kind for d in model.datastores}
    technologies = {d.id: d.technology for d in model.datastores}
    for edge in model.edges:
        evidence = {str(ref) for ref in edge.evidence}
        if edge.kind == "depends-on" and edge.source in services and edge.target in services:
            item = slot(HTTP, "calls", edge.source, edge.target)
        elif edge.kind == "depends-on" and kinds.get(edge.target) in STORE_KINDS:
            databases.setdefault(edge.source, []).append(edge.target)
            item = slot(DATABASE, "queries", edge.source, edge.target)
        elif edge.kind == "depends-on" and kinds.get(edge.target) == "message-stream":
            streams.setdefault(edge.source, []).append(edge.target)
            item = slot(NATS, STREAM, edge.source, edge.target)
        elif edge.kind == "consumes-api" and edge.target.endswith("-events"):
            producer = next((s.id for s in model.services
                             if f"api:{event_api_name(s.name)}" == edge.target), "")
            if not producer:
                continue
            item = slot(NATS, DELIVERS, producer, edge.source)
        else:
            continue
        item.declared = True
        item.evidence |= evidence
    sends = [u for u in model.events.usages if u.action == SEND]
    receives = [u for u in model.events.usages if u.action == RECEIVE and u.address]
    for use in sends:
        if use.address:
            slot(NATS, PUBLISHES, f"service:{use.service}", f"channel:{use.address}").declared = True
            pending[(NATS, PUBLISHES, f"service:{use.service}", f"channel:{use.address}")].evidence.add(
                str(use.location))
    for use in receives:
        item = slot(NATS, CONSUMES, f"channel:{use.address}", f"service:{use.service}")
        item.declared = True
        item.evidence.add(str(use.location))

    for edge in graph.edges:
        if edge.protocol == HTTP:
            slot(HTTP, "calls", edge.source, edge.target).observed.append(edge)
        elif edge.protocol == DATABASE:
            declared = databases.get(edge.source, [])
            system = edge.target.removeprefix("database:").split("/", 1)[0]
            same = [d for d in declared if technologies.get(d) == system]
            sql = [d for d in declared if kinds.get(d) == "database"]
            if len(same) == 1:
                target = same[0]
            elif system in SQL_SYSTEMS and len(sql) == 1:
                target = sql[0]
            else:
                target = edge.target
            slot(DATABASE, "queries", edge.source, target).observed.append(edge)
        elif edge.kind == PUBLISHES:
            subject = edge.target.removeprefix("channel:")
            service = edge.source.removeprefix("service:")
            match = next((u for u in sends if u.service == service and u.address
                          and subject_matches(u.address, subject)), None)
            dynamic = next((u for u in sends if u.service == service and not u.address), None)
            if match is not None:
                slot(NATS, PUBLISHES, edge.source, f"channel:{match.address}").observed.append(edge)
            else:
                item = slot(NATS, PUBLISHES, edge.source, edge.target)
                item.observed.append(edge)
                if dynamic is not None:  # a subject chosen at run time, by code the extractor saw
                    item.declared = True
                    item.evidence.add(str(dynamic.location))
            for stream in streams.get(edge.source, []):
                slot(NATS, STREAM, edge.source, stream).observed.append(edge)
        elif edge.kind == CONSUMES:
            subject = edge.source.removeprefix("channel:")
            service = edge.target.removeprefix("service:")
            match = next((u for u in receives if u.service == service and subject_matches(u.address, subject)),
                         None)
            source = f"channel:{match.address}" if match is not None else edge.source
            slot(NATS, CONSUMES, source, edge.target).observed.append(edge)
            for stream in streams.get(edge.target, []):
                slot(NATS, STREAM, edge.target, stream).observed.append(edge)
        elif edge.kind == DELIVERS:
            item = slot(NATS, DELIVERS, edge.source, edge.target)
            item.observed.append(edge)
            producer, consumer = edge.source.removeprefix("service:"), edge.target.removeprefix("service:")
            sent = [u for u in sends if u.service == producer and (not u.address
                                                                   or subject_matches(u.address, edge.detail))]
            heard = [u for u in receives if u.service == consumer and subject_matches(u.address, edge.detail)]
            if sent and heard:  # both halves declared: a subject chosen at run time that a declared consumer hears
                item.declared = True
                item.evidence |= {str(u.location) for u in sent + heard}

    result = Reconciliation(window=(graph.first_seen, graph.last_seen))
    for item in pending.values():
        observed = bool(item.observed)
        if item.target.startswith("external:"):
            label = EXTERNAL
        elif item.declared and observed:
            label = DECLARED_AND_OBSERVED
        elif item.declared:
            label = DECLARED_ONLY
        else:
            label = OBSERVED_ONLY
        stats = [e.stats for e in item.observed]
        details = sorted({e.detail for e in item.observed if e.detail} |
                         ({f"via {e.via}" for e in item.observed if e.via} if item.kind == DELIVERS else set()))
        result.edges.append(ReconciledEdge(item.protocol, item.source, item.target, label, item.declared, observed,
                                           item.kind, details, _merge(stats), sorted(item.evidence)))
    return result.normalise()


def summary_lines(graph: ObservedGraph, result: Reconciliation) -> list[str]:
    """What the terminal shows: the window, the counts per protocol and label, then every edge with its numbers."""
    lines = [f"{graph.spans} spans in {graph.traces} traces from {len(graph.services)} services, "
             f"{graph.first_seen or '-'} .. {graph.last_seen or '-'}"]
    for problem in graph.problems[:20]:
        lines.append(f"warning: {problem}")
    if len(graph.problems) > 20:
        lines.append(f"warning: {len(graph.problems) - 20} more unreadable inputs")
    for protocol, counts in result.counts().items():
        lines.append(f"{protocol}: " + ", ".join(f"{counts[label]} {label}" for label in LABELS))
    for edge in result.edges:
        numbers = (f"{edge.stats.calls} calls, {edge.stats.errors} errors, p50 {edge.stats.p50_ms:g} ms, "
                   f"p95 {edge.stats.p95_ms:g} ms" if edge.observed else "never seen")
        detail = f" [{', '.join(edge.details[:6])}{', ...' if len(edge.details) > 6 else ''}]" if edge.details else ""
        lines.append(f"{edge.label:22} {edge.protocol:8} {edge.kind:9} {edge.source} -> {edge.target}: "
                     f"{numbers}{detail}")
    return lines


def report_json(graph: ObservedGraph, result: Reconciliation) -> str:
    """The JSON report: the observed graph and the labelled relations, canonical (sorted keys, no timestamps but
    the spans' own)."""
    return dumps({"counts": result.counts(), "reconciliation": result, "observed": graph})


def jaeger_dependencies(graph: ObservedGraph) -> list[dict[str, Any]]:
    """Service-to-service call counts in Jaeger's ``/api/dependencies`` shape (``parent``, ``child``,
    ``callCount``): HTTP calls and event deliveries, summed per pair."""
    totals: dict[tuple[str, str], int] = {}
    for edge in graph.edges:
        if edge.kind in ("calls", DELIVERS) and edge.source.startswith("service:") and \
                edge.target.startswith("service:"):
            pair = (edge.source.removeprefix("service:"), edge.target.removeprefix("service:"))
            totals[pair] = totals.get(pair, 0) + edge.stats.calls
    return [{"parent": p, "child": c, "callCount": n} for (p, c), n in sorted(totals.items())]


def public_flows(model: ArchitectureModel, graph: ObservedGraph) -> None:
    """Keep only the flows of public operations: those in their service's API document (not ``/openapi.json``,
    health probes or other routes left out of the schema)."""
    public: set[tuple[str, str]] = set()
    for api in model.apis:
        for path, item in (api.document.get("paths") or {}).items():
            for method in item if isinstance(item, dict) else {}:
                public.add((api.service, f"{method.upper()} {path}"))
    graph.flows = [f for f in graph.flows if (f.service, f.operation) in public]
