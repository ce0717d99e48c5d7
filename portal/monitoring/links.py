"""Where a service's runbooks, dashboard, Dockerfile, CI runs and coverage live, for the catalog's ``links`` and the
service pages."""

from __future__ import annotations

from arrakis_docs.model.architecture import ArchitectureModel, Link, Service

RUNBOOK_INDEX = "docs/runbooks/{service}/index.md"
DASHBOARD_FILE = "monitoring/grafana/{service}.json"
GITHUB = "https://github.com/"


def is_monitored(model: ArchitectureModel, service: Service) -> bool:
    """Whether monitoring is generated for the service (its code defines metrics)."""
    return any(m.service == service.name for m in model.monitoring.metrics)


def source_links(model: ArchitectureModel, service: Service) -> list[Link]:
    """Runbooks and dashboard as files in the repository's source browser (absolute: the catalog's links), then the
    delivery links; none when the repository has no source URL."""
    repo = model.repo
    if not repo.source_url:
        return []
    blob = f"{repo.source_url}/blob/{repo.default_branch}"
    links = [Link("Runbooks", f"{blob}/{RUNBOOK_INDEX.format(service=service.name)}"),
             Link("Grafana dashboard (JSON)", f"{blob}/{DASHBOARD_FILE.format(service=service.name)}")
             ] if is_monitored(model, service) else []
    return links + delivery_links(model, service)


def delivery_links(model: ArchitectureModel, service: Service) -> list[Link]:
    """The service's Dockerfile in the source browser and, on GitHub, the runs of each workflow a change to the
    service starts, and where its coverage report is kept (the artifacts of the workflow that uploads one)."""
    repo = model.repo
    links = [Link("Dockerfile", f"{repo.source_url}/blob/{repo.default_branch}/{service.dockerfile}")
             ] if service.dockerfile else []
    if not repo.source_url.startswith(GITHUB):
        return links
    runs = [w for w in repo.workflows if w.runs_for(service.root)]
    for workflow in runs:
        links.append(Link(f"CI runs: {workflow.name}", f"{repo.source_url}/actions/workflows/"
                                                       f"{workflow.path.rsplit('/', 1)[-1]}"))
    for workflow in (w for w in runs if w.uploads_coverage):
        links.append(Link(f"Coverage report ({workflow.name} artifacts on {repo.default_branch})",
                          f"{repo.source_url}/actions/workflows/{workflow.path.rsplit('/', 1)[-1]}"
                          f"?query=branch%3A{repo.default_branch}"))
    return links
