"""Alertmanager configuration: alerts routed by the owning team (``team`` label, from service.yaml's ``owner``),
pages and tickets to separate receivers per team. Receivers are webhook stubs to be pointed at the team's paging
and ticketing integrations (the Terraform module replaces them with its SNS topic)."""

from __future__ import annotations

from typing import Any

from arrakis_docs.model.architecture import Service

ALERTMANAGER_DIR = "monitoring/alertmanager"
DEFAULT_RECEIVER = "default"


def alertmanager_config(services: list[Service]) -> dict[str, Any]:
    """The whole configuration: a route per team, split by severity below it."""
    teams = sorted({s.owner for s in services if s.owner})
    routes = []
    receivers: list[dict[str, Any]] = [{"name": DEFAULT_RECEIVER}]
    for team in teams:
        routes.append({"matchers": [f'team="{team}"'], "receiver": f"{team}-ticket",
                       "group_by": ["alertname", "service"],
                       "routes": [{"matchers": ['severity="page"'], "receiver": f"{team}-page",
                                   "group_wait": "30s", "repeat_interval": "1h"}]})
        for kind in ("page", "ticket"):
            receivers.append({"name": f"{team}-{kind}", "webhook_configs": [{
                "url": f"http://alert-receiver.invalid/{team}/{kind}", "send_resolved": True}]})
    return {"route": {"receiver": DEFAULT_RECEIVER, "group_by": ["alertname", "service"], "group_wait": "30s",
                      "group_interval": "5m", "repeat_interval": "4h", "routes": routes},
            "inhibit_rules": [{"source_matchers": ['severity="page"'], "target_matchers": ['severity="ticket"'],
                               "equal": ["alertname", "service"]}],
            "receivers": receivers}
