"""Discovery and OpenAPI extraction on the fixture repositories, through the public scan entry point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arrakis_docs.extractors.config import load_config
from arrakis_docs.extractors.service_scan import ExtractOptions
from arrakis_docs.model.architecture import ArchitectureModel, Severity, SpecMode, from_jsonable
from arrakis_docs.progress import Progress
from arrakis_docs.scan import ScanRequest, scan

FIXTURES = Path(__file__).parent / "fixtures"


def scan_fixture(tmp_path: Path, name: str, static_only: bool = True) -> ArchitectureModel:
    repo = tmp_path / name
    if not repo.exists():
        shutil.copytree(FIXTURES / name, repo)
    config, problems = load_config(repo)
    options = ExtractOptions(static_only=static_only, streams=config.streams)
    return scan(ScanRequest(repo, config, options, config_diagnostics=problems, use_cache=False), Progress(False))


def operations(model: ArchitectureModel, service: str) -> dict[tuple[str, str], dict]:
    api = model.apis[[a.service for a in model.apis].index(service)]
    return {(m.upper(), p): op for p, item in api.document["paths"].items() for m, op in item.items()}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> ArchitectureModel:
    return scan_fixture(tmp_path_factory.mktemp("static"), "platform")


def test_discovers_factory_subclass_and_instance_apps_but_not_the_library(platform: ArchitectureModel) -> None:
    found = {s.name: (s.app.module, s.app.attribute, s.app.kind) for s in platform.services}
    assert found == {
        "users": ("users.app", "create_app", "factory"),
        "gateway": ("gateway.main", "app", "instance"),
        "broken": ("broken.app", "app", "instance"),
    }


def test_static_paths_follow_nested_prefixes_and_skip_hidden_and_docstring_routes(platform: ArchitectureModel) -> None:
    assert set(operations(platform, "users")) == {
        ("GET", "/health/live"),  # registered by the library factory the app is built with
        ("GET", "/v1/accounts"),
        ("POST", "/v1/accounts"),
        ("GET", "/v1/accounts/{account_id}"),
        ("DELETE", "/v1/accounts/admin/ops/{account_id}/sessions"),
        ("GET", "/v1/tokens"),
        ("POST", "/v1/tokens"),
    }


def test_static_operations_carry_ids_summaries_tags_and_parameters(platform: ArchitectureModel) -> None:
    ops = operations(platform, "users")
    listing = ops[("GET", "/v1/accounts")]
    assert listing["operationId"] == "list_accounts_v1_accounts_get"
    assert listing["summary"] == "List Accounts"
    assert listing["description"].startswith("List accounts.")
    assert listing["tags"] == ["accounts"]
    assert [(p["name"], p["in"], p["required"]) for p in listing["parameters"]] == [
        ("limit", "query", False), ("cursor", "query", False)]
    assert ops[("GET", "/v1/accounts/{account_id}")]["summary"] == "Get one account"
    assert ops[("GET", "/v1/accounts/{account_id}")]["parameters"][0]["schema"] == {"type": "integer"}
    assert ops[("DELETE", "/v1/accounts/admin/ops/{account_id}/sessions")]["tags"] == ["accounts", "admin"]
    assert "204" in ops[("DELETE", "/v1/accounts/admin/ops/{account_id}/sessions")]["responses"]
    assert "201" in ops[("POST", "/v1/accounts")]["responses"]
    assert "requestBody" in ops[("POST", "/v1/accounts")]
    assert ops[("GET", "/v1/tokens")]["tags"] == ["auth"]
    assert {ops[("GET", "/v1/tokens")]["operationId"], ops[("POST", "/v1/tokens")]["operationId"]} == {
        "tokens_get", "tokens_post"}
    assert set(operations(platform, "gateway")) == {("GET", "/ping"), ("PUT", "/proxy/{path}"),
                                                    ("PATCH", "/proxy/{path}")}
    assert all(a.mode == SpecMode.STATIC for a in platform.apis)


def test_syntax_error_is_a_diagnostic_and_the_other_services_are_still_extracted(platform: ArchitectureModel) -> None:
    errors = [str(d) for d in platform.diagnostics if d.severity == Severity.ERROR]
    assert errors == ["services/broken/broken/half_written.py:6: error: syntax error: '(' was never closed"]
    assert set(operations(platform, "broken")) == {("GET", "/ok")}
    assert len(platform.apis) == 3


def test_metadata_from_service_yaml_and_defaults_without_it(platform: ArchitectureModel) -> None:
    users, gateway = platform.service("users"), platform.service("gateway")
    assert users is not None and gateway is not None
    assert (users.owner, users.domain, users.metadata_source) == ("team-identity", "identity", "service.yaml")
    assert users.links[0].url == "https://example.com/runbooks/users"
    assert (gateway.owner, gateway.system, gateway.metadata_source) == ("unknown", "fixture", "defaults")
    assert gateway.version == "0.3.0"


def test_http_clients_and_library_settings_become_dependencies(platform: ArchitectureModel) -> None:
    gateway_edges = {(e.kind, e.target) for e in platform.edges if e.source == "service:gateway"}
    assert {("consumes-api", "api:users"), ("depends-on", "service:users"),
            ("depends-on", "datastore:gateway-db"), ("depends-on", "datastore:nats-fixture")} <= gateway_edges
    # users reads its own URL setting through the shared library: no self-dependency
    assert not [e for e in platform.edges if e.source == "service:users" and e.target == "service:users"]
    evidence = {str(r) for e in platform.edges if e.target == "service:users" for r in e.evidence}
    assert "services/gateway/gateway/clients.py:7" in evidence
    assert not [e for e in platform.edges if e.source == "service:broken" and e.kind == "depends-on"]


def test_model_json_is_canonical_and_round_trips(platform: ArchitectureModel) -> None:
    text = platform.to_json()
    again = from_jsonable(ArchitectureModel, __import__("json").loads(text))
    assert again.to_json() == text
    assert [s.id for s in again.services] == sorted(s.id for s in again.services)


def test_single_app_repository(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "single_app")
    assert [(s.name, s.root, s.app.module) for s in model.services] == [("single-app", "", "main")]
    op = operations(model, "single-app")[("GET", "/items/{item_id}")]
    assert op["operationId"] == "read_item_items__item_id__get"
    assert [p["name"] for p in op["parameters"]] == ["item_id", "q"]


def test_import_mode_agrees_with_static_mode(tmp_path: Path, platform: ArchitectureModel) -> None:
    imported = scan_fixture(tmp_path, "platform", static_only=False)
    assert {a.service: a.mode for a in imported.apis} == {"broken": "import", "gateway": "import", "users": "import"}
    for service in ("users", "gateway", "broken"):
        static_ops, import_ops = operations(platform, service), operations(imported, service)
        assert set(static_ops) == set(import_ops), service
        for key, op in import_ops.items():
            assert (op["operationId"], op.get("tags")) == (static_ops[key]["operationId"], static_ops[key].get("tags"))
            assert [p["name"] for p in op.get("parameters", [])] == [
                p["name"] for p in static_ops[key].get("parameters", [])]


def test_import_failure_falls_back_to_static_with_a_diagnostic(tmp_path: Path) -> None:
    repo = tmp_path / "platform"
    shutil.copytree(FIXTURES / "platform", repo)
    app = repo / "services/broken/broken/app.py"
    app.write_text(app.read_text() + "\nraise RuntimeError('half written')\n")
    model = scan_fixture(tmp_path, "platform", static_only=False)
    assert {a.service: a.mode for a in model.apis}["broken"] == "static"
    assert any(d.path == "services/broken/broken/app.py" and "half written" in d.message for d in model.diagnostics)
