"""Grafana dashboards built with grafana-foundation-sdk: one per service (RED per route group, event publish and
consume rates, consumer lag, outbox backlog, SLO burn) and one platform overview. The Prometheus datasource is a
dashboard variable, so the JSON imports into any Grafana."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from arrakis_docs.model.architecture import ArchitectureModel, Service
from arrakis_docs.monitoring import queries as q
from arrakis_docs.monitoring.alerts import monitored_services

GRAFANA_DIR = "monitoring/grafana"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")


def dashboard_uid(name: str) -> str:
    """Grafana uids are at most 40 characters."""
    return f"arrakis-{name}"[:40]


def _query(expr: str, legend: str, ref: str) -> Dataquery:
    return Dataquery().expr(expr).legend_format(legend).ref_id(ref)


def _timeseries(title: str, unit: str, targets: list[tuple[str, str]]) -> Timeseries:
    panel = Timeseries().title(title).unit(unit).datasource(DATASOURCE)
    for index, (expr, legend) in enumerate(targets):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + index)))
    return panel


def _stat(title: str, unit: str, expr: str, legend: str) -> Stat:
    return Stat().title(title).unit(unit).datasource(DATASOURCE).with_target(_query(expr, legend, "A"))


def _base(title: str, uid: str, tags: list[str]) -> Dashboard:
    return (Dashboard(title).uid(uid).tags(tags).refresh("30s").time("now-1h", "now").timezone("browser")
            .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus")))


def panel_queries(model: ArchitectureModel, service: Service) -> list[tuple[str, str, str, str]]:
    """(row, title, unit, PromQL) of every panel target on the service's dashboard, in order."""
    name = service.name
    job = {"job": name}
    found: list[tuple[str, str, str, str]] = []
    groups: dict[str, set[str]] = {}
    for objective in model.monitoring.objectives_of(name):  # an objective's group: its routes' first segment
        if objective.routes:
            groups.setdefault(objective.group, set()).update(objective.routes)
    for group, routes in sorted(groups.items()):
        members = sorted(routes)
        matcher = "~" + q.routes_regex(members)
        total = q.selector(f"{q.REQUEST_DURATION}_count", route=matcher, **job)
        requests = q.selector(q.REQUESTS, route=matcher, **job)
        errors = q.selector(q.REQUESTS, route=matcher, status="~5..", **job)
        buckets = q.selector(f"{q.REQUEST_DURATION}_bucket", route=matcher, **job)
        row = f"Routes /{group}" if group != "root" else "Routes /"
        found += [(row, "Requests per second by route and status", "reqps",
                   f"sum by (route, status) (rate({requests}[$__rate_interval]))"),
                  (row, "Errors (5xx) share", "percentunit",
                   f"(sum(rate({errors}[$__rate_interval])) or vector(0)) / sum(rate({total}[$__rate_interval]))"),
                  (row, "Duration p50 / p99", "s",
                   f"histogram_quantile(0.5, sum by (le) (rate({buckets}[$__rate_interval])))"),
                  (row, "Duration p50 / p99", "s",
                   f"histogram_quantile(0.99, sum by (le) (rate({buckets}[$__rate_interval])))")]
    found += [("Events", "Events published and handled per second", "ops",  # gauges counting up since start
               f"rate({q.selector(q.EVENTS_PUBLISHED, **job)}[$__rate_interval])"),
              ("Events", "Events published and handled per second", "ops",
               f"rate({q.selector(q.EVENTS_CONSUMED, **job)}[$__rate_interval])"),
              ("Events", "Outbox backlog", "short", q.selector(q.OUTBOX_PENDING, **job))]
    if any(o.sli == "freshness" for o in model.monitoring.objectives_of(name)):
        found.append(("Events", "Consumer lag (events waiting)", "short",
                      f"max by (consumer) ({q.selector(q.CONSUMER_PENDING, **job)})"))
    for objective in model.monitoring.objectives_of(name):
        found += [("Objectives", f"{objective.name}: burn rate (1h, 6h)", "short",
                   f"{q.recorded(objective, '1h')} / {q.number(q.budget(objective))}"),
                  ("Objectives", f"{objective.name}: burn rate (1h, 6h)", "short",
                   f"{q.recorded(objective, '6h')} / {q.number(q.budget(objective))}"),
                  ("Objectives", f"{objective.name}: budget left (30d)", "percentunit",
                   f"1 - {q.recorded(objective, '30d')} / {q.number(q.budget(objective))}")]
    return found


def _legend(expr: str) -> str:
    if expr.startswith("sum by (route, status)"):
        return "{{route}} {{status}}"
    if expr.startswith("max by (consumer)"):
        return "{{consumer}}"
    if expr.startswith("histogram_quantile(0.5"):
        return "p50"
    if expr.startswith("histogram_quantile(0.99"):
        return "p99"
    if "_6h" in expr or "rate6h" in expr:
        return "6h"
    if "rate1h" in expr:
        return "1h"
    return "{{instance}}"


def service_dashboard(model: ArchitectureModel, service: Service) -> dict[str, Any]:
    """The service's dashboard as Grafana JSON."""
    board = _base(f"Arrakis / {service.name}", dashboard_uid(service.name), ["arrakis", service.owner, service.name])
    panels: dict[tuple[str, str], tuple[str, list[tuple[str, str]]]] = {}
    rows: list[str] = []
    for row, title, unit, expr in panel_queries(model, service):
        if row not in rows:
            rows.append(row)
        panels.setdefault((row, title), (unit, []))[1].append((expr, _legend(expr)))
    board = board.with_row(Row("Health")).with_panel(
        _stat("Up", "short", q.selector("up", job=service.name), "{{instance}}"))
    for row in rows:
        board = board.with_row(Row(row))
        for (panel_row, title), (unit, targets) in panels.items():
            if panel_row == row:
                board = board.with_panel(_timeseries(title, unit, targets))
    return _plain(board.build())


def overview_dashboard(model: ArchitectureModel) -> dict[str, Any]:
    """The platform overview: every service's scrape health, traffic, errors, backlog and objectives."""
    names = [s.name for s in monitored_services(model)]
    jobs = "~" + "|".join(names)
    board = _base("Arrakis / Platform overview", dashboard_uid("overview"), ["arrakis", "overview"])
    board = (board.with_row(Row("Services"))
             .with_panel(_timeseries("Targets up", "short", [(f"sum by (job) ({q.selector('up', job=jobs)})",
                                                              "{{job}}")]))
             .with_panel(_timeseries("Requests per second", "reqps", [(
                 f"sum by (job) (rate({q.selector(q.REQUESTS, job=jobs)}[$__rate_interval]))", "{{job}}")]))
             .with_panel(_timeseries("5xx per second", "reqps", [(
                 f"sum by (job) (rate({q.selector(q.REQUESTS, job=jobs, status='~5..')}[$__rate_interval]))",
                 "{{job}}")]))
             .with_panel(_timeseries("Outbox backlog", "short", [(
                 f"sum by (job) ({q.selector(q.OUTBOX_PENDING, job=jobs)})", "{{job}}")]))
             .with_panel(_timeseries("Consumer lag", "short", [(
                 f"max by (job, consumer) ({q.selector(q.CONSUMER_PENDING, job=jobs)})", "{{job}} {{consumer}}")]))
             .with_row(Row("Objectives"))
             .with_panel(_timeseries("Error budget left (30d)", "percentunit", [(
                 f"1 - {q.selector(q.ERROR_RATIO.format(window='30d'), service=jobs)} / on (service, slo, sli) "
                 f"(1 - {q.selector(q.OBJECTIVE_RATIO, service=jobs)})",
                 "{{service}} {{slo}}")]))
             .with_panel(_timeseries("Burn rate (1h)", "short", [(
                 f"{q.selector(q.ERROR_RATIO.format(window='1h'), service=jobs)} / on (service, slo, sli) "
                 f"(1 - {q.selector(q.OBJECTIVE_RATIO, service=jobs)})",
                 "{{service}} {{slo}}")])))
    return _plain(board.build())


def dashboard_queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard's panels (``$__rate_interval`` as 5m), for checks."""
    found = []
    for panel in dashboard.get("panels") or []:
        for target in panel.get("targets") or []:
            if target.get("expr"):
                found.append(str(target["expr"]).replace("$__rate_interval", "5m"))
    return found


def _plain(built: Any) -> dict[str, Any]:
    """The SDK's objects as plain JSON data (its encoder decides the field names Grafana expects)."""
    return json.loads(json.dumps(built, cls=JSONEncoder, sort_keys=True))
