"""Infrastructure writers: module READMEs, Mermaid maps, catalog Resources, checkov page and SVG renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from arrakis_docs.catalog import catalog_files
from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.extractors.hcl_graph import build_model
from arrakis_docs.infra_checkov import summarise
from arrakis_docs.infra_maps import module_map, overview
from arrakis_docs.infra_output import checkov_page, infra_outputs
from arrakis_docs.infra_reference import BEGIN, END, inject
from arrakis_docs.infra_renders import infra_renders
from arrakis_docs.model.architecture import AppEntry, ArchitectureModel, Datastore, RepoInfo, Service, SourceRef
from arrakis_docs.model.infra import InfraModel
from arrakis_docs.model.refs import Edge
from arrakis_docs.validation import backstage_problems, referential_problems

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("user-service", "audit-service")


def _terraform_texts() -> dict[str, str]:
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted((ROOT / "terraform").rglob("*")) if p.is_file() and p.name.endswith((".tf", ".tf.json"))}


@pytest.fixture(scope="module")
def infra() -> InfraModel:
    summary = ROOT / "terraform" / "checkov-summary.json"
    return build_model(_terraform_texts(), [], {"terraform/checkov-summary.json": summary.read_text(encoding="utf-8")})


@pytest.fixture(scope="module")
def model(infra: InfraModel) -> ArchitectureModel:
    services = [Service(f"service:{name}", name, f"services/{name}", AppEntry("app", "app", "instance", ".",
                                                                                 SourceRef("x.py", 1)),
                        owner="team-platform", system="arrakis") for name in SERVICES]
    stores = [Datastore(f"datastore:{name}-db", f"{name}-db", "database", "postgresql") for name in SERVICES]
    stores += [Datastore("datastore:redis", "redis", "cache", "redis"),
               Datastore("datastore:nats-arrakis", "nats-arrakis", "message-stream", "nats")]
    edges = [Edge(f"service:{name}", f"datastore:{name}-db", "depends-on") for name in SERVICES]
    edges += [Edge("service:user-service", "datastore:redis", "depends-on"),
              Edge("service:audit-service", "datastore:nats-arrakis", "depends-on")]
    return ArchitectureModel(RepoInfo("arrakis"), services=services, datastores=stores, edges=edges, infra=infra)


def test_module_readmes_are_current_and_keep_their_prose(model: ArchitectureModel) -> None:
    files = infra_outputs(model, ROOT, RepoConfig()).files
    readmes = sorted(p for p in files if p.endswith("README.md"))
    assert len(readmes) == 11  # every module under terraform/modules carries the markers
    for path in readmes:
        generated = files[path]
        assert generated == (ROOT / path).read_text(encoding="utf-8"), f"{path} drifted: run arrakis-docs generate"
        section = generated[generated.index(BEGIN):generated.index(END)]
        for heading in ("Requirements", "Providers", "Modules", "Resources", "Inputs", "Outputs"):
            assert f"### {heading}" in section
    rds = files["terraform/modules/rds/README.md"]
    assert rds.startswith("# rds\n\nOne PostgreSQL instance")
    assert "| `allocated_storage` | Initial storage in GiB. | `number` | `100` | no |" in rds
    assert "[aws_db_instance.this](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/" \
           "db_instance) | resource |" in rds
    assert "| kms | `../kms` | n/a |" in rds


def test_inject_replaces_only_between_markers() -> None:
    text = f"# m\n\nprose\n\n{BEGIN}\nold\n{END}\n\nafter\n"
    assert inject(text, "new") == f"# m\n\nprose\n\n{BEGIN}\nnew\n{END}\n\nafter\n"
    assert inject("# no markers\n", "new") is None


_NODE = re.compile(r'^\s*(n_[A-Za-z0-9_]+)\["[^"]*"\]$')
_SUBGRAPH = re.compile(r'^\s*subgraph (n_[A-Za-z0-9_]+)\["[^"]*"\]$')
_EDGE = re.compile(r"^\s*(n_[A-Za-z0-9_]+) (-->|-\. [a-zA-Z]+ \.->) (n_[A-Za-z0-9_]+)$")


def _check_flowchart(text: str) -> tuple[int, int]:
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR"
    declared: set[str] = set()
    depth = edges = 0
    for line in lines[1:]:
        if (match := _NODE.match(line)) is not None:
            assert match.group(1) not in declared, line
            declared.add(match.group(1))
        elif _SUBGRAPH.match(line):
            depth += 1
        elif line.strip() == "end":
            depth -= 1
            assert depth >= 0
        elif (match := _EDGE.match(line)) is not None:
            assert match.group(1) in declared and match.group(3) in declared, line
            edges += 1
        else:
            raise AssertionError(f"not valid flowchart syntax: {line!r}")
    assert depth == 0
    return len(declared), edges


def test_maps_are_valid_flowcharts(infra: InfraModel) -> None:
    nodes, edges = _check_flowchart(overview(infra))
    assert nodes >= 30 and edges >= 10
    text = overview(infra)
    assert 'subgraph n_g_vpc_' in text and '["database subnets"]' in text and '["private subnets"]' in text
    assert "-. network .->" in text and "-. IRSA .->" in text
    for instance in ("module.rds", "module.eks", "module.networking", "module.security", "module.application"):
        assert _check_flowchart(module_map(infra, instance))[0] > 0
    rds = module_map(infra, "module.rds")
    assert '["module.rds.module.kms"]' in rds and "aws_db_instance.this" in rds


def test_catalog_resources_pass_backstage_and_are_linked(model: ArchitectureModel) -> None:
    files = catalog_files(model, "catalog")
    entities = [(path, yaml.safe_load(text)) for path, text in sorted(files.items())]
    assert backstage_problems(entities) == []
    assert referential_problems(entities) == []
    by_name = {e["metadata"]["name"]: e for _, e in entities}
    for name in ("eks-cluster", "rds-instance", "nats-cluster", "route53-zone"):
        assert by_name[name]["kind"] == "Resource"
        assert by_name[name]["metadata"]["annotations"]["arrakis-docs/terraform-address"].startswith("module.")
    assert "elasticache" not in by_name  # the code's `redis` is the same cache
    assert by_name["redis"]["metadata"]["annotations"]["arrakis-docs/terraform-address"] == \
        "module.elasticache.aws_elasticache_replication_group.this"
    user = by_name["user-service"]["spec"]["dependsOn"]
    assert {"resource:eks-cluster", "resource:redis", "resource:user-service-db"} <= set(user)
    assert by_name["user-service-db"]["spec"]["dependsOn"] == ["resource:rds-instance"]
    assert by_name["rds-instance"]["spec"]["dependencyOf"] == ["resource:audit-service-db",
                                                              "resource:user-service-db"]
    assert by_name["nats-arrakis"]["spec"]["dependsOn"] == ["resource:nats-cluster"]


def test_checkov_summary_and_page(infra: InfraModel) -> None:
    report = {"results": {
        "passed_checks": [{"check_id": "CKV_1", "file_path": "/modules/a/main.tf", "resource": "x.y"}],
        "failed_checks": [{"check_id": "CKV_2", "file_path": "/main.tf", "resource": "x.z"}],
        "skipped_checks": [{"check_id": "CKV_3", "file_path": "/modules/a/main.tf", "resource": "x.y"}]}}
    assert summarise(report, "terraform") == {"tool": "checkov", "modules": {
        "terraform": {"passed": 0, "failed": 1, "skipped": 0, "failed_checks": ["CKV_2 x.z"]},
        "terraform/modules/a": {"passed": 1, "failed": 0, "skipped": 1, "failed_checks": []}}}
    page = checkov_page(infra)
    assert "| `terraform/modules/rds` |" in page and "From `terraform/checkov-summary.json`" in page
    assert "generate --with-checkov" in checkov_page(InfraModel())


def test_renders_write_a_self_contained_svg(model: ArchitectureModel, tmp_path: Path) -> None:
    assert infra_renders(model, ROOT, tmp_path) == []
    svg = (tmp_path / "docs" / "infrastructure-renders" / "overview.svg").read_text(encoding="utf-8")
    assert svg.count("data:image/png;base64,") >= 20
    assert ".png\"" not in svg and str(ROOT) not in svg
