"""The whole platform started as `make up` starts it, walked through the way a user would."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from arrakis_common.testing import PLATFORM_SERVER, wait_until
from arrakis_docs.extractors.traces import OtlpFiles, observe, trace_files
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.model.runtime import ObservedGraph, Reconciliation
from arrakis_docs.runtime_report import reconcile
from event_gateway.signing import verify_signature

pytestmark = pytest.mark.real_server(PLATFORM_SERVER)

REPO = Path(__file__).resolve().parents[2]
SERVICES = ["user-service", "ontology-management-service", "audit-service", "data-kernel-service",
            "embedding-service", "scheduler-service", "event-gateway"]


def test_make_up_starts_every_service_with_its_routes(platform):
    print(f"platform ready in {platform.ready_seconds:.1f}s")
    expected = {
        "user-service": ["/auth/register", "/auth/login", "/users/me", "/users", "/.well-known/jwks.json"],
        "ontology-management-service": ["/object-types", "/link-types", "/objects", "/links"],
        "audit-service": ["/audit/events", "/audit/verify", "/audit/export"],
        "data-kernel-service": ["/datasets", "/transforms", "/transforms/{transform_id}/run"],
        "embedding-service": ["/collections", "/collections/{name}/search"],
        "scheduler-service": ["/jobs", "/jobs/{job_id}/pause", "/jobs/{job_id}/resume", "/jobs/{job_id}/runs"],
        "event-gateway": ["/subscriptions", "/dead-letters", "/events/{subject}"],
    }
    for service in SERVICES:
        with platform.client(service) as client:
            assert client.get("/health/ready").json()["checks"] == {"database": True, "nats": True}
            paths = client.get("/openapi.json").json()["paths"]
            assert set(expected[service]) <= set(paths), (service, sorted(paths))
            assert "http_requests_total" in client.get("/metrics").text


def test_walkthrough_across_all_seven_services(platform, webhook_receiver, sign_in):
    with platform.client("user-service") as users:
        token = sign_in(users)
        assert "admin" in users.get("/users/me", headers={"Authorization": f"Bearer {token}"}).json()["roles"]

    gateway = platform.client("event-gateway", token)
    subscription = gateway.post("/subscriptions", json={"url": webhook_receiver.url,
                                                        "subject_filter": "arrakis.ontology.object.*"})
    assert subscription.status_code == 201, subscription.text
    secret = subscription.json()["secret"]

    ontology = platform.client("ontology-management-service", token)
    object_type = ontology.post("/object-types", json={
        "api_name": "Creature", "display_name": "Creature", "title_property": "name",
        "properties": [{"name": "name", "type": "string", "required": True}, {"name": "habitat", "type": "string"}]})
    assert object_type.status_code == 201, object_type.text
    created = ontology.post("/objects", json={"object_type": "Creature", "properties": {
        "name": "Shai-Hulud", "habitat": "giant sandworm beneath the deep desert dunes"}})
    assert created.status_code == 201, created.text
    object_id = created.json()["id"]

    # audit-service holds both events and its hash chain verifies.
    audit = platform.client("audit-service", token)

    def audited() -> set[str]:
        items = audit.get("/audit/events", params={"subject": "arrakis.ontology.>", "limit": 100}).json()["items"]
        return {item["subject"] for item in items}

    wait_until(lambda: {"arrakis.ontology.object_type.created", "arrakis.ontology.object.created"} <= audited())
    verify = audit.get("/audit/verify").json()
    assert verify["ok"] is True and verify["count"] >= 3, verify  # user created + type + object at least

    # embedding-service indexed the object from its event and finds it by text.
    embedding = platform.client("embedding-service", token)

    def top_hit() -> str | None:
        response = embedding.post("/collections/ontology-objects/search", json={"text": "sandworm desert", "k": 3})
        hits = response.json().get("hits", []) if response.status_code == 200 else []
        return hits[0]["id"] if hits else None

    assert wait_until(top_hit) == object_id

    # A scheduler job fires and data-kernel runs the transform it names.
    kernel = platform.client("data-kernel-service", token)
    dataset = kernel.post("/datasets", json={"name": "harvests", "columns": [
        {"name": "region", "type": "string"}, {"name": "tons", "type": "number"}]})
    assert dataset.status_code == 201, dataset.text
    ingest = kernel.post(f"/datasets/{dataset.json()['id']}/records", json=[
        {"region": "north", "tons": 3}, {"region": "south", "tons": 5}, {"region": "north", "tons": 1}])
    assert ingest.status_code == 200 and ingest.json()["accepted"] == 3, ingest.text
    transform = kernel.post("/transforms", json={
        "name": "by_region", "source_dataset_id": dataset.json()["id"], "target_dataset": "harvest_by_region",
        "steps": [{"type": "aggregate", "group_by": ["region"],
                   "aggregations": [{"function": "sum", "column": "tons", "name": "tons"}]}]})
    assert transform.status_code == 201, transform.text
    transform_id = transform.json()["id"]
    scheduler = platform.client("scheduler-service", token)
    job = scheduler.post("/jobs", json={"name": "harvest-rollup", "cron": "*/2 * * * * *",
                                        "target_subject": "arrakis.data.transform.requested",
                                        "payload": {"transform_id": transform_id}})
    assert job.status_code == 201, job.text

    def completed_run() -> dict | None:
        runs = kernel.get(f"/transforms/{transform_id}/runs").json()["items"]
        return next((run for run in runs if run["status"] == "succeeded"), None)

    run = wait_until(completed_run, timeout=30)
    assert scheduler.post(f"/jobs/{job.json()['id']}/pause").status_code == 200
    assert scheduler.get(f"/jobs/{job.json()['id']}/runs").json()["total"] >= 1
    output = kernel.get(f"/datasets/{run['output_dataset_id']}/records").json()["items"]
    totals = {row["data"]["region"]: row["data"]["tons"] for row in output}
    assert totals == {"north": 4, "south": 5}

    # event-gateway delivered the object event to the webhook receiver, signed with the subscription's secret.
    def delivered():
        return next((r for r in webhook_receiver.received
                     if r.headers.get("x-arrakis-subject") == "arrakis.ontology.object.created"), None)

    hook = wait_until(delivered)
    assert json.loads(hook.body)["payload"]["object_id"] == object_id
    assert verify_signature(secret, hook.headers["x-arrakis-timestamp"], hook.body,
                            hook.headers["x-arrakis-signature"])
    assert not any(r.headers.get("x-arrakis-subject", "").startswith("arrakis.data.") for r in
                   webhook_receiver.received)


# ---------------------------------------------------------------- runtime truth: the same walk, traced
# The platform sends its spans to the portal (scripts/up.sh sets ARRAKIS_OTLP_ENDPOINT), which records them as OTLP
# JSON lines; the walk above is what they describe.

def observed(traces: Path, flows: bool = False) -> ObservedGraph:
    """The graph of every span recorded so far."""
    problems: list[str] = []
    graph = observe(OtlpFiles(trace_files([traces]), problems), flows=flows)
    assert not problems, problems
    return graph


def edge_keys(graph: ObservedGraph) -> set[tuple[str, str, str, str]]:
    """(protocol, kind, source, target) of every observed edge."""
    return {(e.protocol, e.kind, e.source, e.target) for e in graph.edges}


def wait_for_edges(traces: Path, wanted: set[tuple[str, str, str, str]], timeout: float = 90.0,
                   flows: bool = False) -> ObservedGraph:
    """Re-read the spans until every wanted edge is there (the services export in batches); fails with the
    missing ones."""
    deadline = time.monotonic() + timeout
    while True:
        graph = observed(traces, flows)
        missing = wanted - edge_keys(graph)
        if not missing:
            return graph
        if time.monotonic() > deadline:
            raise AssertionError(f"edges never observed: {sorted(missing)}; seen: {sorted(edge_keys(graph))}")
        time.sleep(0.5)


def labels(result: Reconciliation, label: str, protocol: str | None = None,
           keep: Callable[[str], bool] = lambda _kind: True) -> set[tuple[str, str, str]]:
    """(kind, source, target) of the reconciled edges with ``label``."""
    return {(e.kind, e.source, e.target) for e in result.edges
            if e.label == label and (protocol is None or e.protocol == protocol) and keep(e.kind)}


def reconciled(model: ArchitectureModel, graph: ObservedGraph) -> Reconciliation:
    """The graph labelled against the model."""
    return reconcile(model, graph)


WALK_EDGES = {
    *{("http", "calls", f"service:{name}", "service:user-service") for name in SERVICES if name != "user-service"},
    ("nats", "publishes", "service:user-service", "channel:arrakis.user.user.created"),
    ("nats", "publishes", "service:ontology-management-service", "channel:arrakis.ontology.object.created"),
    ("nats", "publishes", "service:scheduler-service", "channel:arrakis.data.transform.requested"),
    ("nats", "publishes", "service:data-kernel-service", "channel:arrakis.data.transform.completed"),
    ("nats", "consumes", "channel:arrakis.ontology.object.created", "service:embedding-service"),
    ("nats", "consumes", "channel:arrakis.ontology.object.created", "service:audit-service"),
    ("nats", "consumes", "channel:arrakis.ontology.object.created", "service:event-gateway"),
    ("nats", "consumes", "channel:arrakis.data.transform.requested", "service:data-kernel-service"),
    ("nats", "delivers", "service:ontology-management-service", "service:embedding-service"),
    ("nats", "delivers", "service:ontology-management-service", "service:audit-service"),
    ("nats", "delivers", "service:ontology-management-service", "service:event-gateway"),
    ("nats", "delivers", "service:scheduler-service", "service:data-kernel-service"),
    *{("database", "queries", f"service:{name}", f"database:sqlite/{name}") for name in SERVICES},
}


@pytest.fixture(scope="module", autouse=True)
def _static_model_in_background():
    """The repository's static model, scanned in a thread from the start of the module, so the scan overlaps the
    platform's start and the walk instead of adding to them."""
    from concurrent.futures import ThreadPoolExecutor

    from arrakis_docs.commands.common import Target
    from arrakis_docs.extractors.service_scan import ExtractOptions
    from arrakis_docs.progress import Progress

    target = Target.of(str(REPO), None)
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(target.model, Progress(enabled=False),
                          ExtractOptions(static_only=True, streams=target.config.streams))


@pytest.fixture(scope="module")
def static_model(_static_model_in_background):
    return _static_model_in_background.result(timeout=240)


def test_traces_of_the_walk_show_every_hop_and_nothing_undeclared(platform, static_model):
    from arrakis_docs.model.runtime import DECLARED_ONLY, EXTERNAL, OBSERVED_ONLY

    graph = wait_for_edges(platform.traces_dir, WALK_EDGES)
    delivered = {e.via for e in graph.edges if e.kind == "delivers"}
    assert delivered == {"link"}, delivered  # joined across traces through the consumer spans' links
    jwks = next(e for e in graph.edges if e.kind == "calls" and e.source == "service:audit-service")
    assert jwks.detail == "GET /.well-known/jwks.json" and jwks.stats.calls >= 1 and jwks.stats.p95_ms > 0, jwks
    result = reconciled(static_model, graph)
    assert labels(result, OBSERVED_ONLY) == set(), labels(result, OBSERVED_ONLY)
    # Declared, and not exercised by the walk: no link is ever created, and embedding-service calls
    # ontology-management-service only when it rebuilds its index.
    assert ("publishes", "service:ontology-management-service", "channel:arrakis.ontology.link.created") in \
        labels(result, DECLARED_ONLY, "nats")
    assert ("calls", "service:embedding-service", "service:ontology-management-service") in \
        labels(result, DECLARED_ONLY, "http")
    assert ("calls", "service:event-gateway", "external:127.0.0.1:") in {
        (k, s, t.rsplit(":", 1)[0] + ":") for k, s, t in labels(result, EXTERNAL, "http")}  # the webhook


def test_a_raw_url_call_comes_out_observed_only(platform, static_model, sign_in, tmp_path):
    import subprocess
    import sys

    import httpx

    from arrakis_common.testing import free_port
    from arrakis_docs.model.runtime import OBSERVED_ONLY

    port = free_port()
    env = {**os.environ, "ARRAKIS_OTLP_ENDPOINT": f"{platform.portal_url}/v1/traces", "OTEL_BSP_SCHEDULE_DELAY": "200"}
    probe = subprocess.Popen([sys.executable, str(REPO / "tests" / "platform" / "runtime_probe.py"), str(port),
                              "scheduler-service", platform.url("audit-service")], env=env)
    try:
        with platform.client("user-service") as users:
            token = users.post("/auth/login", json={"email": "admin@arrakis.example",
                                                    "password": "correct horse battery staple"}).json()["access_token"]
        deadline = time.monotonic() + 120  # the probe imports FastAPI and OpenTelemetry: slow on a loaded machine
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/probe/raw-call", timeout=10, trust_env=False,
                                   headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and probe.poll() is None, "the probe did not start"
                time.sleep(0.2)
        assert answer.json() == {"status": 200}, answer.text
        seeded = ("http", "calls", "service:scheduler-service", "service:audit-service")
        graph = wait_for_edges(platform.traces_dir, {seeded})
    finally:
        probe.terminate()
        probe.wait(timeout=10)
    result = reconciled(static_model, graph)
    assert labels(result, OBSERVED_ONLY) == {("calls", "service:scheduler-service", "service:audit-service")}
    # The CLI says the same, fails CI on it, and writes the pages, whose diagrams render in Chromium.
    from click.testing import CliRunner

    from arrakis_docs.cli import main

    model_file = tmp_path / "model.json"
    model_file.write_text(static_model.to_json(), encoding="utf-8")
    report = tmp_path / "report.json"
    done = CliRunner().invoke(main, ["runtime", "--repo", str(REPO), "--out", str(tmp_path), "--traces",
                                     str(platform.traces_dir), "--model", str(model_file), "--report", str(report),
                                     "--fail-on", "observed-only", "--pages"])
    assert done.exit_code == 1, done.output
    assert "observed-only          http     calls     service:scheduler-service -> service:audit-service" in done.output
    body = json.loads(report.read_text())
    assert body["counts"]["http"]["observed-only"] == 1
    pages = {p.relative_to(tmp_path).as_posix(): p.read_text(encoding="utf-8")
             for p in sorted((tmp_path / "var" / "runtime" / "pages").rglob("*.md"))}
    flow = pages["var/runtime/pages/flows/ontology-management-service--post-objects.md"]
    for hop in ("send arrakis.ontology.object.created", "as embedding-service", "as audit-service",
                "as event-gateway", "ontology-management-service db", "POST 127.0.0.1:"):  # the webhook, last
        assert hop in flow, (hop, flow)
    assert "get-openapi-json" not in " ".join(pages)  # public operations only
    spec = importlib.util.spec_from_file_location("test_runtime", REPO / "tests" / "test_runtime.py")
    runtime_tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runtime_tests)
    assert runtime_tests.mermaid_render_failures(pages) == []
