"""The Terraform extractor: resource graph, module instances, references and connection semantics."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from arrakis_docs.extractors.hcl_graph import load_directory
from arrakis_docs.model.infra import RESOURCE, InfraModel
from arrakis_docs.model.refs import Diagnostic

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "terraform"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "infra_public"
RESOURCE_BLOCK = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"', re.M)


@pytest.fixture(scope="module")
def platform() -> InfraModel:
    return load_directory(TERRAFORM)


@pytest.fixture(scope="module")
def public() -> tuple[InfraModel, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    return load_directory(FIXTURE, diagnostics), diagnostics


def _edges(model: InfraModel, kind: str) -> set[tuple[str, str]]:
    return {(e.source.split(":", 1)[1], e.target.split(":", 1)[1]) for e in model.edges if e.kind == kind}


def test_every_resource_block_is_a_node(platform: InfraModel) -> None:
    blocks = set()
    lines = 0
    for path in TERRAFORM.rglob("*.tf"):
        folder = path.parent.relative_to(TERRAFORM).as_posix()
        found = RESOURCE_BLOCK.findall(path.read_text(encoding="utf-8"))
        lines += len(found)
        blocks |= {(folder, t, n) for t, n in found}
    nodes = {(n.definition, n.type, n.name) for n in platform.nodes if n.kind == RESOURCE}
    assert len(blocks) == lines == 128  # `grep -c '^resource "'` over terraform/
    assert nodes == blocks


def test_module_internal_resources_carry_their_module_path(platform: InfraModel) -> None:
    addresses = {n.address: n for n in platform.nodes if n.root == "."}
    database = addresses["module.rds.aws_db_instance.this"]
    assert (database.module, database.definition, database.location.path) == (
        "module.rds", "modules/rds", "modules/rds/main.tf")
    key = addresses["module.rds.module.kms.aws_kms_key.this"]
    assert (key.module, key.definition) == ("module.rds.module.kms", "modules/kms")
    # the kms module is instantiated once per caller
    assert sum(1 for a in addresses if a.endswith("module.kms.aws_kms_key.this") or
               a.endswith("_kms.aws_kms_key.this")) == 9  # `grep -c "../kms"`
    assert platform.primary_root == "."
    assert platform.roots == [".", "environments/production", "environments/staging", "examples/complete"]
    assert Counter(n.kind for n in platform.nodes if n.kind == RESOURCE)[RESOURCE] == 144


def test_platform_connection_semantics(platform: InfraModel) -> None:
    connects = _edges(platform, "connects")
    assert ("module.eks.aws_eks_node_group.this", "module.rds.aws_db_instance.this") in connects
    assert ("module.eks.aws_eks_node_group.this",
            "module.elasticache.aws_elasticache_replication_group.this") in connects
    access = _edges(platform, "can-access")
    account = "module.application.kubernetes_service_account_v1.this"
    assert (account, "module.rds.aws_secretsmanager_secret.service") in access
    assert (account, "module.security.aws_secretsmanager_secret.jwt_signing_key") in access
    assert (account, "module.security.aws_iam_role.service") in _edges(platform, "assumes")
    placed = _edges(platform, "placed-in")
    assert ("module.rds.aws_db_instance.this", "module.networking.aws_subnet.database") in placed
    assert ("module.eks.aws_eks_cluster.this", "module.networking.aws_subnet.private") in placed
    deployment = next(n for n in platform.nodes if n.address == "module.application.kubernetes_deployment_v1.this")
    assert len(deployment.keys) == 7 and "user-service" in deployment.keys


def test_public_module_constructs(public: tuple[InfraModel, list[Diagnostic]]) -> None:
    """Fixture infra_public: 13 resources (5 root incl. one from .tf.json, 3 network, 5 db), 5 module calls
    (composite + 2 nested, a registry and a git source), 60 reference edges, 5 placements, 1 security-group rule."""
    model, diagnostics = public
    assert Counter(n.kind for n in model.nodes) == {"resource": 13, "output": 10, "variable": 10, "module": 5,
                                                    "local": 3}
    assert Counter(e.kind for e in model.edges) == {"reference": 60, "placed-in": 5, "allows": 1}
    # the broken file is a diagnostic, the rest of its folder is still read
    assert [(d.path, d.line) for d in diagnostics] == [("broken.tf", 4)]
    nodes = {n.address: n for n in model.nodes}
    assert (nodes["module.vpc_registry"].type, nodes["module.labels"].type) == ("registry", "git")
    assert nodes["module.stack.module.db.aws_db_instance.this"].module == "module.stack.module.db"
    assert (nodes["aws_s3_bucket.this"].multiplicity, nodes["aws_s3_bucket.this"].keys) == ("for_each",
                                                                                           ["assets", "logs"])
    assert nodes["aws_s3_bucket.this"].provider == "aws.replica"
    assert nodes["aws_cloudwatch_log_group.optional"].multiplicity_expression == "var.enable_logs ? 1 : 0"
    assert nodes["aws_sns_topic.alerts"].location.path == "extra.tf.json"
    references = _edges(model, "reference")
    expected = {
        ("aws_s3_bucket.this", "var.tags"),  # try()
        ("aws_iam_policy.read", "aws_s3_bucket.this"),  # templatefile() with a for-expression
        ("aws_iam_policy.read", "aws_cloudwatch_log_group.optional"),  # heredoc with a splat
        ("aws_s3_bucket_lifecycle_configuration.this", "var.lifecycle_rules"),  # nested dynamic iterators
        ("aws_s3_bucket_lifecycle_configuration.this", "local.buckets"),  # each.key -> for_each
        ("local.bucket_arns", "aws_s3_bucket.this"),  # splat
        ("aws_sns_topic.alerts", "module.stack.output.key_arn"),  # .tf.json
        ("module.stack.output.key_arn", "module.stack.module.db.output.key_arn"),  # a module of modules
        ("module.stack.module.db.var.subnet_ids", "module.stack.module.network.output.database_subnet_ids"),
    }
    assert expected <= references
    uses = model.uses()
    assert "." + ":module.stack.module.db.aws_kms_key.this" in uses[".:aws_sns_topic.alerts"]
    assert _edges(model, "allows") == {("module.stack.module.network.aws_security_group.app",
                                         "module.stack.module.db.aws_security_group.db")}


def test_module_reference_view(public: tuple[InfraModel, list[Diagnostic]]) -> None:
    model, _ = public
    db = model.module_doc("modules/db")
    assert db is not None
    assert [(i.name, i.required, i.default) for i in db.inputs] == [
        ("client_security_group", False, "null"), ("name", True, ""), ("subnet_ids", True, ""), ("vpc_id", True, "")]
    composite = model.module_doc("modules/composite")
    assert composite is not None
    assert [b.mode for b in composite.blocks] == ["module", "module"]
    root = model.module_doc(".")
    assert root is not None and root.is_root
    assert root.provider_configurations == ["aws", "aws.replica"]
    lifecycle = next(i for i in root.inputs if i.name == "lifecycle_rules")
    assert lifecycle.type == "map(object({transitions = list(object({days = number, class = string}))}))"


def test_cycles_and_missing_sources_are_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "self" {\n  source = "./"\n}\nmodule "gone" {\n  source = "./nope"\n}\n'
                                      'resource "null_resource" "a" {}\n', encoding="utf-8")
    diagnostics: list[Diagnostic] = []
    model = load_directory(tmp_path, diagnostics)
    assert sorted((d.line, d.message) for d in diagnostics) == [
        (1, 'module "self": source "./" calls itself; not expanded, point the source at another folder'),
        (4, 'module "gone": source "./nope" has no .tf files in the scanned tree; its resources are not documented: '
            'fix the source path or stop excluding that folder')]
    assert [n.address for n in model.nodes if n.kind == RESOURCE] == ["null_resource.a"]
