"""The alerts of every service, as plain objects: multi-window multi-burn-rate alerts per objective and the platform
alerts the service's metrics allow (target down, not ready, outbox backlog, consumer lag, webhook dead letters,
audit chain). Rules, promtool tests, Alertmanager routes and runbooks are all printed from these.

Burn rates and windows are those of the Google SRE workbook for a 30-day budget: page when 2% of the budget burns
in an hour (14.4x over 1h and 5m) or 5% in six hours (6x over 6h and 30m); ticket when 10% burns in a day (3x over
1d and 2h) or in three days (1x over 3d and 6h). An alert rule is only made from metrics the service's code defines,
so no rule selects series that can never exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from arrakis_docs.model.architecture import ArchitectureModel, Service
from arrakis_docs.model.monitoring import Objective
from arrakis_docs.monitoring import queries as q

# (severity, for, [(burn factor, long window, short window), ...])
BURN_RATES = (
    ("page", "2m", ((14.4, "1h", "5m"), (6.0, "6h", "30m"))),
    ("ticket", "15m", ((3.0, "1d", "2h"), (1.0, "3d", "6h"))),
)
CONSUMER_LAG_EVENTS = 1000  # past this backlog for 10 minutes a consumer is stuck, whatever its objective says
RUNBOOKS_DIR = "runbooks"  # under the portal's docs/


@dataclass
class AlertRule:
    """One Prometheus alerting rule."""

    expr: str
    severity: str
    for_: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Alert:
    """An alert name with its rules (an objective's page and ticket rules share the name) and what its runbook says."""

    name: str
    service: str
    team: str
    summary: str
    description: str
    rules: list[AlertRule]
    kind: str  # slo | platform
    objective: Objective | None = None
    queries: list[tuple[str, str]] = field(default_factory=list)  # (what it shows, PromQL) for the runbook
    metrics: list[str] = field(default_factory=list)  # metric families the alert reads

    @property
    def runbook_path(self) -> str:
        """The runbook page, relative to the portal's docs folder."""
        return f"{RUNBOOKS_DIR}/{self.service}/{slug(self.name)}.md"

    @property
    def runbook_url(self) -> str:
        """The runbook on the portal's own origin (the built page of ``runbook_path``)."""
        return f"/{RUNBOOKS_DIR}/{self.service}/{slug(self.name)}/"

    def runbook_link(self, site_url: str = "") -> str:
        """The ``runbook_url`` annotation: absolute under the portal's ``site_url`` when it is known (a pager or a
        chat message is not on the portal's origin), portal-relative otherwise."""
        return site_url.rstrip("/") + self.runbook_url if site_url else self.runbook_url


def camel(*parts: str) -> str:
    """``audit-service``, ``audit-availability`` -> ``AuditServiceAuditAvailability``."""
    return "".join(word[:1].upper() + word[1:] for part in parts for word in re.split(r"[^A-Za-z0-9]+", part) if word)


def slug(name: str) -> str:
    """``AuditServiceTargetDown`` -> ``audit-service-target-down``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def objective_alert(service: Service, objective: Objective) -> Alert:
    """The burn-rate alert of one objective: a page rule and a ticket rule."""
    budget = q.budget(objective)
    rules = []
    for severity, hold, pairs in BURN_RATES:
        terms = [f"({q.recorded(objective, long)} > {q.number(factor * budget)}\n"
                 f"and\n{q.recorded(objective, short)} > {q.number(factor * budget)})"
                 for factor, long, short in pairs]
        rules.append(AlertRule(expr="\nor\n".join(terms), severity=severity, for_=hold))
    what = {"availability": "5xx answers", "latency": f"requests slower than {objective.threshold:g} s",
            "freshness": f"time consumer {objective.consumer} lags more than {objective.threshold:g} events"}
    queries = [("error ratio over the last hour (page window)", q.recorded(objective, "1h")),
               ("error ratio over the 30-day window", q.recorded(objective, "30d"))]
    if objective.sli == "freshness":
        queries.append(("the consumer's backlog", q.selector(q.CONSUMER_PENDING, job=objective.service,
                                                             consumer=objective.consumer)))
        metrics = [q.CONSUMER_PENDING]
    else:
        queries.append(("bad requests per second", q.error_query(objective, "5m")))
        queries.append(("requests per second by route", f"sum by (route) (rate({q.total_selector(objective)}[5m]))"))
        metrics = [q.REQUESTS, q.REQUEST_DURATION] if objective.sli == "availability" else [q.REQUEST_DURATION]
    return Alert(name=camel(service.name, objective.name, "budget-burn"), service=service.name, team=service.owner,
                 kind="slo", objective=objective, rules=rules, queries=queries, metrics=metrics,
                 summary=f"{service.name} burns the error budget of {objective.name} too fast",
                 description=f"Objective {objective.name} ({objective.target:g}% over {objective.window}): "
                             f"{what[objective.sli]} are eating the error budget faster than it allows.")


def platform_alerts(model: ArchitectureModel, service: Service) -> list[Alert]:
    """The platform alerts of one service, each only when the service's code defines the metric it reads."""
    name, team = service.name, service.owner
    has = {m.name for m in model.monitoring.metrics_of(name)}
    job = q.selector("up", job=name)
    alerts = [Alert(
        name=camel(name, "target-down"), service=name, team=team, kind="platform", metrics=["up"],
        summary=f"Prometheus cannot scrape {name}",
        description=f"{name}'s /metrics has not answered for a minute: the process is down, hanging or unreachable.",
        rules=[AlertRule(expr=f"{job} == 0", severity="page", for_="1m")],
        queries=[("scrape success per instance", job),
                 ("scrape duration", q.selector("scrape_duration_seconds", job=name))])]
    if q.READY in has:
        ready = q.selector(q.READY, job=name)
        alerts.append(Alert(
            name=camel(name, "not-ready"), service=name, team=team, kind="platform", metrics=[q.READY],
            summary=f"{name} reports a failing readiness check",
            description=f"A readiness check of {name} (database or NATS) has failed for two minutes. Without "
                        "its database /health/ready answers 503 and it cannot do its work; without NATS it is "
                        "degraded: it still takes writes, and their events wait in its outbox.",
            rules=[AlertRule(expr=f"min by (check, instance) ({ready}) == 0", severity="page", for_="2m")],
            queries=[("each readiness check (1 = passing)", ready)]))
    if q.OUTBOX_PENDING in has:
        pending = q.selector(q.OUTBOX_PENDING, job=name)
        alerts.append(Alert(
            name=camel(name, "outbox-backlog-growing"), service=name, team=team, kind="platform",
            metrics=[q.OUTBOX_PENDING],
            summary=f"{name}'s outbox backlog keeps growing",
            description=f"Events committed by {name} are not reaching NATS: its outbox has held unsent events, "
                        "more and more of them, for ten minutes.",
            rules=[AlertRule(expr=f"{pending} > 0\nand\nderiv({pending}[10m]) > 0", severity="ticket", for_="10m")],
            queries=[("events waiting in the outbox", pending),
                     ("events published per second", f"rate({q.selector(q.EVENTS_PUBLISHED, job=name)}[5m])")]))
    consumers = sorted({u.durable for u in model.events.usages if u.service == name and u.durable
                        and u.action == "receive"})
    if q.CONSUMER_PENDING in has and consumers:
        lag = q.selector(q.CONSUMER_PENDING, job=name)
        alerts.append(Alert(
            name=camel(name, "consumer-lag"), service=name, team=team, kind="platform", metrics=[q.CONSUMER_PENDING],
            summary=f"A durable consumer of {name} is falling behind",
            description=f"A consumer of {name} ({', '.join(consumers)}) has more than {CONSUMER_LAG_EVENTS} events "
                        "waiting in the stream for ten minutes.",
            rules=[AlertRule(expr=f"max by (consumer) ({lag}) > {CONSUMER_LAG_EVENTS}", severity="ticket",
                             for_="10m")],
            queries=[("events waiting per consumer", lag),
                     ("events handled per second", f"rate({q.selector(q.EVENTS_CONSUMED, job=name)}[5m])")]))
    if q.WEBHOOK_DEAD_LETTERS in has:
        dead = q.selector(q.WEBHOOK_DEAD_LETTERS, job=name)
        alerts.append(Alert(
            name=camel(name, "webhook-dead-letters"), service=name, team=team, kind="platform",
            metrics=[q.WEBHOOK_DEAD_LETTERS],
            summary=f"{name} holds dead-lettered webhook deliveries",
            description="Webhook deliveries exhausted their retries and wait in the dead-letter list for a replay.",
            rules=[AlertRule(expr=f"{dead} > 0", severity="ticket", for_="5m")],
            queries=[("deliveries in the dead-letter list", dead)]))
    if q.AUDIT_CHAIN_OK in has:
        chain = q.selector(q.AUDIT_CHAIN_OK, job=name)
        alerts.append(Alert(
            name=camel(name, "chain-verification-failing"), service=name, team=team, kind="platform",
            metrics=[q.AUDIT_CHAIN_OK],
            summary=f"{name}: the audit hash chain does not verify",
            description="The last scheduled verification of the audit log's hash chain failed: an entry is missing "
                        "or was altered, or the verification could not run.",
            rules=[AlertRule(expr=f"{chain} == 0", severity="page", for_="0m")],
            queries=[("last verification verdict (1 = intact)", chain)]))
    return alerts


def service_alerts(model: ArchitectureModel, service: Service) -> list[Alert]:
    """Every alert of one service: its objectives' burn-rate alerts, then its platform alerts."""
    return [*(objective_alert(service, o) for o in model.monitoring.objectives_of(service.name)),
            *platform_alerts(model, service)]


def monitored_services(model: ArchitectureModel) -> list[Service]:
    """Services whose code defines at least one metric (the others cannot be scraped)."""
    names = {m.service for m in model.monitoring.metrics}
    return [s for s in model.services if s.name in names]
