"""The NATS usage extractor on a fixture with every raw nats-py pattern, and on the platform itself (counts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrakis_docs.commands.common import Target
from arrakis_docs.event_pages import orphan_lines
from arrakis_docs.extractors.nats_usage import service_events
from arrakis_docs.extractors.service_scan import ExtractOptions
from arrakis_docs.extractors.source_tree import SourceTree
from arrakis_docs.model.architecture import AppEntry, Diagnostic, Service, SourceRef
from arrakis_docs.model.events import RECEIVE, SEND, EventModel
from arrakis_docs.progress import Progress

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "events_raw"


def _extract(static_only: bool) -> tuple[EventModel, list[Diagnostic]]:
    tree = SourceTree.read(FIXTURE, ())
    service = Service(id="service:orders", name="orders", root="",
                      app=AppEntry("orders.messaging", "app", "instance", "", SourceRef("orders/messaging.py", 1)))
    diagnostics: list[Diagnostic] = []
    files = tree.python_files()
    events = service_events(FIXTURE, service, files, ExtractOptions(static_only=static_only), diagnostics)
    events.link(None)
    return events, diagnostics


@pytest.fixture(scope="module")
def raw() -> tuple[EventModel, list[Diagnostic]]:
    return _extract(static_only=True)


def _use(events: EventModel, action: str, address: str):
    found = [u for u in events.usages if u.action == action and u.address == address]
    assert len(found) == 1, (action, address, events.usages)
    return found[0]


def test_raw_patterns_each_found_with_file_and_line(raw: tuple[EventModel, list[Diagnostic]]) -> None:
    events, _ = raw
    # f-string from a settings default and a method parameter, through the `self.js` alias of an injected client.
    placed = _use(events, SEND, "shop.orders.{region}.placed")
    assert (placed.api, placed.call, placed.message) == ("jetstream", "publish", "OrderPlaced")
    assert placed.location == SourceRef("orders/messaging.py", 16)
    shipped = _use(events, SEND, "shop.orders.shipped")  # module constant, `self.nc` alias
    assert (shipped.api, shipped.location.line) == ("core", 19)
    # The wrapper's parameter flows into publish: the caller's literal is the subject, at the caller's line.
    wrapped = _use(events, SEND, "shop.notifications.sent")
    assert wrapped.location.line == 27 and wrapped.via == "send_event (orders/messaging.py:23)"
    refund = _use(events, RECEIVE, "shop.refunds.requested")
    assert (refund.queue, refund.handler, refund.message) == ("refund-workers", "handle_refund", "RefundRequested")
    pull = _use(events, RECEIVE, "shop.orders.*.placed")
    assert (pull.call, pull.durable, pull.api) == ("pull_subscribe", "billing", "jetstream")
    assert _use(events, SEND, "shop.inventory.reserve").call == "request"
    assert [(s.name, s.subjects) for s in events.streams] == [("ORDERS", ["shop.orders.>"])]
    assert len(events.usages) == 7


def test_subject_known_only_at_run_time_is_reported(raw: tuple[EventModel, list[Diagnostic]]) -> None:
    events, diagnostics = raw
    dynamic = events.dynamic()
    assert [(u.action, u.dynamic, u.location.line) for u in dynamic] == [(SEND, "subject_from_database()", 46)]
    assert any("only known at run time: subject_from_database()" in d.message and d.line == 46 for d in diagnostics)


def test_static_schema_fallback_and_imported_schema(raw: tuple[EventModel, list[Diagnostic]]) -> None:
    static = raw[0].message("OrderPlaced")
    assert static is not None and static.schema_source == "static"
    assert static.schema["required"] == ["order_id", "total"]
    assert static.schema["properties"]["items"]["type"] == "array"
    imported, _ = _extract(static_only=False)
    message = imported.message("OrderPlaced")
    assert message is not None and message.schema_source == "import"
    assert message.schema["properties"]["total"]["type"] == "number"


def test_orphan_report(raw: tuple[EventModel, list[Diagnostic]]) -> None:
    lines = orphan_lines(raw[0])
    assert lines == [
        "`shop.inventory.reserve`: published by orders but never consumed",
        "`shop.notifications.sent`: published by orders but never consumed",
        "`shop.orders.shipped`: published by orders but never consumed",
        "`shop.orders.{region}.placed`: consumed only through wildcards (orders)",
        "`shop.refunds.requested`: consumed by orders but never published",
    ]


# ---------------------------------------------------------------- the platform

DECLARED = {  # bus.declare(...) in each app.py, by subject count
    "data-kernel-service": 5, "embedding-service": 1, "event-gateway": 1, "ontology-management-service": 11,
    "scheduler-service": 1, "user-service": 3,
}


@pytest.fixture(scope="module")
def platform() -> EventModel:
    target = Target.of(str(REPO), None)
    options = ExtractOptions(static_only=True, streams=target.config.streams)
    return target.model(Progress(enabled=False), options, use_cache=False).events


def test_platform_producers_and_consumers_equal_the_declared_ones(platform: EventModel) -> None:
    declared: dict[str, set[str]] = {}
    for message in platform.messages:
        for service in message.declared_by:
            declared.setdefault(service, set()).add(message.subject)
    assert {s: len(v) for s, v in declared.items()} == DECLARED
    published = {c.address: c.producers for c in platform.channels if c.producers}
    assert len(published) == 21
    for service, subjects in declared.items():
        mine = {a for a, producers in published.items() if service in producers}
        # data-kernel-service declares TransformRequested as the owner of a contract it consumes.
        expected = subjects - {"arrakis.data.transform.requested"}
        assert mine == expected, service
    subscriptions = sorted((u.service, u.address, u.durable) for u in platform.usages if u.action == RECEIVE)
    assert subscriptions == [
        ("audit-service", "arrakis.>", ""),  # /audit/verify reads the stream's range with a throwaway consumer
        ("audit-service", "arrakis.>", "audit-service-log"),
        ("data-kernel-service", "arrakis.data.transform.requested", "data-kernel-service-transforms"),
        ("embedding-service", "arrakis.ontology.object.*", "embedding-service-objects"),
        ("event-gateway", "arrakis.>", "event-gateway-webhooks"),
    ]
    concrete = [c for c in platform.channels if not c.pattern]
    assert len(concrete) == 22
    for channel in concrete:
        expected_consumers = {"audit-service", "event-gateway"}
        if channel.address.startswith("arrakis.ontology.object."):
            expected_consumers.add("embedding-service")
        if channel.address == "arrakis.data.transform.requested":
            expected_consumers.add("data-kernel-service")
        assert set(channel.consumers) == expected_consumers, channel.address
        assert channel.streams == ["ARRAKIS"]
    dynamic = sorted((u.service, u.dynamic) for u in platform.dynamic())
    assert dynamic == [("event-gateway", "subject"), ("scheduler-service", "job.target_subject")]
