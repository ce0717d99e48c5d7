"""Prometheus metrics and OpenTelemetry tracing for a service (exporter off unless ARRAKIS_OTLP_ENDPOINT is set).

Traced: HTTP server and client calls (FastAPI, httpx), database statements (SQLAlchemy), NATS publishing and
consuming (``event_tracing``, called by the event bus). A background poll (the outbox relay's queries, a scheduler's
tick) opens no trace of its own: the sampler drops database spans that have no parent.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Response
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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import ServiceSettings

_httpx_instrumented = False
log = logging.getLogger(__name__)
# How long one scrape may wait for JetStream to report a consumer's backlog before the gauge keeps its last value.
CONSUMER_INFO_TIMEOUT = 1.0
ScrapeHook = Callable[[], None | Awaitable[None]]
# Request-duration buckets: the client's defaults plus 0.2 s and 0.3 s, thresholds the services' latency objectives
# use (a threshold between two buckets cannot be measured).
HTTP_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


class Metrics:
    """One registry per app, so several apps can live in one process (tests) without clashing."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                                 buckets=HTTP_LATENCY_BUCKETS, registry=self.registry)
        self.outbox_pending = Gauge("arrakis_outbox_pending", "Events waiting in the outbox", registry=self.registry)
        self.events_published = Gauge("arrakis_events_published", "Events published since start",
                                      registry=self.registry)
        self.events_consumed = Gauge("arrakis_events_consumed", "Events handled since start", registry=self.registry)
        self.info = Gauge("arrakis_service_info", "Service identity", ["service"], registry=self.registry)
        self.info.labels(service=service).set(1)
        self.consumer_pending = Gauge("arrakis_consumer_pending_events",
                                      "Events in the stream a durable consumer has not yet received (JetStream "
                                      "num_pending), refreshed at scrape", ["consumer"], registry=self.registry)
        self.ready = Gauge("arrakis_ready", "1 when a readiness check passes (database, nats), checked at scrape",
                           ["check"], registry=self.registry)
        self.outbox_backlog = Gauge("arrakis_outbox_backlog", "Events in the outbox not yet acknowledged by "
                                    "JetStream, counted at scrape", registry=self.registry)
        self.outbox_oldest_age = Gauge("arrakis_outbox_oldest_unsent_age_seconds", "Age of the oldest event the "
                                       "relay has not yet published (0 when none waits), at scrape",
                                       registry=self.registry)
        self.dead_lettered = Counter("arrakis_events_dead_lettered", "Events a consumer could not handle and kept "
                                     "in event_dead_letters, by subject and reason", ["subject", "reason"],
                                     registry=self.registry)
        self.scrape_hooks: list[ScrapeHook] = []
        self._routes_known = False

    def on_scrape(self, hook: ScrapeHook) -> None:
        """Run ``hook`` (plain or async) before every exposition: gauges that describe state are read fresh."""
        self.scrape_hooks.append(hook)

    def know_routes(self, app: FastAPI) -> None:
        """Create every documented route's latency series at zero, so a route's rate is 0 before its first request
        instead of absent (an absent series hides an objective's traffic and looks like a dead query)."""
        if self._routes_known:
            return
        self._routes_known = True
        for route in app.routes:
            if getattr(route, "include_in_schema", False) and hasattr(route, "methods"):
                for method in sorted(route.methods or ()):
                    self.latency.labels(method, route.path)


class MeasureRequests:
    """Pure ASGI middleware counting and timing requests by route template: unlike ``@app.middleware("http")``
    (Starlette's BaseHTTPMiddleware) it adds no task, stream or response wrapper per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(time.perf_counter() - started)


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """Count and time every request by route template, and serve ``/metrics``."""

    app.add_middleware(MeasureRequests, metrics=metrics)
    app.state.metrics = metrics

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        metrics.know_routes(app)
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None and runtime.bus.db is not None:
            waiting, oldest_age = await asyncio.to_thread(runtime.bus.backlog)
            metrics.outbox_pending.set(waiting)
            metrics.outbox_backlog.set(waiting)
            metrics.outbox_oldest_age.set(oldest_age)
            metrics.events_published.set(runtime.bus.published)
            metrics.events_consumed.set(runtime.bus.consumed)
            await _refresh_runtime_gauges(metrics, runtime)
        for hook in metrics.scrape_hooks:
            result = hook()
            if inspect.isawaitable(result):
                await result
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def _refresh_runtime_gauges(metrics: Metrics, runtime: object) -> None:
    """Readiness checks and each durable consumer's backlog, as the service sees them now."""
    bus = runtime.bus  # type: ignore[attr-defined]
    database = await asyncio.to_thread(runtime.db.ping) if runtime.db is not None else False  # type: ignore[attr-defined]
    metrics.ready.labels("database").set(1 if database else 0)
    metrics.ready.labels("nats").set(1 if bus.broker_state() in ("ok", "disabled") else 0)
    for sub in bus.subscriptions:
        gauge = metrics.consumer_pending.labels(sub.durable)  # the series exists from the first scrape on
        js = getattr(bus, "js", None)
        if js is None or not bus.connected:
            continue
        try:
            info = await asyncio.wait_for(js.consumer_info(bus.settings.nats_stream, sub.durable.replace(".", "-")),
                                          CONSUMER_INFO_TIMEOUT)
        except Exception as exc:  # not created yet, or NATS slow: the gauge keeps its last value
            log.debug("consumer %s: no info (%s)", sub.durable, exc)
            continue
        gauge.set(info.num_pending)
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
