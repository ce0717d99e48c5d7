"""The arrakis-docs CLI end to end on a fixture copy: generate, re-run, drift check, atomic output, validate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from arrakis_docs.cli import main
from arrakis_docs.output import OutputSet, write_atomic
from arrakis_docs.validation import ensure_node_modules

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "platform"
    shutil.copytree(FIXTURES / "platform", target)
    return target


@pytest.fixture(scope="session")
def node_tools() -> None:
    problem = ensure_node_modules()  # runs `npm ci` when node_modules is missing
    assert problem is None, problem


def test_generate_is_byte_identical_on_rerun_and_check_is_clean(repo: Path) -> None:
    code, _ = run("generate", "--repo", str(repo), "--static-only")
    assert code == 0
    first = snapshot(repo / "catalog")
    assert "apis/users.openapi.json" in first and "catalog-info.yaml" in first
    code, _ = run("generate", "--repo", str(repo), "--static-only")
    assert code == 0 and snapshot(repo / "catalog") == first
    # a cold run (no cache) gives the same bytes too
    shutil.rmtree(repo / ".arrakis-cache")
    run("generate", "--repo", str(repo), "--static-only")
    assert snapshot(repo / "catalog") == first
    # No drift; the fixture's half-written module is an error diagnostic, so --check fails as --strict does (2).
    code, output = run("generate", "--repo", str(repo), "--static-only", "--check")
    assert code == 2 and "up to date" in output and "services/broken/broken/half_written.py" in output


def test_check_fails_after_a_route_is_added(repo: Path) -> None:
    run("generate", "--repo", str(repo), "--static-only")
    before = snapshot(repo / "catalog")
    module = repo / "services/gateway/gateway/main.py"
    module.write_text(module.read_text() + '\n\n@app.get("/status")\nasync def status() -> dict:\n    return {}\n')
    code, output = run("generate", "--repo", str(repo), "--static-only", "--check")
    assert code == 1
    assert "changed: catalog/apis/gateway.openapi.json" in output and "/status" in output
    assert snapshot(repo / "catalog") == before  # --check never writes


def test_out_dir_and_only(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("generate", "--repo", str(repo), "--out", str(out), "--static-only")[0] == 0
    assert not (repo / "catalog").exists()
    component = yaml.safe_load((out / "catalog/components/users.yaml").read_text())
    assert component["spec"]["dependencyOf"] == ["component:gateway"]
    assert component["metadata"]["annotations"] == {
        "backstage.io/source-location": "url:https://github.com/example/fixture-platform/tree/main/services/users/",
        "backstage.io/techdocs-ref": "dir:../../services/users",
        "github.com/project-slug": "example/fixture-platform",
    }
    api = yaml.safe_load((out / "catalog/apis/users.yaml").read_text())
    assert api["metadata"]["annotations"]["arrakis-docs/definition-file"] == "./users.openapi.json"
    assert api["spec"]["definition"] == (out / "catalog/apis/users.openapi.json").read_text()
    code, output = run("generate", "--repo", str(repo), "--out", str(out), "--static-only", "--only", "gateway",
                       "--check")
    assert code == 2 and "up to date" in output, output  # no drift; exit 2 for the broken service's syntax error
    assert run("generate", "--repo", str(repo), "--only", "nope", "--static-only")[0] != 0


def test_model_json(repo: Path) -> None:
    code, output = run("model", "--repo", str(repo), "--json", "--static-only")
    assert code == 0
    data = json.loads(output)
    assert [s["name"] for s in data["services"]] == ["broken", "gateway", "users"]
    assert output == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_failed_write_leaves_the_last_good_output(tmp_path: Path) -> None:
    good = OutputSet({"catalog/a.yaml": "a: 1\n"}, ["catalog"])
    write_atomic(tmp_path, good)
    bad = OutputSet({"catalog/a.yaml": "a: 2\n", "catalog/a.yaml/b.yaml": "cannot: be\n"}, ["catalog"])
    with pytest.raises(OSError):
        write_atomic(tmp_path, bad)
    assert (tmp_path / "catalog/a.yaml").read_text() == "a: 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog"]  # no staging folder left behind


def test_validate_accepts_generated_output(repo: Path, node_tools: None) -> None:
    run("generate", "--repo", str(repo), "--static-only")
    code, output = run("validate", "--repo", str(repo))
    assert code == 0, output


def test_validate_reports_backstage_referential_and_openapi_problems(repo: Path, node_tools: None) -> None:
    run("generate", "--repo", str(repo), "--static-only")
    component = repo / "catalog/components/gateway.yaml"
    entity = yaml.safe_load(component.read_text())
    entity["metadata"]["name"] = "Not A Valid Name"
    entity["spec"]["dependsOn"].append("component:ghost")
    component.write_text(yaml.safe_dump(entity))
    spec = repo / "catalog/apis/broken.openapi.json"
    document = json.loads(spec.read_text())
    document["paths"]["/ok"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Missing"}
    spec.write_text(json.dumps(document, indent=2))
    code, output = run("validate", "--repo", str(repo))
    assert code == 1
    lines = output.splitlines()
    assert any(line.startswith("catalog/components/gateway.yaml:0: backstage:") and "metadata.name" in line
               for line in lines)
    assert any("references:" in line and "'component:ghost': no such entity" in line for line in lines)
    assert any(line.startswith("catalog/apis/broken.openapi.json:0: openapi:") for line in lines)
    assert any(line.startswith("catalog/apis/broken.openapi.json:") and "redocly" in line for line in lines)
    # the entity's inline definition no longer matches the edited spec file
    assert "catalog/apis/broken.yaml:0: catalog: spec.definition differs from ./broken.openapi.json" in lines


def test_catalog_ingests_under_any_registration_and_places_components_in_domains(tmp_path: Path) -> None:
    """The Location names no type (url and file registrations both work), API definitions are inline and equal the
    spec files, no non-entity file is a .yaml under catalog/, and a system spanning two domains is split per domain."""
    repo = tmp_path / "shop"
    shutil.copytree(FIXTURES / "backstage_catalog", repo)
    out = tmp_path / "out"
    assert run("generate", "--repo", str(repo), "--out", str(out), "--static-only")[0] == 0
    catalog = out / "catalog"
    location = yaml.safe_load((catalog / "catalog-info.yaml").read_text())
    assert "type" not in location["spec"]
    assert all(t.startswith("./") for t in location["spec"]["targets"])
    for path in catalog.rglob("*.yaml"):  # what `catalog/**/*.yaml` discovery reads: entities only
        assert {"apiVersion", "kind", "metadata", "spec"} <= set(yaml.safe_load(path.read_text())), path
    api = yaml.safe_load((catalog / "apis/orders.yaml").read_text())
    spec_file = catalog / "apis" / api["metadata"]["annotations"]["arrakis-docs/definition-file"]
    assert spec_file.name == "orders.openapi.json"
    assert api["spec"]["definition"] == spec_file.read_text()
    assert "/orders/{order_id}" in json.loads(api["spec"]["definition"])["paths"]

    def spec(kind: str, name: str) -> dict:
        return yaml.safe_load((catalog / f"{kind}/{name}.yaml").read_text())["spec"]

    assert spec("components", "orders")["system"] == "shop-commerce"
    assert spec("components", "billing")["system"] == "shop-finance"
    assert spec("components", "notices")["system"] == "shop"  # no domain of its own: the shared system
    assert spec("apis", "orders")["system"] == "shop-commerce"
    assert spec("systems", "shop-commerce")["domain"] == "commerce"
    assert spec("systems", "shop-finance")["domain"] == "finance"
    assert spec("systems", "shop")["domain"] == "shop"
    assert spec("domains", "commerce")["subdomainOf"] == "shop"
    assert spec("domains", "finance")["subdomainOf"] == "shop"
    assert "subdomainOf" not in spec("domains", "shop")
