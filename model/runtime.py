"""What the running platform did: the call graph observed in traces, and how it compares with the static model.

A leaf of the model like its siblings: plain dataclasses, JSON-serialisable through
``arrakis_docs.model.architecture.to_jsonable``, sorted by ``normalise`` so the same spans give the same bytes.

Entity ids follow the static model where they can (``service:<name>``, ``datastore:<name>``); a NATS subject is
``channel:<subject>``, a database seen only in spans ``database:<system>/<name>``, an HTTP peer outside the platform
``external:<host:port>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HTTP = "http"
NATS = "nats"
DATABASE = "database"
PROTOCOLS = (HTTP, NATS, DATABASE)

# How an observed edge relates to the static model.
DECLARED_AND_OBSERVED = "declared-and-observed"
DECLARED_ONLY = "declared-only"
OBSERVED_ONLY = "observed-only"
EXTERNAL = "external"  # observed, to a peer outside the platform, which no static model describes
LABELS = (DECLARED_AND_OBSERVED, DECLARED_ONLY, OBSERVED_ONLY, EXTERNAL)

# Edge kinds.
CALLS = "calls"  # service -> service over HTTP, one edge per route template
PUBLISHES = "publishes"  # service -> channel
CONSUMES = "consumes"  # channel -> service
DELIVERS = "delivers"  # producer service -> consumer service through a subject (joined by link or by subject)
QUERIES = "queries"  # service -> database


@dataclass
class EdgeStats:
    """How often an edge was seen and how long it took (milliseconds; ISO 8601 UTC times)."""

    calls: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    first_seen: str = ""
    last_seen: str = ""


@dataclass
class ObservedEdge:
    """One relation seen in spans. ``detail`` is the route template (``GET /objects/{object_id}``), the subject or
    the database operation; ``via`` says how a ``delivers`` edge was joined (``link`` or ``subject``)."""

    source: str
    target: str
    protocol: str
    kind: str
    detail: str = ""
    via: str = ""
    stats: EdgeStats = field(default_factory=EdgeStats)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Identity of the edge (everything but its numbers)."""
        return (self.protocol, self.kind, self.source, self.target, self.detail)


@dataclass
class FlowStep:
    """One arrow of a flow's sequence diagram: ``source`` -> ``target`` at ``start_ms`` after the flow began."""

    source: str
    target: str
    protocol: str
    label: str
    start_ms: float
    duration_ms: float
    error: bool = False
    reply: bool = False  # an answer arrow (dashed) back to the caller


@dataclass
class Flow:
    """A public operation (the root HTTP span a client called) drawn from one representative real trace and the
    traces linked from it (the consumers of the events it caused)."""

    operation: str  # "POST /objects"
    service: str
    trace_id: str
    traces: int  # how many traces of this operation were seen
    duration_ms: float  # from the request to the last linked step
    steps: list[FlowStep] = field(default_factory=list)


@dataclass
class ServiceRuntime:
    """What one service did: the operations it served, with their numbers."""

    name: str
    spans: int = 0
    operations: dict[str, EdgeStats] = field(default_factory=dict)


@dataclass
class ObservedGraph:
    """The call graph observed in a set of spans."""

    edges: list[ObservedEdge] = field(default_factory=list)
    services: list[ServiceRuntime] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    spans: int = 0
    traces: int = 0
    first_seen: str = ""
    last_seen: str = ""
    sources: list[str] = field(default_factory=list)  # where the spans were read from
    problems: list[str] = field(default_factory=list)  # unreadable input, one "where: what" line each

    def normalise(self) -> ObservedGraph:
        """Sort every list, so the same spans always serialise to the same bytes."""
        self.edges.sort(key=lambda e: e.key)
        self.services.sort(key=lambda s: s.name)
        self.flows.sort(key=lambda f: (f.service, f.operation))
        self.sources.sort()
        return self

    def service_names(self) -> list[str]:
        """Every service that sent spans."""
        return [s.name for s in self.services]


@dataclass
class ReconciledEdge:
    """A relation between two entities for one protocol, and what the code and the traces say about it."""

    protocol: str
    source: str
    target: str
    label: str
    declared: bool
    observed: bool
    kind: str = ""  # calls | queries | publishes | consumes | delivers | uses-stream
    details: list[str] = field(default_factory=list)  # routes, subjects or operations seen on it
    stats: EdgeStats = field(default_factory=EdgeStats)
    evidence: list[str] = field(default_factory=list)  # path:line of the declaration, when declared


@dataclass
class Reconciliation:
    """Every declared and every observed relation, labelled."""

    edges: list[ReconciledEdge] = field(default_factory=list)
    window: tuple[str, str] = ("", "")

    def normalise(self) -> Reconciliation:
        """Sort the edges by protocol, label and ends."""
        self.edges.sort(key=lambda e: (e.protocol, e.kind, e.source, e.target))
        return self

    def counts(self) -> dict[str, dict[str, int]]:
        """Protocol -> label -> number of edges (every protocol and label present, zeros included)."""
        table = {p: dict.fromkeys(LABELS, 0) for p in PROTOCOLS}
        for edge in self.edges:
            table.setdefault(edge.protocol, dict.fromkeys(LABELS, 0))[edge.label] += 1
        return table

    def labelled(self, label: str) -> list[ReconciledEdge]:
        """The edges with one label."""
        return [e for e in self.edges if e.label == label]
