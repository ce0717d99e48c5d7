"""Spans from a running system, read as a stream, and the call graph they show (``arrakis-docs runtime``).

Sources, all decoded into :class:`SpanRecord` one at a time:

- OTLP JSON files (``*.jsonl``/``*.json``): one ``ExportTraceServiceRequest`` per line, the format the OpenTelemetry
  Collector's file exporter and the portal's ``POST /v1/traces`` write;
- a Jaeger query API: ``/api/services`` then ``/api/traces?service=`` per service (Jaeger's own JSON: ``references``,
  ``processes``, ``tags``);
- a Tempo API: ``/api/search`` then ``/api/traces/<id>`` (OTLP JSON, ``batches`` or ``resourceSpans``).

:class:`GraphBuilder` folds the stream into an :class:`ObservedGraph` keeping only what a join still waits for
(an HTTP client span until its server span turns up, a producer span's id for the consumers that link to it) and a
bounded sample of durations per edge, never the spans themselves:

- HTTP: a client span joined with the server span whose parent it is -> ``caller -calls-> callee`` per route
  template; a client span nobody answered -> a call to ``external:<host:port>``;
- NATS: PRODUCER spans -> ``service -publishes-> channel:<subject>``; CONSUMER spans -> ``channel -consumes->
  service``; the two joined by the consumer's link to the producer span (across traces), else by subject, wildcards
  included (``messaging.destination.template``) -> ``producer -delivers-> consumer``;
- databases: client spans with ``db.system`` -> ``service -queries-> database:<system>/<name>`` (Redis: the
  database index as the name).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import zlib
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from arrakis_docs.model.events import is_wildcard, subject_matches
from arrakis_docs.model.runtime import (
    CALLS,
    CONSUMES,
    DATABASE,
    DELIVERS,
    HTTP,
    NATS,
    PUBLISHES,
    QUERIES,
    EdgeStats,
    Flow,
    FlowStep,
    ObservedEdge,
    ObservedGraph,
    ServiceRuntime,
)

# OTLP span kinds (the enum's integer values).
INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5
_KIND_NAMES = {"SPAN_KIND_INTERNAL": INTERNAL, "SPAN_KIND_SERVER": SERVER, "SPAN_KIND_CLIENT": CLIENT,
               "SPAN_KIND_PRODUCER": PRODUCER, "SPAN_KIND_CONSUMER": CONSUMER}
_JAEGER_KINDS = {"internal": INTERNAL, "server": SERVER, "client": CLIENT, "producer": PRODUCER,
                 "consumer": CONSUMER}
SAMPLE = 4096  # durations kept per edge for its percentiles (a seeded reservoir beyond that)
FLOW_LINK_DEPTH = 4  # how many event hops a flow follows from its request


@dataclass(slots=True)
class SpanRecord:
    """One span, reduced to what the graph needs. Times in nanoseconds since the epoch; ids lower-case hex."""

    trace_id: str
    span_id: str
    parent_id: str
    service: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    error: bool
    attributes: dict[str, Any]
    links: list[tuple[str, str]] = field(default_factory=list)  # (trace id, span id) of linked spans
    where: tuple[int, int] = (0, 0)  # (source number, line) it was read from, for a second pass

    @property
    def duration_ms(self) -> float:
        """How long the span took."""
        return max(self.end_ns - self.start_ns, 0) / 1e6


class TraceInputError(ValueError):
    """A request body or file that is not OTLP / Jaeger / Tempo trace data."""


# ---------------------------------------------------------------- OTLP: protobuf and JSON


def _hex_id(value: Any) -> str:
    """An OTLP/JSON id (hex, as the spec says: 32 or 16 characters) or a protobuf-JSON id (base64, as Tempo and
    json_format write: 24 or 12 characters); the length tells them apart."""
    if not value:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) in (32, 16):
        return text if text.islower() or text.isdigit() else text.lower()
    try:
        return base64.b64decode(text, validate=True).hex()
    except (binascii.Error, ValueError):
        return text.lower()


def otlp_protobuf_to_json(body: bytes) -> dict[str, Any]:
    """An ``ExportTraceServiceRequest`` in protobuf -> its OTLP/JSON form (hex ids, integer enums, camelCase)."""
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise TraceInputError(f"not an OTLP ExportTraceServiceRequest in protobuf: {exc}") from None
    data = json_format.MessageToDict(request, use_integers_for_enums=True)
    for resource in data.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = _hex_id(span[key])
                for link in span.get("links", []):
                    for key in ("traceId", "spanId"):
                        if key in link:
                            link[key] = _hex_id(link[key])
    return data


def otlp_json_request(body: bytes) -> dict[str, Any]:
    """An ``ExportTraceServiceRequest`` in OTLP/JSON, checked for its shape; raises :class:`TraceInputError`."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TraceInputError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceSpans", []), list):
        raise TraceInputError("not an OTLP/JSON ExportTraceServiceRequest: expected an object with resourceSpans")
    return data


def _value(value: Any) -> Any:
    """An OTLP AnyValue -> a Python value."""
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    if "arrayValue" in value:
        return [_value(v) for v in value["arrayValue"].get("values", [])]
    return None


def _attributes(items: Iterable[dict[str, Any]] | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items or ():
        value = item.get("value")
        if isinstance(value, dict) and "stringValue" in value:  # the common case first
            found[item.get("key", "")] = value["stringValue"]
        else:
            found[item.get("key", "")] = _value(value)
    return found


def _kind(value: Any) -> int:
    if isinstance(value, int):
        return value
    return _KIND_NAMES.get(str(value), INTERNAL)


def _is_error(status: Any) -> bool:
    if not isinstance(status, dict):
        return False
    return status.get("code") in (2, "STATUS_CODE_ERROR")


def _id(value: Any) -> str:
    """An id as it usually comes (32 or 16 hex digits) at the cost of a ``lower()``; anything else decoded."""
    if type(value) is str and len(value) in (32, 16):
        return value.lower()
    return _hex_id(value)


def otlp_spans(data: dict[str, Any], where: tuple[int, int] = (0, 0),
               traces: Container[str] | None = None) -> Iterator[SpanRecord]:
    """The spans of one OTLP/JSON request (``resourceSpans``, or Tempo's ``batches``; ``scopeSpans`` or the older
    ``instrumentationLibrarySpans``); with ``traces``, only the spans of those traces."""
    for resource in data.get("resourceSpans") or data.get("batches") or []:
        resource_attrs = _attributes((resource.get("resource") or {}).get("attributes"))
        service = str(resource_attrs.get("service.name", "unknown"))
        for scope in resource.get("scopeSpans") or resource.get("instrumentationLibrarySpans") or []:
            for span in scope.get("spans") or []:
                trace_id = _id(span.get("traceId"))
                if traces is not None and trace_id not in traces:
                    continue
                links = span.get("links")
                yield SpanRecord(
                    trace_id=trace_id, span_id=_id(span.get("spanId")), parent_id=_id(span.get("parentSpanId")),
                    service=service, name=str(span.get("name", "")), kind=_kind(span.get("kind", INTERNAL)),
                    start_ns=int(span.get("startTimeUnixNano") or 0), end_ns=int(span.get("endTimeUnixNano") or 0),
                    error=_is_error(span.get("status")), attributes=_attributes(span.get("attributes")),
                    links=[(_id(link.get("traceId")), _id(link.get("spanId"))) for link in links] if links else [],
                    where=where)


def trace_files(paths: Iterable[Path]) -> list[Path]:
    """The OTLP JSON files under ``paths`` (files as given, folders searched for ``*.jsonl``/``*.json``), sorted."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json"))
        elif path.is_file():
            found.add(path)
    return sorted(found)


class OtlpFiles:
    """Spans from OTLP JSON line files; can be read twice (the second time only chosen lines)."""

    def __init__(self, files: list[Path], problems: list[str]) -> None:
        self.files = files
        self.problems = problems

    def describe(self) -> list[str]:
        """Where the spans come from."""
        return [f.as_posix() for f in self.files]

    def spans(self, lines: dict[int, set[int]] | None = None,
              traces: Container[str] | None = None) -> Iterator[SpanRecord]:
        """Every span, file by file and line by line; with ``lines`` (file number -> line numbers) only those, and
        with ``traces`` only the spans of those traces."""
        for number, path in enumerate(self.files):
            wanted = None if lines is None else lines.get(number)
            if lines is not None and not wanted:
                continue
            try:
                handle = path.open("rb")
            except OSError as exc:
                self.problems.append(f"{path}: cannot read: {exc.strerror}")
                continue
            with handle:
                for line_no, raw in enumerate(handle, 1):
                    if wanted is not None and line_no not in wanted:
                        continue
                    if not raw.strip():
                        continue
                    try:
                        data = json.loads(raw)
                    except ValueError as exc:
                        if lines is None:
                            self.problems.append(f"{path}:{line_no}: not a JSON line ({exc.msg}); expected one "
                                                 "OTLP ExportTraceServiceRequest per line")
                        continue
                    if not isinstance(data, dict):
                        if lines is None:
                            self.problems.append(f"{path}:{line_no}: not an OTLP request object")
                        continue
                    try:
                        yield from otlp_spans(data, (number, line_no), traces)
                    except (TypeError, ValueError, AttributeError) as exc:
                        if lines is None:
                            self.problems.append(f"{path}:{line_no}: malformed OTLP span data ({exc})")


# ---------------------------------------------------------------- Jaeger and Tempo


def jaeger_spans(response: dict[str, Any]) -> Iterator[SpanRecord]:
    """The spans of a Jaeger query API ``/api/traces`` response (``{"data": [trace, ...]}``, times in µs)."""
    for trace in response.get("data") or []:
        processes = trace.get("processes") or {}
        for span in trace.get("spans") or []:
            tags = {t.get("key", ""): t.get("value") for t in span.get("tags") or []}
            process = processes.get(span.get("processID", "")) or span.get("process") or {}
            parent, links = "", []
            for ref in span.get("references") or []:
                pair = (_hex_id(ref.get("traceID")), _hex_id(ref.get("spanID")))
                if ref.get("refType") == "CHILD_OF" and not parent and pair[0] == _hex_id(span.get("traceID")):
                    parent = pair[1]
                else:  # FOLLOWS_FROM, or a reference into another trace: Jaeger's way of writing a link
                    links.append(pair)
            start = int(span.get("startTime") or 0) * 1000
            error = tags.get("error") in (True, "true") or tags.get("otel.status_code") == "ERROR"
            kind = _JAEGER_KINDS.get(str(tags.pop("span.kind", "internal")).lower(), INTERNAL)
            yield SpanRecord(trace_id=_hex_id(span.get("traceID")), span_id=_hex_id(span.get("spanID")),
                             parent_id=parent, service=str(process.get("serviceName", "unknown")),
                             name=str(span.get("operationName", "")), kind=kind, start_ns=start,
                             end_ns=start + int(span.get("duration") or 0) * 1000, error=error, attributes=tags,
                             links=links)


Getter = Callable[[str, dict[str, Any]], Any]


class CachedSpans:
    """Spans fetched from an API once, kept (the API's own ``limit`` bounds them) so they can be read twice."""

    def __init__(self, name: str, spans: list[SpanRecord]) -> None:
        self.name = name
        self.records = spans

    def describe(self) -> list[str]:
        """Where the spans come from."""
        return [self.name]

    def spans(self, lines: dict[int, set[int]] | None = None,
              traces: Container[str] | None = None) -> Iterator[SpanRecord]:
        """Every span fetched (``lines`` is ignored: nothing to skip), or only those of ``traces``."""
        return iter(self.records if traces is None else [s for s in self.records if s.trace_id in traces])


def jaeger_source(base: str, get: Getter, lookback: str, limit: int) -> tuple[CachedSpans, list[dict[str, Any]]]:
    """Spans of every service Jaeger knows (``/api/traces`` per service, deduplicated) and Jaeger's own
    ``/api/dependencies`` for the same window."""
    base = base.rstrip("/")
    services = sorted(get(f"{base}/api/services", {}).get("data") or [])
    seen: set[tuple[str, str]] = set()
    records: list[SpanRecord] = []
    for service in services:
        response = get(f"{base}/api/traces", {"service": service, "lookback": lookback, "limit": limit})
        for span in jaeger_spans(response):
            if (span.trace_id, span.span_id) not in seen:
                seen.add((span.trace_id, span.span_id))
                records.append(span)
    end_ms = max((s.end_ns // 1_000_000 for s in records), default=0)
    deps = get(f"{base}/api/dependencies", {"endTs": end_ms, "lookback": _lookback_ms(lookback)}).get("data") or []
    return CachedSpans(f"jaeger {base}", records), sorted(deps, key=lambda d: (d.get("parent", ""),
                                                                               d.get("child", "")))


def _lookback_ms(text: str) -> int:
    units = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
    try:
        return int(text[:-1]) * units[text[-1]] if text and text[-1] in units else int(text)
    except ValueError:
        raise TraceInputError(f"--lookback {text!r}: give a number and a unit, like 1h or 30m") from None


def tempo_source(base: str, get: Getter, lookback: str, limit: int) -> CachedSpans:
    """Spans of the traces a Tempo ``/api/search`` lists for the window, each read by ``/api/traces/<id>``."""
    base = base.rstrip("/")
    found = get(f"{base}/api/search", {"limit": limit, "spss": 1000,
                                       "start": 0 if not lookback else None, "lookback": lookback})
    records: list[SpanRecord] = []
    for item in sorted(found.get("traces") or [], key=lambda t: str(t.get("traceID", ""))):
        records.extend(otlp_spans(get(f"{base}/api/traces/{item.get('traceID')}", {})))
    return CachedSpans(f"tempo {base}", records)


# ---------------------------------------------------------------- the graph


class _Acc:
    """Running numbers of one edge: counts, first and last time, a bounded sample of durations."""

    __slots__ = ("calls", "errors", "first", "last", "sample", "rng")

    def __init__(self, seed: int) -> None:
        self.calls = self.errors = 0
        self.first = self.last = 0
        self.sample: list[float] = []
        # seeded by the edge: the same input gives the same percentiles (sampling, not secrecy)
        self.rng = random.Random(seed)  # nosec B311

    def add(self, start_ns: int, duration_ms: float, error: bool) -> None:
        self.calls += 1
        self.errors += error
        self.first = start_ns if not self.first else min(self.first, start_ns)
        self.last = max(self.last, start_ns)
        if len(self.sample) < SAMPLE:
            self.sample.append(duration_ms)
        else:
            slot = self.rng.randrange(self.calls)
            if slot < SAMPLE:
                self.sample[slot] = duration_ms

    def stats(self) -> EdgeStats:
        ordered = sorted(self.sample)
        return EdgeStats(self.calls, self.errors, round(_rank(ordered, 0.50), 3), round(_rank(ordered, 0.95), 3),
                         iso(self.first), iso(self.last))


def _rank(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, -(-int(q * len(ordered) * 1000) // 1000) - 1))]


def iso(ns: int) -> str:
    """Nanoseconds since the epoch -> ISO 8601 UTC with milliseconds; "" for 0."""
    if not ns:
        return ""
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _http_method(attrs: dict[str, Any]) -> str:
    return str(attrs.get("http.request.method") or attrs.get("http.method") or "")


def _peer(attrs: dict[str, Any]) -> str:
    """host:port an HTTP client span went to."""
    url = attrs.get("url.full") or attrs.get("http.url") or ""
    host = attrs.get("server.address") or attrs.get("net.peer.name") or ""
    port = attrs.get("server.port") or attrs.get("net.peer.port") or ""
    if url and not host:
        parts = urlsplit(str(url))
        host, port = parts.hostname or "", parts.port or ""
    return f"{host}:{port}" if port else str(host or "unknown")


def _route(span: SpanRecord) -> str:
    """``METHOD /route/{template}`` of a server span."""
    method = _http_method(span.attributes)
    route = span.attributes.get("http.route") or ""
    if not route:
        parts = span.name.split(" ", 1)  # FastAPI's span name is "METHOD /route"
        route = parts[1] if len(parts) == 2 and parts[0] == method else (span.attributes.get("url.path") or "")
    return f"{method} {route}".strip()


def _database(attrs: dict[str, Any]) -> str:
    system = attrs.get("db.system") or attrs.get("db.system.name") or "db"
    name = attrs.get("db.name") or attrs.get("db.namespace") or attrs.get("db.redis.database_index", "")
    return f"database:{system}/{Path(str(name)).stem if system == 'sqlite' else name}"


def _statement_kind(span: SpanRecord) -> str:
    """SELECT, INSERT, ...: the first word of the statement (``db.operation`` may hold more than the verb)."""
    attrs = span.attributes
    text = str(attrs.get("db.statement") or attrs.get("db.query.text") or attrs.get("db.operation.name")
               or attrs.get("db.operation") or span.name)
    return (text.split(None, 1) or ["?"])[0].upper()


def _subject(attrs: dict[str, Any]) -> str:
    return str(attrs.get("messaging.destination.name") or attrs.get("messaging.destination") or "")


class GraphBuilder:
    """Folds spans, one at a time, into an :class:`ObservedGraph` (see the module's docstring)."""

    def __init__(self, flows: bool = False) -> None:
        self.flows = flows
        self.acc: dict[tuple[str, str, str, str, str, str], _Acc] = {}
        self.services: dict[str, ServiceRuntime] = {}
        self.ops: dict[tuple[str, str], _Acc] = {}
        self.clients: dict[str, tuple[str, int, float, bool, str]] = {}  # span id -> caller, start, ms, error, peer
        self.servers: dict[str, tuple[str, str, bool]] = {}  # parent span id -> callee, route, error
        self.producers: dict[str, tuple[str, str, int]] = {}  # span id -> producer, subject, start
        self.producers_of: dict[str, set[str]] = {}  # subject -> producing services
        self.waiting: list[tuple[str, str, str, int, int, bool]] = []  # consumers whose producer was not seen yet
        self.spans = 0
        self.trace_ids: set[str] = set()
        self.first = self.last = 0
        # For flows: root requests per operation, trace sizes, the lines each trace was read from, links.
        self.roots: dict[tuple[str, str], list[tuple[str, int]]] = {}  # (trace id, start)
        # A request whose caller sent a trace context but no span of its own (a traced client outside the platform)
        # starts a flow too, unless its parent turns up later as one of ours: parent span id -> (key, trace, start).
        self.entered: dict[str, tuple[tuple[str, str], str, int]] = {}
        self.trace_size: dict[str, int] = {}
        self.trace_lines: dict[str, set[tuple[int, int]]] = {}
        self.followers: dict[str, set[str]] = {}  # trace -> traces linked from it

    def _edge(self, protocol: str, kind: str, source: str, target: str, detail: str, via: str = "") -> _Acc:
        key = (protocol, kind, source, target, detail, via)
        acc = self.acc.get(key)
        if acc is None:
            acc = self.acc[key] = _Acc(zlib.crc32("\x1f".join(key).encode()))
        return acc

    def add(self, span: SpanRecord) -> None:
        """Take one span into account."""
        self.spans += 1
        self.trace_ids.add(span.trace_id)
        if span.start_ns:
            self.first = span.start_ns if not self.first else min(self.first, span.start_ns)
        self.last = max(self.last, span.end_ns)
        service = self.services.get(span.service)
        if service is None:
            service = self.services[span.service] = ServiceRuntime(span.service)
        service.spans += 1
        if self.flows:
            self.trace_size[span.trace_id] = self.trace_size.get(span.trace_id, 0) + 1
            self.trace_lines.setdefault(span.trace_id, set()).add(span.where)
        attrs = span.attributes
        me = f"service:{span.service}"
        if self.flows:  # a span linking into another trace continues that trace's story (a consumer, a webhook)
            for trace_id, _span_id in span.links:
                if trace_id != span.trace_id:
                    self.followers.setdefault(trace_id, set()).add(span.trace_id)
        if span.kind == SERVER:
            route = _route(span)
            self._op(span.service, route).add(span.start_ns, span.duration_ms, span.error)
            if not span.parent_id:
                if self.flows:
                    self.roots.setdefault((span.service, route), []).append((span.trace_id, span.start_ns))
                return
            client = self.clients.pop(span.parent_id, None)
            if client is None:
                self.servers[span.parent_id] = (span.service, route, span.error)
                if self.flows:
                    self.entered[span.parent_id] = ((span.service, route), span.trace_id, span.start_ns)
            else:
                caller, start, ms, error, _peer_name = client
                self._edge(HTTP, CALLS, f"service:{caller}", me, route).add(start, ms, error or span.error)
        elif span.kind == CLIENT and ("db.system" in attrs or "db.system.name" in attrs):
            self._edge(DATABASE, QUERIES, me, _database(attrs), _statement_kind(span)).add(
                span.start_ns, span.duration_ms, span.error)
        elif span.kind == CLIENT and _http_method(attrs):
            server = self.servers.pop(span.span_id, None)
            self.entered.pop(span.span_id, None)
            if server is None:
                self.clients[span.span_id] = (span.service, span.start_ns, span.duration_ms, span.error, _peer(attrs))
            else:
                callee, route, error = server
                self._edge(HTTP, CALLS, me, f"service:{callee}", route).add(
                    span.start_ns, span.duration_ms, span.error or error)
        elif span.kind == PRODUCER:
            subject = _subject(attrs)
            self._edge(NATS, PUBLISHES, me, f"channel:{subject}", subject).add(
                span.start_ns, span.duration_ms, span.error)
            self.producers[span.span_id] = (span.service, subject, span.start_ns)
            self.producers_of.setdefault(subject, set()).add(span.service)
        elif span.kind == CONSUMER:
            subject = _subject(attrs)
            pattern = str(attrs.get("messaging.destination.template") or subject)
            self._edge(NATS, CONSUMES, f"channel:{subject}", me, pattern).add(
                span.start_ns, span.duration_ms, span.error)
            linked = next((self.producers[s] for _t, s in span.links if s in self.producers), None)
            if linked is not None:
                producer, _subject_name, start = linked
                self._delivered(producer, span, subject, start, "link")
            else:
                self.waiting.append((span.service, subject, next((s for _t, s in span.links), ""),
                                     span.start_ns, span.end_ns, span.error))

    def _op(self, service: str, route: str) -> _Acc:
        key = (service, route)
        acc = self.ops.get(key)
        if acc is None:
            acc = self.ops[key] = _Acc(zlib.crc32(f"{service} {route}".encode()))
        return acc

    def _delivered(self, producer: str, span: SpanRecord, subject: str, start: int, via: str) -> None:
        # The hop's time: from the publish to the end of the handler.
        self._edge(NATS, DELIVERS, f"service:{producer}", f"service:{span.service}", subject, via).add(
            start, max(span.end_ns - start, 0) / 1e6, span.error)

    def finish(self) -> ObservedGraph:
        """The graph of every span added: joins that waited are resolved, unanswered HTTP calls go external."""
        for service, subject, link_span, start, end, error in self.waiting:
            linked = self.producers.get(link_span)
            probe = SpanRecord("", "", "", service, "", CONSUMER, start, end, error, {})
            if linked is not None:
                self._delivered(linked[0], probe, subject, linked[2], "link")
                continue
            # By subject: the concrete one, or, from a consumer that only tells its pattern, every subject it matches.
            subjects = [subject] if subject in self.producers_of else sorted(
                s for s in self.producers_of if is_wildcard(subject) and subject_matches(subject, s))
            for name in subjects:
                for producer in sorted(self.producers_of[name]):
                    self._delivered(producer, probe, name, start, "subject")
        self.waiting.clear()
        for caller, start, ms, error, peer in self.clients.values():
            self._edge(HTTP, CALLS, f"service:{caller}", f"external:{peer}", "").add(start, ms, error)
        self.clients.clear()
        edges = [ObservedEdge(source, target, protocol, kind, detail, via, acc.stats())
                 for (protocol, kind, source, target, detail, via), acc in self.acc.items()]
        for (service, route), acc in self.ops.items():
            self.services[service].operations[route] = acc.stats()
        graph = ObservedGraph(edges=edges, services=list(self.services.values()), spans=self.spans,
                              traces=len(self.trace_ids), first_seen=iso(self.first), last_seen=iso(self.last))
        return graph.normalise()

    # ------------------------------------------------------------ flows

    def flow_choices(self) -> dict[tuple[str, str], tuple[str, list[str], int]]:
        """Per traced operation: the representative trace (the one whose request and linked event handling hold
        the most spans; on a tie the earliest, then the smallest id, so the second pass reads few lines), the traces
        it takes, how many traces the operation had."""
        chosen = {}
        every = {key: list(roots) for key, roots in self.roots.items()}
        for key, trace_id, start in self.entered.values():
            every.setdefault(key, []).append((trace_id, start))
        for key, roots in sorted(every.items()):
            best: tuple[int, int, str, list[str]] | None = None
            for trace_id, start in roots:
                closure = self._closure(trace_id)
                size = sum(self.trace_size.get(t, 0) for t in closure)
                if best is None or (-size, start, trace_id) < (-best[0], best[1], best[2]):
                    best = (size, start, trace_id, closure)
            assert best is not None
            chosen[key] = (best[2], best[3], len(roots))
        return chosen

    def _closure(self, trace_id: str) -> list[str]:
        found, frontier = [trace_id], [trace_id]
        for _ in range(FLOW_LINK_DEPTH):
            frontier = sorted({f for t in frontier for f in self.followers.get(t, ()) if f not in found})
            found.extend(frontier)
        return found

    def lines_of(self, traces: Iterable[str]) -> dict[int, set[int]]:
        """Source number -> line numbers holding spans of ``traces`` (what a second pass must read)."""
        lines: dict[int, set[int]] = {}
        for trace_id in traces:
            for number, line in self.trace_lines.get(trace_id, ()):
                lines.setdefault(number, set()).add(line)
        return lines


def build_flow(operation: str, service: str, trace_id: str, count: int, spans: list[SpanRecord]) -> Flow:
    """The sequence of one request and the event handling linked from it, from its spans (any order)."""
    spans = sorted(spans, key=lambda s: (s.start_ns, s.span_id))
    by_id = {s.span_id: s for s in spans}
    # The request: the trace's first server span whose caller is none of ours (no parent, or a foreign one).
    root = next(s for s in spans if s.trace_id == trace_id and s.kind == SERVER and s.parent_id not in by_id)
    t0 = root.start_ns
    steps: list[FlowStep] = [FlowStep("client", service, HTTP, operation, 0.0, root.duration_ms, root.error)]
    last_db: dict[str, FlowStep] = {}

    def at(ns: int) -> float:
        return round((ns - t0) / 1e6, 3)

    for span in spans:
        attrs = span.attributes
        if span.kind == CLIENT and ("db.system" in attrs or "db.system.name" in attrs):
            operation_name = _statement_kind(span)
            step = last_db.get(span.service)
            if step is not None and steps[-1] is step:  # consecutive statements: one arrow
                step.label = _count_label(step.label, operation_name)
                step.duration_ms = round(at(span.end_ns) - step.start_ms, 3)
                step.error = step.error or span.error
                continue
            step = FlowStep(span.service, f"{span.service} db", DATABASE, f"1 {operation_name}", at(span.start_ns),
                            round(span.duration_ms, 3), span.error)
            steps.append(step)
            last_db[span.service] = step
        elif span.kind == SERVER and span.parent_id and span.parent_id in by_id:
            client = by_id[span.parent_id]
            steps.append(FlowStep(client.service, span.service, HTTP, _route(span), at(client.start_ns),
                                  round(client.duration_ms, 3), span.error or client.error))
        elif span.kind == CLIENT and _http_method(attrs) and not any(
                s.parent_id == span.span_id and s.kind == SERVER for s in spans):
            steps.append(FlowStep(span.service, f"external:{_peer(attrs)}", HTTP,
                                  f"{_http_method(attrs)} {_peer(attrs)}", at(span.start_ns),
                                  round(span.duration_ms, 3), span.error))
        elif span.kind == PRODUCER:
            steps.append(FlowStep(span.service, "NATS", NATS, f"send {_subject(attrs)}", at(span.start_ns),
                                  round(span.duration_ms, 3), span.error))
        elif span.kind == CONSUMER:
            steps.append(FlowStep("NATS", span.service, NATS, f"process {_subject(attrs)}", at(span.start_ns),
                                  round(span.duration_ms, 3), span.error))
    end = max(s.end_ns for s in spans)
    for step in steps:
        if step.label.startswith("1 ") and step.protocol == DATABASE:
            step.label = step.label[2:] if " " not in step.label[2:] else step.label
    return Flow(operation, service, trace_id, count, at(end), steps)


def _count_label(label: str, operation: str) -> str:
    """``1 INSERT`` + ``SELECT`` -> ``2 statements (INSERT, SELECT)``: the statements of one burst, in order."""
    if label.startswith("1 "):
        kinds = [label[2:]]
        total = 1
    else:
        total = int(label.split(" ", 1)[0])
        kinds = label[label.index("(") + 1:-1].split(", ")
    if operation not in kinds:
        kinds.append(operation)
    return f"{total + 1} statements ({', '.join(kinds)})"


def observe(source: OtlpFiles | CachedSpans, flows: bool = True) -> ObservedGraph:
    """Read ``source`` once for the graph and, with ``flows``, once more for the chosen traces' spans only."""
    builder = GraphBuilder(flows=flows)
    for span in source.spans():
        builder.add(span)
    graph = builder.finish()
    graph.sources = source.describe()
    if flows and (builder.roots or builder.entered):
        choices = builder.flow_choices()
        wanted: dict[str, list[tuple[str, str]]] = {}
        for key, (_trace, closure, _count) in choices.items():
            for trace_id in closure:
                wanted.setdefault(trace_id, []).append(key)
        collected: dict[tuple[str, str], list[SpanRecord]] = {key: [] for key in choices}
        for span in source.spans(builder.lines_of(wanted), wanted):
            for key in wanted.get(span.trace_id, ()):
                collected[key].append(span)
        for (service, operation), (trace_id, _closure, count) in sorted(choices.items()):
            spans = collected[(service, operation)]
            ours = {s.span_id for s in spans}
            if any(s.trace_id == trace_id and s.kind == SERVER and s.parent_id not in ours for s in spans):
                graph.flows.append(build_flow(operation, service, trace_id, count, spans))
        graph.normalise()
    return graph
