"""`arrakis-docs runtime` on spans we write ourselves: the OTLP receiver, the readers (OTLP files, Jaeger's API),
the joins of the observed graph, the reconciliation labels and the pages.

The receiver is the portal's real application under uvicorn, fed by the OpenTelemetry SDK's own OTLP/HTTP exporter;
Jaeger's API is a real HTTP server answering in the format Jaeger documents (``/api/services``, ``/api/traces``,
``/api/dependencies``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from arrakis_docs.cli import main
from arrakis_docs.extractors.traces import OtlpFiles, jaeger_source, observe, trace_files
from arrakis_docs.model.architecture import AppEntry, ArchitectureModel, Datastore, RepoInfo, Service, SourceRef
from arrakis_docs.model.events import EventUsage
from arrakis_docs.model.refs import Edge
from arrakis_docs.model.runtime import DECLARED_AND_OBSERVED, DECLARED_ONLY, EXTERNAL, OBSERVED_ONLY
from arrakis_docs.runtime_pages import graph_mermaid, node_id, pages, write_pages
from arrakis_docs.runtime_report import reconcile
from arrakis_docs.site_server import create_app

T0 = 1_764_000_000_000_000_000  # ns
ROOT = Path(__file__).resolve().parent.parent


def mermaid_render_failures(texts: dict[str, str]) -> list[str]:
    """Every Mermaid block of the given pages through the vendored mermaid.js in headless Chromium (the check
    test_diagrams_render.py runs on the committed docs); the blocks it rejects."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("diagrams_render", ROOT / "tests" / "test_diagrams_render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    blocks = [(f"{name}:{text.count(chr(10), 0, m.start()) + 1}", m.group(1))
              for name, text in sorted(texts.items()) for m in module.BLOCK.finditer(text)]
    assert blocks, "no Mermaid block in the pages"
    return module.render_failures(blocks)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _attr(key: str, value: object) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": str(value)}}


def _span(trace: str, span: str, name: str, kind: int, start_ms: float, ms: float, parent: str = "",
          links: tuple[tuple[str, str], ...] = (), error: bool = False, **attrs: object) -> dict:
    body = {"traceId": trace, "spanId": span, "name": name, "kind": kind,
            "startTimeUnixNano": str(T0 + int(start_ms * 1e6)), "endTimeUnixNano": str(T0 + int((start_ms + ms) * 1e6)),
            "attributes": [_attr(k.replace("__", "."), v) for k, v in attrs.items()],
            "status": {"code": 2 if error else 0}}
    if parent:
        body["parentSpanId"] = parent
    if links:
        body["links"] = [{"traceId": t, "spanId": s} for t, s in links]
    return body


def _request(service: str, *spans: dict) -> dict:
    return {"resourceSpans": [{"resource": {"attributes": [_attr("service.name", service)]},
                               "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}]}]}


TA, TB, TC = "a" * 32, "b" * 32, "c" * 32


def platform_lines() -> list[dict]:
    """One request to `orders` that calls `users` and publishes an event, consumed (in its own trace, linked) by
    `billing` and by `audit` through a wildcard; `billing` posts to a webhook outside the platform. Written in the
    worst order for the joins: the server before its client, the consumers before the producer."""
    return [
        _request("users", _span(TA, "2" * 16, "GET /users/{id}", 2, 5, 10, parent="1" * 16,
                                http__request__method="GET", http__route="/users/{id}")),
        _request("billing",
                 _span(TB, "5" * 16, "process shop.order.created", 5, 40, 20, links=((TA, "4" * 16),),
                       messaging__system="nats", messaging__destination__name="shop.order.created",
                       messaging__destination__template="shop.order.created"),
                 _span(TB, "6" * 16, "POST", 3, 45, 5, parent="5" * 16, http__request__method="POST",
                       url__full="http://hooks.example:8443/in", server__address="hooks.example", server__port=8443),
                 _span(TB, "7" * 16, "INSERT billing", 3, 42, 1, parent="5" * 16, db__system="sqlite",
                       db__name="/data/billing.db", db__statement="INSERT INTO invoices VALUES (?)")),
        _request("audit", _span(TC, "8" * 16, "process shop.order.created", 5, 41, 3, links=((TA, "4" * 16),),
                                messaging__system="nats", messaging__destination__name="shop.order.created",
                                messaging__destination__template="shop.>")),
        _request("orders",
                 _span(TA, "0" * 16, "POST /orders", 2, 0, 30, http__request__method="POST", http__route="/orders"),
                 _span(TA, "1" * 16, "GET", 3, 4, 12, parent="0" * 16, http__request__method="GET",
                       url__full="http://users:8000/users/7"),
                 _span(TA, "4" * 16, "send shop.order.created", 4, 28, 1, parent="0" * 16,
                       messaging__system="nats", messaging__destination__name="shop.order.created"),
                 _span(TA, "9" * 16, "INSERT orders", 3, 20, 2, parent="0" * 16, db__system="postgresql",
                       db__name="orders", db__statement="INSERT INTO orders VALUES (?)", error=True)),
    ]


def write_lines(path: Path, lines: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def shop_model() -> ArchitectureModel:
    """The static side: orders declares users and its database; billing and audit declare their receives; orders
    declares its send; billing also declares a call to users that never happens."""
    def service(name: str) -> Service:
        return Service(f"service:{name}", name, name, AppEntry(f"{name}.app", "app", "instance", ".", SourceRef("x")))

    model = ArchitectureModel(repo=RepoInfo("shop"), services=[service(n) for n in
                                                                ("orders", "users", "billing", "audit")])
    model.edges = [Edge("service:orders", "service:users", "depends-on", (SourceRef("orders/clients.py", 3),)),
                   Edge("service:billing", "service:users", "depends-on", (SourceRef("billing/clients.py", 9),))]
    model.events.usages = [
        EventUsage("orders", "send", "shop.order.created", "bus", "publish", SourceRef("orders/api.py", 20)),
        EventUsage("billing", "receive", "shop.order.created", "bus", "subscribe", SourceRef("billing/app.py", 5)),
        EventUsage("audit", "receive", "shop.>", "bus", "subscribe", SourceRef("audit/app.py", 7)),
    ]
    return model


def edge_keys(graph) -> set[tuple[str, str, str, str]]:
    return {(e.protocol, e.kind, e.source, e.target) for e in graph.edges}


def test_joins_across_files_orders_and_traces(tmp_path: Path) -> None:
    problems: list[str] = []
    graph = observe(OtlpFiles(trace_files([write_lines(tmp_path / "t" / "spans.jsonl", platform_lines())]),
                              problems))
    assert problems == []
    assert edge_keys(graph) == {
        ("http", "calls", "service:orders", "service:users"),
        ("http", "calls", "service:billing", "external:hooks.example:8443"),
        ("nats", "publishes", "service:orders", "channel:shop.order.created"),
        ("nats", "consumes", "channel:shop.order.created", "service:billing"),
        ("nats", "consumes", "channel:shop.order.created", "service:audit"),
        ("nats", "delivers", "service:orders", "service:billing"),
        ("nats", "delivers", "service:orders", "service:audit"),
        ("database", "queries", "service:orders", "database:postgresql/orders"),
        ("database", "queries", "service:billing", "database:sqlite/billing"),
    }
    call = next(e for e in graph.edges if e.target == "service:users")
    assert (call.detail, call.stats.calls, call.stats.p50_ms) == ("GET /users/{id}", 1, 12.0)  # the caller's time
    deliveries = {e.target: e for e in graph.edges if e.kind == "delivers"}
    assert {e.via for e in deliveries.values()} == {"link"}
    assert deliveries["service:billing"].stats.p50_ms == 32.0  # publish at 28 ms -> handler done at 60 ms
    db = next(e for e in graph.edges if e.target == "database:postgresql/orders")
    assert (db.detail, db.stats.errors) == ("INSERT", 1)
    # The flow follows the links from the request into both consumers' traces, and on to the webhook.
    (flow,) = graph.flows
    assert (flow.service, flow.operation, flow.trace_id) == ("orders", "POST /orders", TA)
    arrows = [(s.source, s.target, s.label) for s in flow.steps]
    assert arrows[0] == ("client", "orders", "POST /orders")
    assert ("orders", "users", "GET /users/{id}") in arrows
    assert ("orders", "NATS", "send shop.order.created") in arrows
    assert ("NATS", "billing", "process shop.order.created") in arrows
    assert ("NATS", "audit", "process shop.order.created") in arrows
    assert ("billing", "external:hooks.example:8443", "POST hooks.example:8443") in arrows
    assert flow.duration_ms == 60.0


def test_a_request_from_a_traced_caller_outside_starts_a_flow(tmp_path: Path) -> None:
    # The caller propagated its trace context but exported no span (a traced client outside the platform).
    lines = platform_lines()
    roots = [span for line in lines for rs in line["resourceSpans"] for ss in rs["scopeSpans"] for span in ss["spans"]
             if span["spanId"] == "0" * 16]
    assert len(roots) == 1
    roots[0]["parentSpanId"] = "f" * 16
    graph = observe(OtlpFiles(trace_files([write_lines(tmp_path / "spans.jsonl", lines)]), []))
    (flow,) = graph.flows
    assert (flow.service, flow.operation, flow.trace_id) == ("orders", "POST /orders", TA)
    assert ("orders", "users", "GET /users/{id}") in [(s.source, s.target, s.label) for s in flow.steps]


def test_subject_join_when_the_producer_sent_no_link(tmp_path: Path) -> None:
    lines = platform_lines()
    consumer = lines[2]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    del consumer["links"]  # a consumer of another instrumentation: no link, and only its subscription pattern
    consumer["attributes"] = [_attr("messaging.system", "nats"), _attr("messaging.destination.name", "shop.>")]
    graph = observe(OtlpFiles(trace_files([write_lines(tmp_path / "spans.jsonl", lines)]), []), flows=False)
    audit = next(e for e in graph.edges if e.kind == "delivers" and e.target == "service:audit")
    assert (audit.source, audit.via, audit.detail) == ("service:orders", "subject", "shop.order.created")


def test_same_spans_same_bytes_and_bad_lines_reported(tmp_path: Path) -> None:
    from arrakis_docs.runtime_report import report_json

    path = write_lines(tmp_path / "spans.jsonl", platform_lines())
    first = report_json(graph := observe(OtlpFiles([path], [])), reconcile(shop_model(), graph))
    again = report_json(graph := observe(OtlpFiles([path], [])), reconcile(shop_model(), graph))
    assert first == again
    with path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n[1, 2]\n")
    problems: list[str] = []
    assert observe(OtlpFiles([path], problems)).spans == 9
    assert problems == [f"{path}:5: not a JSON line (Expecting property name enclosed in double quotes); expected "
                        "one OTLP ExportTraceServiceRequest per line", f"{path}:6: not an OTLP request object"]


def test_reconciliation_labels_every_relation(tmp_path: Path) -> None:
    graph = observe(OtlpFiles([write_lines(tmp_path / "spans.jsonl", platform_lines())], []))
    result = reconcile(shop_model(), graph)
    labelled = {(e.protocol, e.kind, e.source, e.target): e.label for e in result.edges}
    assert labelled[("http", "calls", "service:orders", "service:users")] == DECLARED_AND_OBSERVED
    assert labelled[("http", "calls", "service:billing", "service:users")] == DECLARED_ONLY
    assert labelled[("http", "calls", "service:billing", "external:hooks.example:8443")] == EXTERNAL
    assert labelled[("nats", "publishes", "service:orders", "channel:shop.order.created")] == DECLARED_AND_OBSERVED
    assert labelled[("nats", "consumes", "channel:shop.>", "service:audit")] == DECLARED_AND_OBSERVED  # wildcard
    assert labelled[("nats", "delivers", "service:orders", "service:audit")] == DECLARED_AND_OBSERVED
    assert labelled[("database", "queries", "service:orders", "database:postgresql/orders")] == OBSERVED_ONLY
    assert result.counts()["http"] == {DECLARED_AND_OBSERVED: 1, DECLARED_ONLY: 1, OBSERVED_ONLY: 0, EXTERNAL: 1}
    # Pages: the graph styles each edge by its label; the flow page is a sequence diagram with durations.
    mermaid, left_out = graph_mermaid(result)
    assert left_out == 0
    billing, users, orders = node_id("service:billing"), node_id("service:users"), node_id("service:orders")
    assert f'{billing} -.->|"never seen"| {users}' in mermaid
    assert f'{orders} ==>|"1x, p95 2 ms, 1 err"| {node_id("database:postgresql/orders")}' in mermaid
    assert node_id("channel:shop.>") != node_id("channel:shop.*")
    written = pages(graph, result)
    assert sorted(written) == ["flows/orders--post-orders.md", "index.md"]
    assert "p1->>p2: GET /users/{id} (+4 ms, 12 ms)" in written["flows/orders--post-orders.md"]
    assert mermaid_render_failures(written) == []
    assert write_pages(tmp_path / "pages", graph, result) == 2
    assert write_pages(tmp_path / "pages", graph, result) == 2  # replaces, leaves nothing beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pages", "spans.jsonl"]


def test_cli_fails_on_observed_only_and_exports_dependencies(tmp_path: Path) -> None:
    traces = write_lines(tmp_path / "traces" / "spans.jsonl", platform_lines()).parent
    model = tmp_path / "model.json"
    model.write_text(shop_model().to_json(), encoding="utf-8")
    deps = tmp_path / "deps.json"
    runner = CliRunner()
    args = ["runtime", "--repo", str(tmp_path), "--traces", str(traces), "--model", str(model), "--dependencies",
            str(deps)]
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "database: 0 declared-and-observed, 0 declared-only, 2 observed-only, 0 external" in done.output
    assert json.loads(deps.read_text())["data"] == [
        {"callCount": 1, "child": "audit", "parent": "orders"},
        {"callCount": 1, "child": "billing", "parent": "orders"},
        {"callCount": 1, "child": "users", "parent": "orders"}]
    assert runner.invoke(main, [*args, "--fail-on", "observed-only"]).exit_code == 1
    assert runner.invoke(main, [*args, "--fail-on", "declared-only"]).exit_code == 1
    empty = runner.invoke(main, ["runtime", "--repo", str(tmp_path), "--traces", str(tmp_path / "none"),
                                 "--model", str(model)])
    assert empty.exit_code == 2 and "no such file or folder" in empty.output


# ---------------------------------------------------------------- the portal's OTLP/HTTP receiver


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # running in a thread
        pass


@pytest.fixture()
def portal(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    site, catalog, traces = tmp_path / "site", tmp_path / "catalog", tmp_path / "traces"
    site.mkdir()
    catalog.mkdir()
    (site / "index.html").write_text("portal", encoding="utf-8")
    port = _free_port()
    server = _Server(uvicorn.Config(create_app(site, catalog, env={}, traces=traces), host="127.0.0.1", port=port,
                                    log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "portal did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", traces
    server.should_exit = True
    thread.join(timeout=10)


def test_receiver_takes_the_sdk_exporters_protobuf_and_json(portal: tuple[str, Path]) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.trace import Link, SpanKind

    url, traces = portal
    provider = TracerProvider(resource=Resource.create({"service.name": "orders"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces")))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("send shop.order.created", kind=SpanKind.PRODUCER,
                                      attributes={"messaging.destination.name": "shop.order.created"}) as producer:
        pass
    with tracer.start_as_current_span("process shop.order.created", kind=SpanKind.CONSUMER,
                                      links=[Link(producer.get_span_context())],
                                      attributes={"messaging.destination.name": "shop.order.created"}):
        pass
    provider.shutdown()
    posted = httpx.post(f"{url}/v1/traces", json=platform_lines()[0], trust_env=False)
    assert (posted.status_code, posted.json()) == (200, {})
    spans = list(OtlpFiles(trace_files([traces]), []).spans())
    assert [(s.service, s.kind) for s in spans] == [("orders", 4), ("orders", 5), ("users", 2)]
    context = producer.get_span_context()
    assert spans[1].links == [(f"{context.trace_id:032x}", f"{context.span_id:016x}")]  # hex, as OTLP/JSON says
    line = (traces / "spans-000001.jsonl").read_text().splitlines()[0]
    assert json.loads(line)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] == f"{context.span_id:016x}"
    graph = observe(OtlpFiles(trace_files([traces]), []), flows=False)
    assert ("nats", "delivers", "service:orders", "service:orders") in edge_keys(graph)


def test_receiver_rejects_what_is_not_otlp(portal: tuple[str, Path]) -> None:
    url, traces = portal
    garbage = httpx.post(f"{url}/v1/traces", content=b"\xff\x00garbage", trust_env=False,
                         headers={"Content-Type": "application/x-protobuf"})
    assert garbage.status_code == 400 and "not an OTLP ExportTraceServiceRequest" in garbage.json()["detail"]
    text = httpx.post(f"{url}/v1/traces", content=b"hello", headers={"Content-Type": "text/plain"}, trust_env=False)
    assert text.status_code == 415 and "application/x-protobuf" in text.json()["detail"]
    bad_json = httpx.post(f"{url}/v1/traces", content=b"[1]", headers={"Content-Type": "application/json"},
                          trust_env=False)
    assert bad_json.status_code == 400 and "resourceSpans" in bad_json.json()["detail"]
    assert not traces.exists()  # nothing written for a rejected body


# ---------------------------------------------------------------- Jaeger's query API


def jaeger_traces() -> dict:
    """Jaeger's /api/traces answer (its JSON model: µs times, references, processes, typed tags)."""
    def tags(**values: object) -> list[dict]:
        return [{"key": k.replace("__", "."), "type": "string" if isinstance(v, str) else "int64", "value": v}
                for k, v in values.items()]

    request = {"traceID": TA, "processes": {"p1": {"serviceName": "orders", "tags": []},
                                            "p2": {"serviceName": "users", "tags": []}},
               "spans": [
                   {"traceID": TA, "spanID": "0" * 16, "operationName": "POST /orders", "references": [],
                    "startTime": T0 // 1000, "duration": 30000, "processID": "p1",
                    "tags": tags(span__kind="server", http__request__method="POST", http__route="/orders")},
                   {"traceID": TA, "spanID": "1" * 16, "operationName": "GET", "processID": "p1",
                    "references": [{"refType": "CHILD_OF", "traceID": TA, "spanID": "0" * 16}],
                    "startTime": T0 // 1000 + 4000, "duration": 12000,
                    "tags": tags(span__kind="client", http__request__method="GET")},
                   {"traceID": TA, "spanID": "2" * 16, "operationName": "GET /users/{id}", "processID": "p2",
                    "references": [{"refType": "CHILD_OF", "traceID": TA, "spanID": "1" * 16}],
                    "startTime": T0 // 1000 + 5000, "duration": 10000,
                    "tags": tags(span__kind="server", http__request__method="GET", http__route="/users/{id}")},
                   {"traceID": TA, "spanID": "4" * 16, "operationName": "send shop.order.created", "processID": "p1",
                    "references": [{"refType": "CHILD_OF", "traceID": TA, "spanID": "0" * 16}],
                    "startTime": T0 // 1000 + 28000, "duration": 1000,
                    "tags": tags(span__kind="producer", messaging__destination__name="shop.order.created")}]}
    consumer = {"traceID": TB, "processes": {"p1": {"serviceName": "billing", "tags": []}},
                "spans": [{"traceID": TB, "spanID": "5" * 16, "operationName": "process shop.order.created",
                           "processID": "p1", "startTime": T0 // 1000 + 40000, "duration": 20000,
                           "references": [{"refType": "FOLLOWS_FROM", "traceID": TA, "spanID": "4" * 16}],
                           "tags": tags(span__kind="consumer", messaging__destination__name="shop.order.created",
                                        error=True)}]}
    return {"data": [request, consumer], "total": 0, "limit": 0, "offset": 0, "errors": None}


@pytest.fixture()
def jaeger() -> Iterator[tuple[str, list[str]]]:
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            parts = urlsplit(self.path)
            asked.append(parts.path + ("?" + parts.query if parts.query else ""))
            query = parse_qs(parts.query)
            if parts.path == "/api/services":
                body = {"data": ["billing", "orders", "users"], "total": 3}
            elif parts.path == "/api/traces" and query.get("service") and query.get("lookback") == ["2h"]:
                body = jaeger_traces()  # every service's answer holds both traces: they must be deduplicated
            elif parts.path == "/api/dependencies" and query.get("endTs") and query.get("lookback") == ["7200000"]:
                body = {"data": [{"parent": "orders", "child": "users", "callCount": 1}]}
            else:
                self.send_response(400)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()


def test_jaeger_api_input(jaeger: tuple[str, list[str]]) -> None:
    from arrakis_docs.commands.runtime import _get

    url, asked = jaeger
    source, dependencies = jaeger_source(url, _get, "2h", 50)
    assert dependencies == [{"parent": "orders", "child": "users", "callCount": 1}]
    assert len(source.records) == 5  # three services asked, each answer deduplicated
    assert asked[0] == "/api/services" and sum(a.startswith("/api/traces?") for a in asked) == 3
    graph = observe(source)
    assert edge_keys(graph) == {("http", "calls", "service:orders", "service:users"),
                                ("nats", "publishes", "service:orders", "channel:shop.order.created"),
                                ("nats", "consumes", "channel:shop.order.created", "service:billing"),
                                ("nats", "delivers", "service:orders", "service:billing")}
    delivery = next(e for e in graph.edges if e.kind == "delivers")
    assert (delivery.via, delivery.stats.errors, delivery.stats.p50_ms) == ("link", 1, 32.0)
    assert [f.operation for f in graph.flows] == ["POST /orders"]


def user_service_model() -> ArchitectureModel:
    """user-service as the repository declares it: its database (PostgreSQL in a deployment) and the Redis cache."""
    service = Service("service:user-service", "user-service", "user-service",
                      AppEntry("user_service.app", "create_app", "factory", "services/user-service", SourceRef("x")))
    model = ArchitectureModel(repo=RepoInfo("arrakis"), services=[service])
    model.datastores = [Datastore("datastore:user-service-db", "user-service-db", "database", "postgresql"),
                        Datastore("datastore:redis", "redis", "cache", "redis")]
    model.edges = [Edge("service:user-service", "datastore:user-service-db", "depends-on",
                        (SourceRef("services/user-service/user_service/app.py", 20),)),
                   Edge("service:user-service", "datastore:redis", "depends-on",
                        (SourceRef("services/user-service/user_service/app.py", 31),))]
    return model


def test_redis_commands_show_as_a_service_to_redis_edge(portal: tuple[str, Path], redis_server, tmp_path: Path):
    """user-service on a real Redis, exporting to the portal: its security store's commands (failed-login count,
    refresh-token revocation) are client spans, and `arrakis-docs runtime` shows user-service -> redis beside its
    database, both declared and observed."""
    from arrakis_common.testing import ServiceProcess, http_ready, wait_until

    url, traces = portal
    env = {"ARRAKIS_DATA_DIR": str(tmp_path / "data"), "ARRAKIS_REDIS_URL": redis_server.url,
           "ARRAKIS_OTLP_ENDPOINT": f"{url}/v1/traces", "OTEL_BSP_SCHEDULE_DELAY": "100",
           "ARRAKIS_EVENTS_ENABLED": "false"}  # no broker: this test is about Redis
    service = ServiceProcess("user-service", env, tmp_path / "user-service.log")
    service.start()
    try:
        wait_until(lambda: http_ready(service.url), timeout=60, interval=0.25)
        with httpx.Client(base_url=service.url, timeout=30, trust_env=False) as users:
            account = {"email": "redis@arrakis.example", "password": "correct horse battery staple"}
            assert users.post("/auth/register", json={**account, "display_name": "R"}).status_code == 201
            assert users.post("/auth/login", json={**account, "password": "wrong"}).status_code == 401
            tokens = users.post("/auth/login", json=account).json()
            assert users.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code < 300

        def redis_spans() -> bool:
            return any(s.attributes.get("db.system") == "redis" for s in OtlpFiles(trace_files([traces]), []).spans())

        wait_until(redis_spans, timeout=20, interval=0.25)
    finally:
        service.stop()
    model = tmp_path / "model.json"
    model.write_text(user_service_model().to_json(), encoding="utf-8")
    report = tmp_path / "report.json"
    done = CliRunner().invoke(main, ["runtime", "--repo", str(tmp_path), "--traces", str(traces), "--model",
                                     str(model), "--report", str(report)])
    assert done.exit_code == 0, done.output
    edges = {(e["source"], e["target"]): e for e in json.loads(report.read_text())["reconciliation"]["edges"]}
    redis = edges[("service:user-service", "datastore:redis")]
    assert redis["label"] == DECLARED_AND_OBSERVED and redis["stats"]["calls"] >= 3, redis
    assert {"GET", "SET"} <= set(redis["details"]), redis["details"]
    database = edges[("service:user-service", "datastore:user-service-db")]
    assert database["label"] == DECLARED_AND_OBSERVED, database
    assert "database queries   service:user-service -> datastore:redis: " in done.output, done.output
