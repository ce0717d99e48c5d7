"""The generated monitoring against the running platform: the Prometheus `make up` starts (Debian's `prometheus`,
generated scrape configuration and rules, 2 s intervals) scrapes every service; after some traffic every selector of
every rule and dashboard matches a series, every rule evaluates without error, and a frozen service's TargetDown
alert goes pending and reaches the portal's status data, then fires and reaches the Alertmanager `make up` runs,
routed to the owner team."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

from arrakis_common.testing import PLATFORM_SERVER, wait_until
from arrakis_docs.monitoring.dashboards import dashboard_queries
from arrakis_docs.monitoring.queries import identity_selector, selectors
from arrakis_docs.site_server import StatusPoller

pytestmark = [pytest.mark.real_server(PLATFORM_SERVER),
              pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian package prometheus missing")]

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "monitoring"


def rule_expressions() -> list[str]:
    """Every expression of every generated rule file."""
    found = []
    for path in sorted((MONITORING / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found += [rule["expr"] for rule in group["rules"]]
    return found


def dashboard_expressions() -> list[str]:
    """Every panel query of every generated dashboard."""
    return [e for path in sorted((MONITORING / "grafana").glob("*.json"))
            for e in dashboard_queries(json.loads(path.read_text()))]


def drive_traffic(platform) -> int:  # noqa: ANN001 - the platform fixture's run
    """One request to every documented operation of every service (no token: 401/404/422 answers count as
    traffic for their route), so every route's request counter exists."""
    sent = 0
    for service in platform.ports:
        with platform.client(service) as client:
            paths = client.get("/openapi.json").json()["paths"]
            for path, item in sorted(paths.items()):
                concrete = re.sub(r"\{[^}]+\}", "x", path)
                for method in sorted(m for m in item if m in ("get", "post", "put", "patch", "delete")):
                    client.request(method.upper(), concrete, json={} if method != "get" else None)
                    sent += 1
    return sent


def query(prometheus: str, expr: str) -> list[dict]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10)
    assert response.status_code == 200, f"{expr}: {response.text}"
    return response.json()["data"]["result"]


def matching(prometheus: str, batch: list[str]) -> set[str]:
    """The selectors of ``batch`` that match at least one series, asked in one query: each selector's count is
    tagged with its index, and only non-empty counts come back."""
    expr = " or ".join(f'label_replace(count({s}), "selector", "{i}", "", "")' for i, s in enumerate(batch))
    return {batch[int(r["metric"]["selector"])] for r in query(prometheus, expr)}


def service_pid(port: int) -> int:
    """The uvicorn process this platform run started on ``port`` (found by its own command line)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"uvicorn" in a for a in argv) and str(port).encode() in argv:
            return int(proc.name)
    raise LookupError(f"no uvicorn on port {port}")


def firing(prometheus: str, name: str) -> bool:
    """Whether Prometheus reports alert ``name`` firing (past its ``for``, so sent to Alertmanager)."""
    alerts = httpx.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return any(a["labels"]["alertname"] == name and a["state"] == "firing" for a in alerts)


def test_generated_rules_and_dashboards_have_no_dead_selector_on_the_running_platform(platform):
    prometheus = f"http://127.0.0.1:{platform.prometheus_port}"
    def ready() -> bool:
        try:
            return httpx.get(f"{prometheus}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    started = time.monotonic()
    wait_until(ready, timeout=60, interval=0.5)
    print(f"prometheus ready after {time.monotonic() - started:.1f}s")

    def all_up() -> bool:
        active = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        return len(active) == len(platform.ports) and all(t["health"] == "up" for t in active)

    wait_until(all_up, timeout=60)
    print(f"every target up after {time.monotonic() - started:.1f}s")
    assert drive_traffic(platform) > 50
    print(f"traffic sent after {time.monotonic() - started:.1f}s")
    expressions = rule_expressions() + dashboard_expressions()
    wanted = sorted({identity_selector(metric, matchers) for expr in expressions
                     for metric, matchers in selectors(expr)})
    assert len(wanted) > 100, wanted
    dead: list[str] = list(wanted)

    def none_dead() -> bool:  # rates need two scrapes and the recorded series one evaluation after them
        batches = [dead[i:i + 40] for i in range(0, len(dead), 40)]  # only the ones not found yet are asked again
        with ThreadPoolExecutor(max_workers=4) as pool:
            found = {s for batch in pool.map(lambda b: matching(prometheus, b), batches) for s in batch}
        dead[:] = [s for s in dead if s not in found]
        return not dead

    try:
        wait_until(none_dead, timeout=30, interval=1)
    except Exception:
        pytest.fail(f"{len(dead)} of {len(wanted)} selectors match no series: {dead[:20]}")
    print(f"no dead selector after {time.monotonic() - started:.1f}s")
    groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == len(rule_expressions())
    failing = [(r["name"], r.get("lastError")) for r in rules if r["health"] == "err"]
    assert not failing, failing
    unevaluated = [r["name"] for r in rules if r["health"] != "ok"]
    assert not unevaluated, unevaluated[:10]

    # A frozen service stops answering its scrape: its TargetDown alert goes pending, and the status data shows it.
    pid = service_pid(platform.ports["scheduler-service"])
    os.kill(pid, signal.SIGSTOP)
    started = time.monotonic()
    try:
        def target_down() -> bool:
            alerts = httpx.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
            return any(a["labels"]["alertname"] == "SchedulerServiceTargetDown" for a in alerts)

        wait_until(target_down, timeout=20, interval=0.5)

        async def portal_alerts() -> dict:
            async with httpx.AsyncClient() as client:
                return await StatusPoller({}, "http://127.0.0.1:1", client, prometheus=prometheus).alerts()

        shown = asyncio.run(portal_alerts())
        down = [a for a in shown["alerts"] if a["name"] == "SchedulerServiceTargetDown"]
        assert shown["ok"] and down, shown
        assert down[0]["state"] in ("pending", "firing")
        assert down[0]["runbook_url"] == "/runbooks/scheduler-service/scheduler-service-target-down/"
        assert (REPO / "docs" / "runbooks" / "scheduler-service" / "scheduler-service-target-down.md").is_file()

        # Held past its `for`, it fires, and Prometheus hands it to the Alertmanager `make up` runs, which routes it
        # to the owner team's page receiver.
        wait_until(lambda: firing(prometheus, "SchedulerServiceTargetDown"), timeout=150, interval=1)
        alertmanager = f"http://127.0.0.1:{platform.alertmanager_port}"

        def received() -> list[dict]:
            alerts = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=5,
                               params={"filter": 'alertname="SchedulerServiceTargetDown"'}).json()
            return [a for a in alerts if a["status"]["state"] == "active"]

        delivered = wait_until(received, timeout=30, interval=0.5)
        team = yaml.safe_load((REPO / "services" / "scheduler-service" / "service.yaml").read_text())["owner"]
        assert delivered[0]["labels"]["team"] == team
        assert [r["name"] for r in delivered[0]["receivers"]] == [f"{team}-{delivered[0]['labels']['severity']}"]
        print(f"alert in alertmanager {time.monotonic() - started:.1f}s after SIGSTOP")
    finally:
        os.kill(pid, signal.SIGCONT)
    started = time.monotonic()
    wait_until(all_up, timeout=30)
    print(f"scheduler-service scraped again {time.monotonic() - started:.1f}s after SIGCONT")
