"""Events of repositories shaped like public ones: wrappers across modules, settings-built subjects, same-named
modules in many services, HTTP clients that look like NATS, and Kafka as a second transport."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from arrakis_docs.asyncapi_specs import AsyncApiBuilder
from arrakis_docs.cli import main
from arrakis_docs.extractors.http_clients import http_uses, service_aliases
from arrakis_docs.extractors.nats_usage import service_events
from arrakis_docs.extractors.options import ExtractOptions
from arrakis_docs.extractors.service_scan import ServiceExtraction, link
from arrakis_docs.extractors.source_tree import SourceTree
from arrakis_docs.model.architecture import AppEntry, ArchitectureModel, Diagnostic, RepoInfo, Service, SourceRef
from arrakis_docs.model.events import RECEIVE, SEND, EventModel, EventUsage
from arrakis_docs.validation import asyncapi_problems

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "foreign_events"


def _extract(name: str, root: str) -> tuple[EventModel, list[Diagnostic], Service]:
    tree = SourceTree.read(FIXTURE, ())
    service = Service(id=f"service:{name}", name=name, root=root,
                      app=AppEntry("app.main", "app", "instance", "", SourceRef(f"{root}/app/main.py", 1)))
    files = [f for f in tree.python_files() if not root or f.path.startswith(f"{root}/")]
    diagnostics: list[Diagnostic] = []
    events = service_events(FIXTURE, service, files, ExtractOptions(static_only=True), diagnostics)
    return events, diagnostics, service


@pytest.fixture(scope="module")
def orders() -> tuple[EventModel, list[Diagnostic], Service]:
    return _extract("orders", "services/orders")


@pytest.fixture(scope="module")
def billing() -> tuple[EventModel, list[Diagnostic], Service]:
    return _extract("billing", "services/billing")


def _sends(events: EventModel, transport: str = "nats") -> dict[str, EventUsage]:
    return {u.address: u for u in events.usages if u.action == SEND and u.transport == transport}


def test_wrappers_followed_across_modules_aliases_and_call_chains(orders) -> None:
    sends = _sends(orders[0])
    # emit = publish imported under an alias; subject a module constant, a class attribute, a constant + suffix
    assert sends["orders.created"].location == SourceRef("services/orders/app/main.py", 24)
    assert sends["orders.created"].via.startswith("publish (services/orders/app/broker.py:8)")
    assert sends["orders.paid"].location.line == 25
    assert "orders.created.v2" in sends
    # two levels down (ship -> notify -> publish), the subject held in a local f-string from a settings default
    assert sends["orders.{order_id}.shipped"].via.startswith("notify")
    # settings field without a default, its value in the service's .env.example; .format from a settings default
    assert "shop.orders.cancelled" in sends
    assert "orders.orders.refunded" in sends
    # a wrapper handed to background_tasks.add_task(fn, *args) is called with the arguments after it
    assert sends["orders.archived"].location == SourceRef("services/orders/app/main.py", 43)
    assert all(u.transport == "nats" and u.api == "jetstream" for u in sends.values() if u.api != "faststream")


def test_streams_with_subjects_from_settings(orders) -> None:
    (stream,) = orders[0].streams
    assert (stream.name, stream.subjects) == ("ORDERS", ["orders.>", "shop.orders.>"])


def test_streams_whose_config_the_callers_pass_in(billing) -> None:
    streams = {s.name: s for s in billing[0].streams}
    add_stream = SourceRef("services/billing/app/streams.py", 10)
    # a module constant with its subjects in another constant, and a caller's local config
    assert streams["INVOICES"].subjects == ["billing.invoices.>"]
    assert streams["INVOICES"].evidence == [add_stream, SourceRef("services/billing/app/streams.py", 14)]
    assert streams["REFUNDS"].subjects == ["billing.refunds.>"]
    assert add_stream in streams["REFUNDS"].evidence


def test_push_and_pull_consumers_queue_groups_and_durables(billing) -> None:
    received = {u.address: u for u in billing[0].usages if u.action == RECEIVE and u.transport == "nats"}
    assert received["orders.*"].queue == "billing"
    assert received["orders.created"].durable == "billing-created"
    assert (received["orders.paid"].call, received["orders.paid"].durable) == ("pull_subscribe", "billing-paid")


def test_same_named_modules_do_not_shadow_each_other() -> None:
    events, _, _ = _extract("everything", "")
    sends = _sends(events)
    # both services have app/main.py and app/broker.py with a publish(); each caller keeps its own wrapper
    assert sends["orders.created"].via.startswith("publish (services/orders/app/broker.py")
    billing_send = [u for u in events.usages if u.location == SourceRef("services/billing/app/main.py", 24)]
    assert [u.via.split(" (")[1] for u in billing_send] == ["services/billing/app/broker.py:3)"]


def test_subject_from_compose_environment_through_a_client_parameter(billing) -> None:
    audit = _sends(billing[0])["audit.billing.recorded"]
    assert audit.location == SourceRef("services/billing/app/main.py", 24)


def test_http_clients_are_not_nats(billing) -> None:
    calls = {(u.location.line, u.call) for u in billing[0].usages}
    assert not [c for c in calls if c[1] == "request"], calls


def test_unknown_broker_call_is_a_warning_with_its_line_and_counted(billing) -> None:
    _, diagnostics, service = billing
    (warning,) = [d for d in diagnostics if "broker-like call" in d.message]
    assert (warning.path, warning.line, warning.severity.value) == ("services/billing/app/main.py", 42, "warning")
    coverage = service.coverage["events"]
    unresolved = [u for u in billing[0].usages if not u.address]  # the AMQP server-named reply queue
    assert [u.location.line for u in unresolved] == [28]
    assert coverage.candidates == coverage.resolved + 2  # that queue and the unknown receiver


def test_kafka_producers_and_consumers_are_events_of_transport_kafka(billing) -> None:
    events = billing[0]
    sends = _sends(events, "kafka")
    # settings default "" -> value from compose environment; a producer made by a factory, held on self
    assert sends["billing.invoices"].call == "send_and_wait"
    assert sends["billing.payments"].location.line == 37
    received = {u.address: u for u in events.usages if u.action == RECEIVE and u.transport == "kafka"}
    assert set(received) == {"billing.payments", "billing.refunds"}
    assert received["billing.payments"].queue == "billing"
    assert received["billing.payments"].via.startswith("make_consumer")
    events.link(None)
    assert events.channel("billing.payments").transport == "kafka"


def test_rabbitmq_publish_and_consume_are_events_of_transport_amqp(billing) -> None:
    amqp = {(u.action, u.address): u for u in billing[0].usages if u.transport == "amqp"}
    # default exchange through a method wrapper on self.channel, the routing key a module constant
    assert amqp[(SEND, "billing.receipts")].via.startswith("send (services/billing/app/rabbit.py:12)")
    assert amqp[(SEND, "audit.billing.paid")].location.line == 26  # a declared exchange, routing_key=
    # the queue's name from declare_queue(queue_name) in the wrapper, filled in by its caller
    assert amqp[(RECEIVE, "billing.refund-requests")].location.line == 24
    assert amqp[(RECEIVE, "")].dynamic.startswith("a server-named queue")
    # a method wrapper is matched by the class of the object it is called on: Mailer.listen consumes, Tap.listen
    # iterates; neither is taken for the other's same-named method
    received = {(u.call, u.address, u.via.split(" ")[0], u.location.line) for u in billing[0].usages
                if u.transport == "amqp" and u.action == RECEIVE and u.via}
    assert received == {("consume", "billing.refund-requests", "listen", 24),
                        ("iterator", "billing.audit-tap", "listen", 32)}
    assert not [u for u in billing[0].usages if u.location.path.endswith("kafka.py") and u.transport != "kafka"]


def test_faststream_subscribers_publishers_and_publish(orders) -> None:
    fast = {(u.action, u.call, u.address): u for u in orders[0].usages if u.api == "faststream"}
    created = fast[(RECEIVE, "subscriber", "orders.created")]
    assert (created.queue, created.durable, created.handler, created.transport) == (
        "orders-audit", "audit", "on_created", "nats")
    assert (SEND, "publish", "orders.announced") in fast  # the subject is publish()'s second argument
    # a publisher made by a factory and kept on self: its subject, the factory's parameter a {param}
    assert fast[(SEND, "publish", "orders.{order_id}.audit")].location == SourceRef(
        "services/orders/app/streaming.py", 27)
    assert (SEND, "publisher", "orders.{order_id}.audit") in fast


def test_faststream_publishers_passed_in_or_set_on_the_object_by_its_maker(orders) -> None:
    sends = {(u.location.path.rsplit("/", 1)[-1], u.location.line): u for u in orders[0].usages
             if u.api == "faststream" and u.call == "publish"}
    # a publisher parameter is a wrapper: each caller's argument (here a closure's variable) names the publisher
    acked = sends[("streaming.py", 50)]
    assert acked.address == "orders.acks.{region}"
    assert acked.via == "acknowledge (services/orders/app/streaming.py:35)"
    assert ("streaming.py", 35) not in sends  # the call inside the wrapper is reported at its caller
    # self.alerts only annotated in the class: set on an instance by the code that made it, per class
    assert sends[("streaming.py", 44)].address == "orders.alerts"
    assert sends[("streaming.py", 60)].address == "orders.notices"


def test_sqs_queues_from_urls_and_lookups_are_events_of_transport_sqs(orders) -> None:
    sqs = {(u.action, u.address): u.location.line for u in orders[0].usages if u.transport == "sqs"}
    assert sqs == {(SEND, "order-exports"): 10, (RECEIVE, "order-imports"): 15, (SEND, "order-retries"): 20}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed for @asyncapi/parser")
def test_kafka_events_in_a_valid_asyncapi_document_with_kafka_bindings(tmp_path: Path, billing) -> None:
    events, _, service = billing
    model = ArchitectureModel(repo=RepoInfo("foreign"), services=[service])
    model.events.merge(events)
    model.events.link(model)
    document = AsyncApiBuilder(model).document(service)
    topic = next(c for c in document["channels"].values() if c["address"] == "billing.payments")
    assert topic["bindings"]["kafka"]["topic"] == "billing.payments"
    groups = [o["bindings"]["kafka"]["groupId"]["enum"] for o in document["operations"].values()
              if "kafka" in o.get("bindings", {})]
    assert groups and all(g == ["billing"] for g in groups)
    nats_queue = [o["bindings"]["nats"]["queue"] for o in document["operations"].values()
                  if "nats" in o.get("bindings", {})]
    assert nats_queue == ["billing"]
    assert "Kafka and NATS" in document["info"]["description"]
    spec = tmp_path / "billing-events.asyncapi.json"
    spec.write_text(json.dumps(document, indent=2, sort_keys=True), encoding="utf-8")
    problems = asyncapi_problems([spec], tmp_path)
    if any(p.line == 0 and p.message.startswith("skipped:") for p in problems):
        pytest.skip("@asyncapi/parser is not installed")
    assert problems == []


def test_http_dependencies_from_settings_env_compose_and_gateway_tables() -> None:
    tree = SourceTree.read(FIXTURE, ())
    extractions = []
    for name in ("billing", "gateway", "orders"):
        root = f"services/{name}"
        service = Service(id=f"service:{name}", name=name, root=root,
                          app=AppEntry("app.main", "app", "instance", "", SourceRef(f"{root}/app/main.py", 1)))
        files = [f for f in tree.python_files() if f.path.startswith(f"{root}/")]
        extractions.append(ServiceExtraction(service, url_uses=http_uses(FIXTURE, service, files),
                                             http_names=service_aliases(FIXTURE, [service])))
    model = link(RepoInfo("foreign"), extractions, [])
    depends = {(e.source, e.target): e.evidence for e in model.edges if e.kind == "depends-on"}
    gateway_main = "services/gateway/app/main.py"
    # os.getenv default is localhost; compose environment says http://orders:8000
    assert SourceRef(gateway_main, 12) in depends[("service:gateway", "service:orders")]
    # a literal in the proxy table and a settings default read in an f-string
    assert {SourceRef(gateway_main, 13), SourceRef(gateway_main, 26)} <= set(
        depends[("service:gateway", "service:billing")])
    assert ("service:billing", "service:orders") in depends  # httpx.AsyncClient(base_url="http://orders:8000")
    assert set(depends) == {("service:gateway", "service:orders"), ("service:gateway", "service:billing"),
                            ("service:billing", "service:orders")}  # no edge to the public payment API
    gateway = next(s for s in model.services if s.name == "gateway")
    assert (gateway.coverage["http-clients"].resolved, gateway.coverage["http-clients"].candidates) == (3, 4)
    (warning,) = [d for d in model.diagnostics if "INVENTORY_SERVICE_URL" in d.message]
    assert (warning.path, warning.line) == (gateway_main, 16)


def test_model_command_on_the_fixture_shows_every_transport_and_http_edge(tmp_path: Path) -> None:
    repo = tmp_path / "foreign_events"
    shutil.copytree(FIXTURE, repo)  # the run writes its cache into the repository
    result = CliRunner().invoke(main, ["model", "--json", "--static-only", "--repo", str(repo)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    model = json.loads(result.output[result.output.index("{"):])
    services = {s["name"]: s for s in model["services"]}
    assert set(services) == {"billing", "gateway", "orders"}
    transports = {(u["service"], u["transport"]) for u in model["events"]["usages"]}
    assert transports == {("billing", "amqp"), ("billing", "kafka"), ("billing", "nats"), ("orders", "nats"),
                          ("orders", "sqs")}
    channels = {c["address"]: c for c in model["events"]["channels"]}
    assert channels["billing.payments"]["transport"] == "kafka"
    # orders publishes orders.paid through its wrapper, billing pulls it: a cross-service event edge
    assert channels["orders.paid"]["producers"] == ["orders"] and channels["orders.paid"]["consumers"] == ["billing"]
    depends = {(e["source"], e["target"]) for e in model["edges"] if e["kind"] == "depends-on"}
    assert {("service:gateway", "service:orders"), ("service:gateway", "service:billing"),
            ("service:billing", "service:orders")} <= depends
    assert services["gateway"]["coverage"]["http-clients"] == {"candidates": 4, "resolved": 3}
    assert services["orders"]["coverage"]["events"]["candidates"] == services["orders"]["coverage"]["events"][
        "resolved"]
