"""Monitoring facts: the Prometheus metrics a service's code defines and the service level objectives it is held to.

Part of the architecture model (``ArchitectureModel.monitoring``): plain dataclasses, no imports of ours beyond
``refs``. Extractors fill it from the code (metric constructors) and ``service.yaml`` (objectives, else defaults by
tier); the monitoring writers turn it into rules, alerts, dashboards and runbooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arrakis_docs.model.refs import SourceRef


@dataclass(frozen=True, order=True)
class MetricDefinition:
    """One metric family a service exposes, as its code constructs it (``Histogram("name", ..., buckets=...)``).

    ``name`` is the exposed family name (a counter's ``_total`` included); ``buckets`` are a histogram's upper bounds
    without ``+Inf`` (the client library's defaults when the code gives none)."""

    service: str
    name: str
    kind: str  # counter | gauge | histogram | summary | info
    location: SourceRef
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()
    help: str = ""


@dataclass
class Objective:
    """A service level objective over a 30-day (``window``) rolling window.

    ``sli`` says what is measured: ``availability`` (share of requests not answered 5xx), ``latency`` (share answered
    within ``threshold`` seconds, a bucket boundary of the service's request histogram) or ``freshness`` (share of
    time a durable consumer's backlog stays at or under ``threshold`` events). ``routes`` are the route templates
    (availability, latency) and ``subjects`` the event subjects (freshness) it covers."""

    service: str
    name: str
    sli: str
    target: float  # percent, e.g. 99.9
    description: str = ""
    window: str = "30d"
    threshold: float = 0.0
    group: str = ""  # the route group (first path segment) or the consumer's durable name
    routes: list[str] = field(default_factory=list)
    consumer: str = ""
    subjects: list[str] = field(default_factory=list)
    source: str = "defaults"  # service.yaml | defaults (tier)
    declared_threshold: float = 0.0  # what service.yaml asked for, before snapping to a bucket


@dataclass
class MonitoringModel:
    """Metrics and objectives of every service."""

    metrics: list[MetricDefinition] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)

    def normalise(self) -> None:
        """Sort and de-duplicate, so the model has one canonical form."""
        self.metrics = sorted(set(self.metrics))
        self.objectives = sorted({(o.service, o.name): o for o in self.objectives}.values(),
                                 key=lambda o: (o.service, o.name))

    def merge(self, other: MonitoringModel) -> None:
        """Add another service's facts."""
        self.metrics.extend(other.metrics)
        self.objectives.extend(other.objectives)

    def metrics_of(self, service: str) -> list[MetricDefinition]:
        """The metric families ``service`` exposes."""
        return [m for m in self.metrics if m.service == service]

    def metric(self, service: str, name: str) -> MetricDefinition | None:
        """One metric family of ``service`` by its exposed name."""
        return next((m for m in self.metrics if m.service == service and m.name == name), None)

    def objectives_of(self, service: str) -> list[Objective]:
        """The objectives ``service`` is held to."""
        return [o for o in self.objectives if o.service == service]
