"""Prometheus metrics and OpenTelemetry tracing for a service (exporter off unless ARRAKIS_OTLP_ENDPOINT is set).

Traced: HTTP server and client calls (FastAPI, httpx), database statements (SQLAlchemy), NATS publishing and
consuming (``event_tracing``, called by the event bus). A background poll (the outbox relay's queries, a scheduler's
tick) opens no trace of its own: the sampler drops database spans that have no parent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import FastAPI, Request, Response
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import Engine

from .settings import ServiceSettings

_httpx_instrumented = False


class Metrics:
    """One registry per app, so several apps can live in one process (tests) without clashing."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                                 registry=self.registry)
        self.outbox_pending = Gauge("arrakis_outbox_pending", "Events waiting in the outbox", registry=self.registry)
        self.events_published = Gauge("arrakis_events_published", "Events published since start",
                                      registry=self.registry)
        self.events_consumed = Gauge("arrakis_events_consumed", "Events handled since start", registry=self.registry)
        self.info = Gauge("arrakis_service_info", "Service identity", ["service"], registry=self.registry)
        self.info.labels(service=service).set(1)


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """Count and time every request by route template, and serve ``/metrics``."""

    @app.middleware("http")
    async def _measure(request: Request, call_next):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        metrics.latency.labels(request.method, template).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None and runtime.bus.db is not None:
            metrics.outbox_pending.set(runtime.bus.pending_count())
            metrics.events_published.set(runtime.bus.published)
            metrics.events_consumed.set(runtime.bus.consumed)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


class NoOrphanQueries(Sampler):
    """Root sampler: a client span that starts a trace without saying it is an HTTP call is a database statement
    run by a background poll; it is dropped, so idle services send no traces. Everything else is kept."""

    def should_sample(self, parent_context: Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Attributes = None,
                      links: Sequence[Link] | None = None, trace_state: object = None) -> SamplingResult:
        """Drop parentless database client spans; sample the rest."""
        attrs = attributes or {}
        if kind == SpanKind.CLIENT and not any(k in attrs for k in ("http.request.method", "http.method", "url.full")):
            return SamplingResult(Decision.DROP)
        return ALWAYS_ON.should_sample(parent_context, trace_id, name, kind, attributes, links)

    def get_description(self) -> str:
        """The sampler's name, as the SDK reports it."""
        return "NoOrphanQueries"


def instrument_database(engine: Engine, provider: TracerProvider | None, settings: ServiceSettings) -> None:
    """Trace every statement ``engine`` runs as a database client span (``db.system``, ``db.name``), when spans
    leave the process at all. The instrumentation's engine tracer is attached to this one engine only (its
    ``instrument()`` would patch ``create_engine`` process-wide, asyncio engines included)."""
    if provider is None or not settings.otlp_endpoint:
        return
    from opentelemetry.instrumentation.sqlalchemy import __name__ as scope
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider

    usage = NoOpMeterProvider().get_meter(scope).create_up_down_counter("db.client.connections.usage")
    EngineTracer(provider.get_tracer(scope), engine, usage)


def install_tracing(app: FastAPI, settings: ServiceSettings) -> TracerProvider:
    """Trace FastAPI and httpx; spans leave the process only when an OTLP endpoint is configured."""
    global _httpx_instrumented
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name,
                                                        "service.version": settings.service_version}),
                              sampler=ParentBased(root=NoOrphanQueries()))
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)
    # Without the ASGI layer's per-message "http send"/"http receive" spans: three per request, no information.
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="/metrics,/health/.*",
                                       exclude_spans=["receive", "send"])
    if not _httpx_instrumented:
        HTTPXClientInstrumentor().instrument(tracer_provider=provider)
        _httpx_instrumented = True
    return provider
