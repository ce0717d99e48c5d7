"""The objectives as documents other tools read: Sloth's ``prometheus/v1`` spec and OpenSLO v1 (Service, SLO and
AlertPolicy kinds), one file per service each. They restate what the generated rules implement; Sloth's
``{{.window}}`` placeholder stands where each window goes."""

from __future__ import annotations

from typing import Any

from arrakis_docs.model.architecture import Service
from arrakis_docs.model.monitoring import Objective
from arrakis_docs.monitoring import queries as q
from arrakis_docs.monitoring.alerts import BURN_RATES, Alert, objective_alert

SLOTH_DIR = "monitoring/slo/sloth"
OPENSLO_DIR = "monitoring/slo/openslo"
WINDOW = "{{.window}}"


def sloth_spec(service: Service, objectives: list[Objective], site_url: str = "") -> dict[str, Any]:
    """Sloth ``prometheus/v1``: one spec per service, its objectives as ``slos``."""
    slos = []
    for objective in objectives:
        alert = objective_alert(service, objective)
        if objective.sli == "freshness":
            sli: dict[str, Any] = {"raw": {"error_ratio_query": q.error_ratio_query(objective, WINDOW)}}
        else:
            sli = {"events": {"error_query": q.error_query(objective, WINDOW),
                              "total_query": q.total_query(objective, WINDOW)}}
        slos.append({"name": objective.name, "objective": objective.target, "description": objective.description,
                     "sli": sli, "labels": {"sli": objective.sli},
                     "alerting": {"name": alert.name, "labels": {"team": service.owner},
                                  "annotations": {"runbook_url": alert.runbook_link(site_url),
                                                  "summary": alert.summary},
                                  "page_alert": {"labels": {"severity": "page"}},
                                  "ticket_alert": {"labels": {"severity": "ticket"}}}})
    return {"version": "prometheus/v1", "service": service.name, "labels": {"team": service.owner}, "slos": slos}


def _metadata(name: str, display: str, service: Service) -> dict[str, Any]:
    return {"name": name, "displayName": display, "labels": {"team": [service.owner]}}


def _indicator(objective: Objective) -> dict[str, Any]:
    window = "5m"
    if objective.sli == "freshness":
        return {"metadata": {"name": f"{objective.name}-sli"},
                "spec": {"thresholdMetric": {"metricSource": {"type": "Prometheus", "spec": {
                    "query": q.selector(q.CONSUMER_PENDING, job=objective.service, consumer=objective.consumer)}}}}}
    return {"metadata": {"name": f"{objective.name}-sli"},
            "spec": {"ratioMetric": {"counter": True,
                                     "good": {"metricSource": {"type": "Prometheus",
                                                               "spec": {"query": q.good_query(objective, window)}}},
                                     "total": {"metricSource": {"type": "Prometheus",
                                                                "spec": {"query": q.total_query(objective, window)}}}}}}


def _alert_policy(alert: Alert, severity: str, factor: float, long: str, short: str) -> dict[str, Any]:
    return {"kind": "AlertPolicy", "metadata": {"name": f"{alert.name}-{severity}-{long}".lower()},
            "spec": {"alertWhen": "anyConditionMet", "description": alert.summary, "notificationTargets": [],
                     "conditions": [{"kind": "AlertCondition", "metadata": {"name": f"burn-{long}-{short}"},
                                     "spec": {"severity": severity, "condition": {
                                         "kind": "burnrate", "op": "gte", "threshold": factor,
                                         "lookbackWindow": long, "alertAfter": short}}}]}}


def openslo_documents(service: Service, objectives: list[Objective]) -> list[dict[str, Any]]:
    """OpenSLO v1: the Service, then each objective's SLO with its indicator inline and its burn-rate alert
    policies inline."""
    docs: list[dict[str, Any]] = [{"apiVersion": "openslo/v1", "kind": "Service",
                                   "metadata": _metadata(service.name, service.name, service),
                                   "spec": {"description": service.description}}]
    for objective in objectives:
        alert = objective_alert(service, objective)
        policies = [_alert_policy(alert, severity, factor, long, short)
                    for severity, _, pairs in BURN_RATES for factor, long, short in pairs]
        docs.append({"apiVersion": "openslo/v1", "kind": "SLO",
                     "metadata": _metadata(f"{service.name}-{objective.name}", objective.name, service),
                     "spec": {"description": objective.description, "service": service.name,
                              "indicator": _indicator(objective),
                              "timeWindow": [{"duration": objective.window, "isRolling": True}],
                              "budgetingMethod": "Timeslices" if objective.sli == "freshness" else "Occurrences",
                              "objectives": [{"displayName": objective.name, "target": round(objective.target / 100, 6),
                                              **({"op": "lte", "value": objective.threshold,
                                                  "timeSliceTarget": round(objective.target / 100, 6),
                                                  "timeSliceWindow": "1m"}
                                                 if objective.sli == "freshness" else {})}],
                              "alertPolicies": [{"kind": "AlertPolicy", "metadata": p["metadata"], "spec": p["spec"]}
                                                for p in policies]}})
    return docs
