"""Services and routes of repositories laid out the way other people lay them out (tests/fixtures/foreign_apps/):
monorepos on a shared app factory, `from app.x import y` under apps/<name>/, Docker-style `src.` imports, nested
packages, FastAPI subclasses, sub-app mounts, custom decorators, routers assembled across modules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arrakis_docs.extractors.config import load_config
from arrakis_docs.extractors.options import ExtractOptions
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.progress import Progress
from arrakis_docs.scan import ScanRequest, scan

FIXTURES = Path(__file__).parent / "fixtures" / "foreign_apps"


def scan_fixture(tmp_path: Path, name: str) -> ArchitectureModel:
    repo = tmp_path / name
    shutil.copytree(FIXTURES / name, repo)
    config, problems = load_config(repo)
    options = ExtractOptions(static_only=True, streams=config.streams)
    return scan(ScanRequest(repo, config, options, config_diagnostics=problems, use_cache=False), Progress(False))


def routes(model: ArchitectureModel, service: str) -> set[tuple[str, str]]:
    api = next(a for a in model.apis if a.service == service)
    return {(m.upper(), p) for p, item in api.document["paths"].items() for m in item}


def operation(model: ArchitectureModel, service: str, method: str, path: str) -> dict:
    api = next(a for a in model.apis if a.service == service)
    return api.document["paths"][path][method.lower()]


def messages(model: ArchitectureModel) -> list[str]:
    return [f"{d.path}:{d.line}: {d.message}" for d in model.diagnostics]


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> ArchitectureModel:
    return scan_fixture(tmp_path_factory.mktemp("foreign"), "monorepo")


@pytest.fixture(scope="module")
def big_app(tmp_path_factory: pytest.TempPathFactory) -> ArchitectureModel:
    return scan_fixture(tmp_path_factory.mktemp("foreign"), "big_app")


def test_each_app_of_a_shared_factory_is_its_own_service_named_by_manifest_or_factory_argument(
        monorepo: ArchitectureModel) -> None:
    found = {s.name: (s.root, s.app.module, s.app.import_root) for s in monorepo.services}
    assert found == {
        "orders": ("services/orders", "app.main", "services/orders"),  # create_app("orders")
        "billing": ("services/billing", "app.main", "services/billing"),  # create_app(name="billing")
        "shipping": ("services/shipping-svc", "app.main", "services/shipping-svc"),  # docker-compose key
    }


def test_routes_resolve_per_service_import_root_with_settings_prefix_and_factory_routes(
        monorepo: ArchitectureModel) -> None:
    assert routes(monorepo, "orders") == {
        ("GET", "/health"),  # registered inside the shared factory
        ("GET", "/api/v1/orders/"),  # prefix=settings.API_V1_STR (a BaseSettings default) + APIRouter(prefix=)
        ("POST", "/api/v1/orders/"),
        ("GET", "/api/v1/orders/{order_id}"),
    }
    assert routes(monorepo, "billing") == {("GET", "/health"), ("GET", "/invoices"),
                                           ("DELETE", "/invoices/{invoice_id}")}
    assert routes(monorepo, "shipping") == {("GET", "/health"), ("PUT", "/shipments/{shipment_id}")}


def test_dependency_aliases_are_never_bodies_and_gets_have_no_body(monorepo: ArchitectureModel) -> None:
    listing = operation(monorepo, "orders", "GET", "/api/v1/orders/")
    assert "requestBody" not in listing
    assert [p["name"] for p in listing["parameters"]] == ["limit"]
    one = operation(monorepo, "orders", "GET", "/api/v1/orders/{order_id}")  # Annotated[Session, Depends()]
    assert "requestBody" not in one and [p["name"] for p in one["parameters"]] == ["order_id"]
    assert "requestBody" in operation(monorepo, "orders", "POST", "/api/v1/orders/")


def test_factory_needing_arguments_that_nothing_calls_is_reported_and_markers_are_real_projects(
        monorepo: ArchitectureModel) -> None:
    assert any(m.startswith("libs/common/common/factory.py:16: app factory build_admin_app()")
               for m in messages(monorepo))
    # services/orders/app/setup.py (a module) and deploy/chart/templates/service.yaml (Helm) are not projects.
    assert all(not s.name.startswith(("app", "templates", "chart")) for s in monorepo.services)
    assert {s.coverage["routes"].resolved for s in monorepo.services} == {
        s.coverage["routes"].candidates for s in monorepo.services}


def test_apps_under_apps_name_app_package_and_src_imports(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "apps_layout")
    assert {s.name: s.root for s in model.services} == {"alpha": "apps/alpha", "beta": "apps/beta",
                                                         "gamma": "apps/gamma"}
    assert routes(model, "alpha") == {("GET", "/items")}
    assert routes(model, "beta") == {("POST", "/orders")}
    assert routes(model, "gamma") == {("GET", "/gamma/sync"), ("POST", "/gamma/sync")}  # api_route(methods=)


def test_large_app_mounted_sub_app_routers_across_modules_decorators_loops_and_subclass_methods(
        big_app: ArchitectureModel) -> None:
    assert [s.name for s in big_app.services] == ["big-app"]  # route-less outer app + mounted api: one service
    assert routes(big_app, "big-app") == {
        ("GET", "/api/users/me"), ("GET", "/api/users/{user_id}/avatar"),  # `from . import users`; users.router
        ("GET", "/api/users/ping"),  # router.get(path)(handler)
        ("GET", "/api/users/whoami"), ("HEAD", "/api/users/whoami"),  # add_api_route(methods=[...])
        ("GET", "/api/catalog/items"),  # custom decorator returning router.get(path)
        ("PATCH", "/api/catalog/v2/items"),  # decorator calling add_api_route, f-string of a Field default
        ("GET", "/api/catalog/reports"),  # nested settings model default
        ("GET", "/api/admin/ops/audit-log"),  # APIRouter subclass method taking path; os.getenv default prefix
        ("POST", "/api/admin/ops/reindex"),
        ("GET", "/api/api/probes/healthz"), ("GET", "/api/api/probes/readyz"),  # loop over a dict's items()
    }
    assert operation(big_app, "big-app", "GET", "/api/users/me").get("parameters") is None  # Security alias etc.


def test_unreached_route_sites_are_counted_and_reported_but_look_alikes_are_not(big_app: ArchitectureModel) -> None:
    coverage = big_app.services[0].coverage["routes"]
    assert (coverage.resolved, coverage.candidates) == (16, 17)
    found = messages(big_app)
    assert any(m.startswith("backend/app/routers/admin.py:27: route-like orphan.get(...) not reached") for m in found)
    assert not any("fake" in m or "bolt" in m or "items.py:16" in m for m in found), found


def test_app_built_in_a_setup_function_of_a_nested_package(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "nested_setup")
    assert [(s.name, s.app.module, s.app.attribute, s.app.import_root) for s in model.services] == [
        ("acme-portal", "acme.server.web.application", "setup", "src")]
    # register_views(app) registers through its parameter, in a loop over literal tuples, with a settings prefix
    assert routes(model, "acme-portal") == {("GET", "/api/status/"), ("POST", "/api/admin/flush")}


def test_fastapi_subclass_that_includes_its_routers_in_a_method(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "subclass_app")
    assert routes(model, "subclass-app") == {("GET", "/health"), ("GET", "/models/search"), ("POST", "/models/")}
    assert "requestBody" not in operation(model, "subclass-app", "GET", "/models/search")


def test_distinct_apps_never_merge_silently(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "clash")
    assert sorted(s.name for s in model.services) == ["orders", "orders-team-b"]
    assert any("service name 'orders' also used by team-a/orders/main.py:3" in m for m in messages(model))


def test_cli_model_json_static_only(tmp_path: Path) -> None:
    repo = tmp_path / "apps_layout"
    shutil.copytree(FIXTURES / "apps_layout", repo)
    cli = Path(sys.executable).with_name("arrakis-docs")
    done = subprocess.run([str(cli), "model", "--json", "--static-only", "--repo", str(repo)],
                          capture_output=True, text=True, timeout=120, check=True)
    model = json.loads(done.stdout)
    assert sorted(s["name"] for s in model["services"]) == ["alpha", "beta", "gamma"]
    assert all(s["coverage"]["routes"]["candidates"] == 2 for s in model["services"])


def test_class_based_views_and_settings_from_a_function_known_by_its_return_annotation(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "cbv_app")
    assert routes(model, "cbv-app") == {("GET", "/api/cookbooks"), ("POST", "/api/cookbooks"),
                                        ("DELETE", "/api/cookbooks/{slug}")}
    assert not [m for m in messages(model) if "prefix" in m]


def test_routers_of_a_package_walked_with_pkgutil(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "walked_package")
    assert routes(model, "svc") == {("POST", "/api/auth/login"), ("GET", "/api/health")}
    assert not [m for m in messages(model) if "router" in m]  # helpers.py has none, and the code checks hasattr


def test_factory_config_fields_properties_and_flags_from_the_call_site(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "config_factory")
    assert [s.name for s in model.services] == ["planner"]  # the middleware's route-less app is no service
    # config.versioned_prefix: a property of the call site's ServiceConfig(api_prefix="/planner"); the
    # redis_enabled=False branch of the factory is not taken.
    assert routes(model, "planner") == {("GET", "/planner/v1/plans/{plan_id}"), ("GET", "/planner/v1/status")}
    assert any("planner/app/middleware/errors.py:4: app 'app' has no routes" in m for m in messages(model))


def test_apps_of_sibling_packages_under_one_import_root_are_separate_services(tmp_path: Path) -> None:
    model = scan_fixture(tmp_path, "package_services")
    assert {s.name: s.root for s in model.services} == {"mail": "services/mail", "files": "services/files"}
    assert routes(model, "mail") == {("POST", "/_reset"), ("POST", "/send")}
    assert routes(model, "files") == {("POST", "/_reset"), ("GET", "/files/{name}")}
    assert not [m for m in messages(model) if "not reached" in m]  # a sibling's routes are not this one's
