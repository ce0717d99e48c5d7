"""Prometheus metrics and OpenTelemetry tracing for a service (exporter off unless ARRAKIS_OTLP_ENDPOINT is set)."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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


def install_tracing(app: FastAPI, settings: ServiceSettings) -> TracerProvider:
    """Trace FastAPI and httpx; spans leave the process only when an OTLP endpoint is configured."""
    global _httpx_instrumented
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name,
                                                        "service.version": settings.service_version}))
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="/metrics,/health/.*")
    if not _httpx_instrumented:
        HTTPXClientInstrumentor().instrument(tracer_provider=provider)
        _httpx_instrumented = True
    return provider
