"""Where a service's runbooks and dashboard live, for the catalog's ``links`` and the service pages."""

from __future__ import annotations

from arrakis_docs.model.architecture import ArchitectureModel, Link, Service

RUNBOOK_INDEX = "docs/runbooks/{service}/index.md"
DASHBOARD_FILE = "monitoring/grafana/{service}.json"


def is_monitored(model: ArchitectureModel, service: Service) -> bool:
    """Whether monitoring is generated for the service (its code defines metrics)."""
    return any(m.service == service.name for m in model.monitoring.metrics)


def source_links(model: ArchitectureModel, service: Service) -> list[Link]:
    """Runbooks and dashboard as files in the repository's source browser (absolute: the catalog's links); none
    when the repository has no source URL."""
    repo = model.repo
    if not repo.source_url or not is_monitored(model, service):
        return []
    blob = f"{repo.source_url}/blob/{repo.default_branch}"
    return [Link("Runbooks", f"{blob}/{RUNBOOK_INDEX.format(service=service.name)}"),
            Link("Grafana dashboard (JSON)", f"{blob}/{DASHBOARD_FILE.format(service=service.name)}")]
