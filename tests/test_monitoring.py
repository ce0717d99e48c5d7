"""Generated monitoring checked by the real tools (Debian's promtool and amtool), and objectives derived from the
model: defaults cover every route and consumer, latency thresholds snap to real buckets, bad declarations are
reported at their line."""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from arrakis_docs.extractors.prometheus_metrics import DEFAULT_BUCKETS, service_metrics
from arrakis_docs.extractors.service_objectives import service_objectives
from arrakis_docs.extractors.source_tree import SourceFile
from arrakis_docs.model.architecture import Api, AppEntry, Service, SourceRef, SpecMode
from arrakis_docs.model.events import EventUsage
from arrakis_docs.monitoring.dashboards import dashboard_queries

REPO = Path(__file__).resolve().parents[1]
MONITORING = REPO / "monitoring"
PROMETHEUS = MONITORING / "prometheus"
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian package prometheus missing")


def run(*argv: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)


@needs_promtool
def test_rule_files_and_operator_manifest_pass_promtool_check(tmp_path: Path):
    rules = sorted((PROMETHEUS / "rules").glob("*.yml"))
    assert len(rules) == 7
    manifest = yaml.safe_load((PROMETHEUS / "operator" / "prometheusrule.yaml").read_text())
    assert manifest["kind"] == "PrometheusRule"
    spec = tmp_path / "operator-groups.yml"
    spec.write_text(yaml.safe_dump(manifest["spec"]))
    result = run("promtool", "check", "rules", *map(str, rules), str(spec))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(rules) + 1


@needs_promtool
def test_generated_promtool_suite_passes_and_fails_when_a_rule_is_broken(tmp_path: Path):
    tests = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
    assert len(tests) == 7
    with ThreadPoolExecutor(max_workers=4) as pool:  # promtool is single-threaded; the files are independent
        results = list(pool.map(lambda t: run("promtool", "test", "rules", t.name, cwd=t.parent), tests))
    for test, result in zip(tests, results, strict=True):
        assert result.returncode == 0, f"{test.name}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
    # The suite can fail: rules whose error selector no longer matches 5xx answers never fire, and that is caught.
    broken = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS / "rules", broken / "rules")
    shutil.copytree(PROMETHEUS / "tests", broken / "tests")
    path = broken / "rules" / "scheduler-service.yml"
    text = path.read_text()
    assert 'status=~"5.."' in text
    path.write_text(text.replace('status=~"5.."', 'status=~"4.."'))
    result = run("promtool", "test", "rules", "scheduler-service.test.yml", cwd=broken / "tests")
    assert result.returncode != 0 and "SchedulerServiceAvailabilityBudgetBurn" in result.stdout + result.stderr


@needs_promtool
def test_every_dashboard_and_slo_spec_query_parses(tmp_path: Path):
    """promtool parses each query as the expression of a recording rule: a query that does not parse fails."""
    queries = [q for path in sorted((MONITORING / "grafana").glob("*.json"))
               for q in dashboard_queries(json.loads(path.read_text()))]
    assert len(queries) > 100
    for path in sorted((MONITORING / "slo" / "sloth").glob("*.yaml")):
        for slo in yaml.safe_load(path.read_text())["slos"]:
            queries += [q.replace("{{.window}}", "5m") for q in _leaves(slo["sli"])]
    for path in sorted((MONITORING / "slo" / "openslo").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document["kind"] == "SLO":
                queries += [q for q in _leaves(document["spec"]["indicator"]) if "{" in q]
    rules = {"groups": [{"name": "queries", "rules": [{"record": f"check:q{i}", "expr": q}
                                                       for i, q in enumerate(queries)]}]}
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = run("promtool", "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    rules["groups"][0]["rules"].append({"record": "check:broken", "expr": "sum(rate(up{job=\"x\"}[5m])"})
    path.write_text(yaml.safe_dump(rules))
    assert run("promtool", "check", "rules", str(path)).returncode != 0


def _leaves(node: object) -> list[str]:
    if isinstance(node, dict):
        return [leaf for key, value in sorted(node.items()) for leaf in
                ([value] if key in ("query", "error_query", "total_query", "error_ratio_query") else _leaves(value))]
    if isinstance(node, list):
        return [leaf for value in node for leaf in _leaves(value)]
    return []


@needs_promtool
def test_scrape_configuration_passes_promtool_and_names_a_job_per_service():
    result = run("promtool", "check", "config", "prometheus.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert sorted(j["job_name"] for j in config["scrape_configs"]) == sorted(
        p.parent.name for p in (REPO / "services").glob("*/service.yaml"))


@pytest.mark.skipif(shutil.which("amtool") is None, reason="Debian package prometheus-alertmanager missing")
def test_alertmanager_configuration_passes_amtool_and_routes_by_team(tmp_path: Path):
    path = MONITORING / "alertmanager" / "alertmanager.yml"
    result = run("amtool", "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(path.read_text())
    teams = {yaml.safe_load(p.read_text())["owner"] for p in (REPO / "services").glob("*/service.yaml")}
    assert {r["matchers"][0] for r in config["route"]["routes"]} == {f'team="{t}"' for t in teams}
    broken = tmp_path / "alertmanager.yml"
    config["route"]["routes"][0]["receiver"] = "nobody"
    broken.write_text(yaml.safe_dump(config))
    assert run("amtool", "check-config", str(broken)).returncode != 0


@pytest.mark.skipif(shutil.which("amtool") is None, reason="Debian package prometheus-alertmanager missing")
def test_make_ups_alertmanager_configuration_keeps_the_routes_and_passes_amtool(tmp_path: Path):
    """scripts/run_alertmanager.py's copy: the generated routes, null receivers (nothing leaves a developer's
    machine), checked by amtool before Alertmanager starts; a copy amtool rejects stops it with the complaint."""
    import importlib.util
    import os
    import sys

    done = subprocess.run([sys.executable, "scripts/run_alertmanager.py", "--config-only"], cwd=REPO,
                          env={**os.environ, "ARRAKIS_VAR_DIR": str(tmp_path)}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    path = Path(done.stdout.strip())
    assert path == tmp_path / "alertmanager" / "alertmanager.yml"
    local = yaml.safe_load(path.read_text())
    generated = yaml.safe_load((MONITORING / "alertmanager" / "alertmanager.yml").read_text())
    assert local["route"] == generated["route"] and local["inhibit_rules"] == generated["inhibit_rules"]
    assert local["receivers"] == [{"name": r["name"]} for r in generated["receivers"]]
    spec = importlib.util.spec_from_file_location("run_alertmanager", REPO / "scripts" / "run_alertmanager.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.check(path) is None
    local["route"]["routes"][0]["receiver"] = "nobody"
    path.write_text(yaml.safe_dump(local))
    assert "nobody" in module.check(path)


def test_every_alert_has_a_runbook_page_and_the_catalog_links_them():
    alerts = [rule for path in sorted((PROMETHEUS / "rules").glob("*.yml"))
              for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"] if "alert" in rule]
    assert len({a["alert"] for a in alerts}) > 40
    for alert in alerts:
        url = alert["annotations"]["runbook_url"]
        assert (REPO / "docs" / f"{url.strip('/')}.md").is_file(), url
    component = yaml.safe_load((REPO / "catalog" / "components" / "audit-service.yaml").read_text())
    urls = {link["title"]: link["url"] for link in component["metadata"]["links"]}
    assert urls["Runbooks"].endswith("/docs/runbooks/audit-service/index.md")
    assert (REPO / "docs" / "runbooks" / "audit-service" / "index.md").is_file()
    assert urls["Grafana dashboard (JSON)"].endswith("/monitoring/grafana/audit-service.json")


# ------------------------------------------------------------------ objectives from the model


def _service(slos: dict, tier: str = "2") -> Service:
    app = AppEntry("shop.app", "app", "instance", ".", SourceRef("shop/app.py", 1))
    return Service(id="service:shop", name="shop", root="shop", app=app, tier=tier, slos=slos, owner="team-a",
                   manifest="shop/service.yaml")


def _api(*paths: str) -> Api:
    return Api(id="api:shop", name="shop", service="shop", kind="openapi", mode=SpecMode.STATIC,
               document={"paths": {p: {"get": {}} for p in paths}})


METRICS_CODE = '''
from prometheus_client import Counter, Histogram
import prometheus_client as pc
BUCKETS = (0.1, 0.25, 0.5, 1.0)
REQUESTS = Counter("http_requests", "requests", ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "latency", ["method", "route"], buckets=BUCKETS)
DEFAULTS = pc.Histogram("job_seconds", "job")
'''


def test_metrics_are_read_from_prometheus_client_calls_with_their_buckets():
    metrics = service_metrics("shop", [SourceFile("shop/metrics.py", METRICS_CODE.encode())], [])
    by_name = {m.name: m for m in metrics}
    assert by_name["http_requests_total"].labels == ("method", "route", "status")  # the exposed counter name
    assert by_name["http_request_duration_seconds"].buckets == (0.1, 0.25, 0.5, 1.0)
    assert by_name["job_seconds"].buckets == DEFAULT_BUCKETS
    assert by_name["http_request_duration_seconds"].location == SourceRef("shop/metrics.py", 6)


def test_defaults_cover_every_route_group_and_consumer_and_thresholds_snap_to_buckets():
    metrics = service_metrics("shop", [SourceFile("shop/metrics.py", METRICS_CODE.encode())], [])
    manifest = "slos:\n  - name: checkout-latency\n    sli: latency\n    target: 99\n    threshold: 0.3\n" \
               "    routes: [\"/orders*\"]\n"
    slos = {"checkout-latency": {"sli": "latency", "target": 99, "threshold": 0.3, "routes": ["/orders*"]}}
    usage = EventUsage("shop", "receive", "shop.order.created", "bus", "subscribe", SourceRef("shop/app.py", 3),
                       durable="shop-orders")
    diagnostics: list = []
    objectives = service_objectives(_service(slos), _api("/orders", "/orders/{id}", "/carts", "/health/live"),
                                    [usage], metrics, manifest, diagnostics)
    by_name = {o.name: o for o in objectives}
    assert sorted(by_name) == ["carts-availability", "carts-latency", "checkout-latency", "orders-availability",
                               "shop-orders-freshness"]
    assert by_name["checkout-latency"].threshold == 0.25 and by_name["checkout-latency"].declared_threshold == 0.3
    assert by_name["carts-latency"].threshold == 0.5  # tier 2 default, a bucket already
    assert by_name["shop-orders-freshness"].subjects == ["shop.order.created"]
    covered = {r for o in objectives for r in o.routes}
    assert covered == {"/orders", "/orders/{id}", "/carts"}  # every public route, health checks left out
    [snapped] = diagnostics
    assert (snapped.path, snapped.line) == ("shop/service.yaml", 2)
    assert "0.3 s is not a bucket boundary" in snapped.message and "0.25" in snapped.message


def test_an_objective_that_cannot_be_measured_is_reported_at_its_line():
    manifest = "slos:\n  - name: ok\n    sli: availability\n    target: 99.9\n  - name: nowhere\n" \
               "    sli: availability\n    target: 99\n    routes: [\"/nope\"]\n  - name: odd\n    sli: saturation\n"
    slos = {"ok": {"sli": "availability", "target": 99.9},
            "nowhere": {"sli": "availability", "target": 99, "routes": ["/nope"]},
            "odd": {"sli": "saturation", "target": 99}}
    diagnostics: list = []
    metrics = service_metrics("shop", [SourceFile("shop/metrics.py", METRICS_CODE.encode())], [])
    objectives = service_objectives(_service(slos), _api("/orders"), [], metrics, manifest, diagnostics)
    assert [o.name for o in objectives] == ["ok", "orders-latency"]
    lines = {d.line: d.message for d in diagnostics if d.severity == "error"}
    assert "match none of the service's public routes" in lines[5]
    assert "sli 'saturation' is not one of availability, latency, freshness" in lines[9]
    unmeasured: list = []  # without the request metrics in the code, a declared request objective is refused
    assert service_objectives(_service({"ok": slos["ok"]}), _api("/orders"), [], [], manifest, unmeasured) == []
    assert "requests cannot be measured" in unmeasured[0].message and unmeasured[0].line == 2


def _shop_model():
    from arrakis_docs.model.architecture import ArchitectureModel, RepoInfo

    metrics = service_metrics("shop", [SourceFile("shop/metrics.py", METRICS_CODE.encode())], [])
    slos = {"orders-availability": {"sli": "availability", "target": 99.9, "routes": ["/orders*"]}}
    objectives = service_objectives(_service(slos), _api("/orders"), [], metrics, "", [])
    model = ArchitectureModel(repo=RepoInfo("shop"), services=[_service(slos)], apis=[_api("/orders")])
    model.monitoring.metrics, model.monitoring.objectives = list(metrics), objectives
    return model


def _runbook_urls(files: dict[str, str]) -> set[str]:
    """Every runbook_url of the rule files, the promtool tests' expectations and the Sloth specs."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.update(v for k, v in node.items() if k == "runbook_url")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path, text in files.items():
        if path.endswith((".yml", ".yaml")) and "/alertmanager/" not in path:
            for document in yaml.safe_load_all(text):
                walk(document)
    return found


def test_runbook_urls_are_absolute_under_the_portals_site_url_and_relative_without_one(tmp_path: Path):
    from arrakis_docs.extractors.config import RepoConfig
    from arrakis_docs.monitoring import monitoring_outputs

    model = _shop_model()
    relative = _runbook_urls(monitoring_outputs(model, tmp_path, RepoConfig()).files)
    assert relative and all(u.startswith("/runbooks/shop/") and u.endswith("/") for u in relative), relative

    # mkdocs.yml's site_url, found through INHERIT and past the tags MkDocs configurations use
    (tmp_path / "base.yml").write_text("site_url: https://docs.example.com/arrakis/\n")
    (tmp_path / "mkdocs.yml").write_text("INHERIT: base.yml\nsite_name: x\nextra:\n  key: !ENV [KEY, none]\n"
                                         "markdown_extensions:\n  - pymdownx.superfences:\n      custom_fences:\n"
                                         "        - format: !!python/name:pymdownx.superfences.fence_code_format\n")
    inherited = _runbook_urls(monitoring_outputs(model, tmp_path, RepoConfig()).files)
    assert inherited == {"https://docs.example.com/arrakis" + u for u in relative}
    # [tool.arrakis-docs] site_url wins over mkdocs.yml
    configured = _runbook_urls(monitoring_outputs(model, tmp_path, RepoConfig(site_url="https://portal.test")).files)
    assert configured == {"https://portal.test" + u for u in relative}
    # the generated promtool suite expects the annotations the rules carry, so it still passes
    if shutil.which("promtool"):
        files = monitoring_outputs(model, tmp_path, RepoConfig(site_url="https://portal.test")).files
        for path, text in files.items():
            if path.startswith("monitoring/prometheus/"):
                (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / path).write_text(text)
        result = run("promtool", "test", "rules", "shop.test.yml", cwd=tmp_path / "monitoring/prometheus/tests")
        assert result.returncode == 0, result.stdout + result.stderr
