"""arrakis-docs on this repository's own platform (static mode: fast, and nothing is executed)."""

from __future__ import annotations

from pathlib import Path

from arrakis_docs.extractors.config import load_config
from arrakis_docs.extractors.service_scan import ExtractOptions
from arrakis_docs.progress import Progress
from arrakis_docs.scan import ScanRequest, scan

REPO = Path(__file__).resolve().parent.parent


def test_platform_services_and_their_dependency_on_user_service() -> None:
    config, _ = load_config(REPO)
    model = scan(ScanRequest(REPO, config, ExtractOptions(static_only=True), use_cache=False), Progress(False))
    names = {s.name for s in model.services}
    assert "user-service" in names and len(names) >= 2
    assert not [s for s in model.services if s.root == "services/common"]  # the shared library is no service
    for service in model.services:
        assert service.root == f"services/{service.name}"
        assert service.app.kind == "factory" and service.app.attribute == "create_app"
        targets = {e.target for e in model.edges_from(service.id, "depends-on")}
        if service.name != "user-service":
            assert "service:user-service" in targets, service.name
        assert f"datastore:{service.name}-db" in targets
        api = model.api_of(service)
        assert api is not None and "/health/live" in api.document["paths"]
