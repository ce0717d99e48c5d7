"""Prometheus rule files per service (SLI recording rules and alerts), the operator's PrometheusRule manifest, and a
``promtool test rules`` suite proving each alert fires on series that break it and stays silent on series that meet
it."""

from __future__ import annotations

import math
from typing import Any

from arrakis_docs.model.architecture import ArchitectureModel, Service
from arrakis_docs.model.monitoring import Objective
from arrakis_docs.monitoring import queries as q
from arrakis_docs.monitoring.alerts import BURN_RATES, CONSUMER_LAG_EVENTS, Alert, service_alerts

RULES_DIR = "monitoring/prometheus/rules"
TESTS_DIR = "monitoring/prometheus/tests"
# promtool test: one sample a minute; the bad case runs long enough for the ticket rules (for 15m) to fire.
TEST_INTERVAL = "1m"
TEST_MINUTES = 40
TEST_EVAL = "30m"
REQUESTS_PER_MINUTE = 10_000


def recording_rules(objective: Objective) -> list[dict[str, Any]]:
    """The objective's error ratio over every window: short windows from the raw series, long ones averaged from the
    5m series, plus its target as a series (what SLO panels and budget queries divide by)."""
    labels = q.objective_labels(objective)
    rules: list[dict[str, Any]] = []
    if objective.sli == "freshness":
        rules.append({"record": q.INSTANT_ERROR, "expr": q.lagging_query(objective), "labels": labels})
    for window in q.SHORT_WINDOWS:
        rules.append({"record": q.ERROR_RATIO.format(window=window), "expr": q.error_ratio_query(objective, window),
                      "labels": labels})
    for window in q.LONG_WINDOWS:
        rules.append({"record": q.ERROR_RATIO.format(window=window),
                      "expr": f"avg_over_time({q.recorded(objective, '5m')}[{window}])", "labels": labels})
    rules.append({"record": q.OBJECTIVE_RATIO, "expr": f"vector({q.number(objective.target / 100)})",
                  "labels": labels})
    return rules


def alert_rules(alert: Alert, site_url: str = "") -> list[dict[str, Any]]:
    """The alerting rules of one alert (an objective's page and ticket rules share its name)."""
    rules = []
    for rule in alert.rules:
        labels = {"severity": rule.severity, "service": alert.service, "team": alert.team, **rule.labels}
        if alert.objective is not None:
            labels.update(q.objective_labels(alert.objective))
        rules.append({"alert": alert.name, "expr": rule.expr, "for": rule.for_, "labels": labels,
                      "annotations": annotations(alert, site_url)})
    return rules


def annotations(alert: Alert, site_url: str = "") -> dict[str, str]:
    """What every firing alert carries: a summary, what it means, and where its runbook is (under ``site_url``)."""
    return {"summary": alert.summary, "description": alert.description, "runbook_url": alert.runbook_link(site_url)}


def service_groups(model: ArchitectureModel, service: Service, site_url: str = "") -> list[dict[str, Any]]:
    """The rule groups of one service (no ``interval``: the server's evaluation interval applies)."""
    alerts = service_alerts(model, service)
    groups = []
    objectives = model.monitoring.objectives_of(service.name)
    if objectives:
        groups.append({"name": f"{service.name}-slo-recording",
                       "rules": [r for o in objectives for r in recording_rules(o)]})
        groups.append({"name": f"{service.name}-slo-alerts",
                       "rules": [r for a in alerts if a.kind == "slo" for r in alert_rules(a, site_url)]})
    groups.append({"name": f"{service.name}-platform-alerts",
                   "rules": [r for a in alerts if a.kind == "platform" for r in alert_rules(a, site_url)]})
    return groups


def prometheus_rule(model: ArchitectureModel, services: list[Service], site_url: str = "") -> dict[str, Any]:
    """One PrometheusRule (prometheus-operator) holding every service's groups."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "arrakis-slos", "labels": {"app.kubernetes.io/part-of": "arrakis",
                                                             "app.kubernetes.io/managed-by": "arrakis-docs"}},
            "spec": {"groups": [g for s in services for g in service_groups(model, s, site_url)]}}


# ------------------------------------------------------------------ promtool tests


def _series(metric: str, labels: dict[str, str], values: str) -> dict[str, str]:
    return {"series": q.selector(metric, **labels), "values": values}


def _counter(per_minute: float) -> str:
    return f"0+{q.number(per_minute)}x{TEST_MINUTES}"


def _objective_series(objective: Objective, broken: bool) -> list[dict[str, str]]:
    """Raw series that break (``broken``) or meet the objective: every request bad, or bad at half the budget."""
    if objective.sli == "freshness":
        labels = {"job": objective.service, "consumer": objective.consumer, "instance": "test"}
        pending = objective.threshold + 1 if broken else 0  # just over: below the platform lag alert's level
        return [_series(q.CONSUMER_PENDING, labels, f"{q.number(pending)}x{TEST_MINUTES}")]
    route = objective.routes[0]
    base = {"job": objective.service, "route": route, "method": "GET", "instance": "test"}
    total = REQUESTS_PER_MINUTE
    bad = total if broken else math.floor(total * q.budget(objective) / 2)
    series = [_series(f"{q.REQUEST_DURATION}_count", base, _counter(total))]
    if objective.sli == "availability":
        series.append(_series(q.REQUESTS, {**base, "status": "500"}, _counter(bad)))
        series.append(_series(q.REQUESTS, {**base, "status": "200"}, _counter(total - bad)))
    else:
        series.append(_series(f"{q.REQUEST_DURATION}_bucket", {**base, "le": q.le_value(objective.threshold)},
                              _counter(total - bad)))
    return series


def _expected(alert: Alert, severities: list[str], site_url: str) -> list[dict[str, Any]]:
    found = []
    for rule in alert.rules:
        if rule.severity not in severities:
            continue
        labels = {"severity": rule.severity, "service": alert.service, "team": alert.team}
        if alert.objective is not None:
            labels.update(q.objective_labels(alert.objective))
        found.append({"exp_labels": labels, "exp_annotations": annotations(alert, site_url)})
    return found


def _platform_series(alert: Alert, broken: bool) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Raw series that break or meet a platform alert, and the labels the broken case's alert carries beyond the
    alert's own."""
    job = {"job": alert.service, "instance": "test"}
    minutes = TEST_MINUTES
    metric = alert.metrics[0]
    if metric == "up":
        return [_series("up", job, f"{0 if broken else 1}x{minutes}")], {"instance": "test", "job": alert.service}
    if metric == q.READY:
        return ([_series(q.READY, {**job, "check": "database"}, f"{0 if broken else 1}x{minutes}"),
                 _series(q.READY, {**job, "check": "nats"}, f"1x{minutes}")],
                {"check": "database", "instance": "test"})
    if metric == q.OUTBOX_PENDING:
        return [_series(q.OUTBOX_PENDING, job, f"0+5x{minutes}" if broken else f"0x{minutes}")], {
            "instance": "test", "job": alert.service}
    if metric == q.CONSUMER_PENDING:
        level = CONSUMER_LAG_EVENTS * 2 if broken else CONSUMER_LAG_EVENTS // 2
        return [_series(q.CONSUMER_PENDING, {**job, "consumer": "test-consumer"}, f"{level}x{minutes}")], {
            "consumer": "test-consumer"}
    if metric == q.WEBHOOK_DEAD_LETTERS:
        return [_series(metric, job, f"{3 if broken else 0}x{minutes}")], {"instance": "test", "job": alert.service}
    if metric == q.AUDIT_CHAIN_OK:
        return [_series(metric, job, f"{0 if broken else 1}x{minutes}")], {"instance": "test", "job": alert.service}
    raise ValueError(f"no synthetic series for {metric}")


def service_tests(model: ArchitectureModel, service: Service, site_url: str = "") -> dict[str, Any]:
    """The ``promtool test rules`` file of one service: one case where every alert's series break it (each alert
    must fire, with its labels and annotations) and one where every series meets it (no alert may fire). Each
    alert reads its own series (its routes, its consumer), so the cases do not mix; two cases instead of two per
    alert keep the suite fast (every case evaluates every rule of the file at every step)."""
    tests = []
    alerts = service_alerts(model, service)
    for broken in (True, False):
        series: dict[str, str] = {}
        checks = []
        for alert in alerts:
            if alert.objective is not None:
                found, extra = _objective_series(alert.objective, broken), {}
                expected = _expected(alert, [s for s, _, _ in BURN_RATES], site_url) if broken else []
            else:
                found, extra = _platform_series(alert, broken)
                expected = _expected(alert, [r.severity for r in alert.rules], site_url) if broken else []
                for item in expected:
                    item["exp_labels"].update(extra)
                if broken and alert.metrics == [q.CONSUMER_PENDING]:  # a broken freshness series may be past it
                    expected += [{"exp_labels": {**expected[0]["exp_labels"], "consumer": o.consumer},
                                  "exp_annotations": expected[0]["exp_annotations"]}
                                 for o in model.monitoring.objectives_of(service.name)
                                 if o.sli == "freshness" and o.threshold + 1 > CONSUMER_LAG_EVENTS]
            for item in found:
                if series.setdefault(item["series"], item["values"]) != item["values"]:
                    raise ValueError(f"{alert.name}: synthetic series {item['series']} given two histories")
            checks.append({"eval_time": TEST_EVAL, "alertname": alert.name, "exp_alerts": expected})
        tests.append({"name": "every alert fires on series that break it" if broken
                      else "every alert stays silent on series that meet it",
                      "interval": TEST_INTERVAL,
                      "input_series": [{"series": k, "values": v} for k, v in sorted(series.items())],
                      "alert_rule_test": checks})
    return {"rule_files": [f"../rules/{service.name}.yml"], "evaluation_interval": TEST_INTERVAL, "tests": tests}
