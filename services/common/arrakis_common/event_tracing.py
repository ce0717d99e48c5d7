"""Spans around NATS messaging, following the OpenTelemetry messaging semantic conventions.

There is no official OpenTelemetry instrumentation for NATS in Python, so the bus calls these two hooks itself:

- :func:`publish_span` opens a PRODUCER span (``send <subject>``) when the outbox relay publishes, as a child of the
  request that wrote the outbox row (its context travels in the envelope), and injects the span's own context into
  the NATS message headers (``traceparent``), where consumers find it.
- :func:`process_span` opens a CONSUMER span (``process <subject>``) around a durable consumer's handler. The span
  starts a trace of its own and *links* to the producer span, as the conventions recommend for pull consumers:
  one message may be handled long after, and many times over, the request that caused it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

SYSTEM = "nats"


def _attributes(subject: str, operation: str, message_id: str) -> dict[str, str]:
    return {"messaging.system": SYSTEM, "messaging.destination.name": subject,
            "messaging.operation.type": operation, "messaging.operation.name": operation,
            "messaging.message.id": message_id}


@contextmanager
def publish_span(tracer: trace.Tracer, subject: str, message_id: str, origin: Mapping[str, str],
                 headers: dict[str, str]) -> Iterator[Span]:
    """A PRODUCER span for publishing one message; ``origin`` is the context the outbox row was written in, and
    ``headers`` (the NATS headers about to be sent) receive this span's ``traceparent``."""
    parent = propagate.extract(dict(origin))
    with tracer.start_as_current_span(f"send {subject}", context=parent, kind=SpanKind.PRODUCER,
                                      attributes=_attributes(subject, "send", message_id),
                                      record_exception=True) as span:
        propagate.inject(headers)
        yield span


@contextmanager
def process_span(tracer: trace.Tracer, subject: str, message_id: str, headers: Mapping[str, str] | None,
                 fallback: Mapping[str, str], *, pattern: str, consumer: str) -> Iterator[Span]:
    """A CONSUMER span for handling one message, in a new trace linked to the producer's span (found in the NATS
    headers, or in ``fallback``, the envelope's own trace context, for messages published before headers carried
    it). ``pattern`` is the subscription's subject (wildcards allowed), ``consumer`` the durable's name."""
    carrier = {k.lower(): v for k, v in (headers or {}).items()}
    if "traceparent" not in carrier:
        carrier = {k.lower(): v for k, v in fallback.items()}
    producer = trace.get_current_span(propagate.extract(carrier)).get_span_context()
    links = [Link(producer)] if producer.is_valid else []
    attributes = {**_attributes(subject, "process", message_id), "messaging.destination.template": pattern,
                  "messaging.consumer.group.name": consumer}
    # An empty context: the handler's trace is its own, tied to the producer by the link only.
    with tracer.start_as_current_span(f"process {subject}", context=otel_context.Context(), kind=SpanKind.CONSUMER,
                                      links=links, attributes=attributes, record_exception=True,
                                      set_status_on_exception=True) as span:
        yield span


def mark_failed(span: Span, error: BaseException) -> None:
    """Record a handler failure the caller catches (the message is redelivered), so the span shows it."""
    span.record_exception(error)
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))


@contextmanager
def follow_up_span(tracer: trace.Tracer, name: str, origin: Mapping[str, str],
                   attributes: Mapping[str, str] | None = None) -> Iterator[Span]:
    """A span for work done later on behalf of an event (a webhook delivery from a queue), in a trace of its own
    linked to ``origin``, the trace context the event carries (``Envelope.trace``)."""
    cause = trace.get_current_span(propagate.extract({k.lower(): v for k, v in origin.items()})).get_span_context()
    with tracer.start_as_current_span(name, context=otel_context.Context(), kind=SpanKind.INTERNAL,
                                      links=[Link(cause)] if cause.is_valid else [],
                                      attributes=dict(attributes or {})) as span:
        yield span
