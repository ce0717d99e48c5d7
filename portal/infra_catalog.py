"""Writer part: Backstage Resources from the Terraform, joined with what the code uses.

The code tells which datastores a service uses (``<service>-db``, ``redis``, the NATS stream); the Terraform tells what
runs them (the RDS instance, the ElastiCache replication group, the NATS release, the EKS cluster the services are
deployed to, the Route 53 zone). Resources the code already names keep their names and gain the Terraform address;
the rest become new Resource entities, and Components ``dependsOn`` them only where both sides agree (a service is
a key of the Terraform's per-service deployment, a database a key of the per-service database secrets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.model.infra import RESOURCE, InfraModel, InfraNode

ADDRESS_ANNOTATION = "arrakis-docs/terraform-address"
DEPLOYMENTS = ("kubernetes_deployment_v1", "kubernetes_deployment", "kubernetes_stateful_set_v1")


@dataclass(frozen=True)
class _Kind:
    """A Terraform resource type that becomes a Backstage Resource."""

    types: tuple[str, ...]
    entity: str  # entity name, unless the code already names the same thing
    backstage_type: str
    description: str


KINDS = (
    _Kind(("aws_eks_cluster",), "eks-cluster", "kubernetes-cluster", "EKS cluster the services are deployed to"),
    _Kind(("aws_db_instance", "aws_rds_cluster"), "rds-instance", "database-server",
          "PostgreSQL instance hosting one database per service"),
    _Kind(("aws_elasticache_replication_group", "aws_elasticache_cluster"), "elasticache", "cache",
          "ElastiCache (Redis) replication group"),
    _Kind(("helm_release",), "nats-cluster", "message-broker", "NATS JetStream cluster (Helm release)"),
    _Kind(("aws_route53_zone",), "route53-zone", "dns-zone", "Route 53 hosted zone of the platform"),
)


def _first(infra: InfraModel, types: tuple[str, ...], name_hint: str = "") -> InfraNode | None:
    found = [n for n in infra.of_kind(RESOURCE, infra.primary_root) if n.type in types
             and (not name_hint or name_hint in n.name)]
    return min(found, key=lambda n: (n.address.count("."), n.address)) if found else None


def terraform_entities(model: ArchitectureModel, owner: str, system: str) -> dict[str, dict[str, Any]]:
    """Terraform-backed Resource entities (by entity name) and the ``dependsOn`` additions the join finds, as
    ``{name: {"node": InfraNode | None, "spec": {...}, "description": str}}`` plus ``_depends`` per existing entity."""
    infra = model.infra
    store_names = {d.name: d for d in model.datastores}
    entities: dict[str, dict[str, Any]] = {}
    depends: dict[str, set[str]] = {}  # existing entity name (component or resource) -> resource refs it gains
    nodes: dict[str, InfraNode] = {}
    for kind in KINDS:
        node = _first(infra, kind.types, "nats" if kind.types == ("helm_release",) else "")
        if node is None:
            continue
        name = kind.entity
        if kind.backstage_type == "cache" and "redis" in store_names:
            name = "redis"  # the code's name for the same cache
        nodes[name] = node
        if name in store_names:
            continue
        entities[name] = {"description": f"{kind.description} (`{node.address}`).", "address": node.address,
                          "type": kind.backstage_type, "owner": owner, "system": system}
    addresses = {n: node.address for n, node in nodes.items()}
    services = {s.name for s in model.services}
    deployed = set().union(*(set(n.keys) for n in infra.of_kind(RESOURCE, infra.primary_root)
                             if n.type in DEPLOYMENTS)) if infra.nodes else set()
    if "eks-cluster" in nodes:
        for service in sorted(services & deployed):
            depends.setdefault(service, set()).add("resource:eks-cluster")
    database = nodes.get("rds-instance")
    if database is not None:
        keyed = sorted((n for n in infra.of_kind(RESOURCE, infra.primary_root) if n.module == database.module
                        and n.keys), key=lambda n: ("secret" not in n.type, n.address))
        for node in keyed:
            for service in node.keys:
                if f"{service}-db" in store_names and f"{service}-db" not in addresses:
                    depends.setdefault(f"{service}-db", set()).add("resource:rds-instance")
                    addresses[f"{service}-db"] = f'{node.address}["{service}"]'

    if "nats-cluster" in nodes:
        for store in model.datastores:
            if store.kind == "message-stream":
                depends.setdefault(store.name, set()).add("resource:nats-cluster")
    return {"entities": entities, "depends": depends, "addresses": addresses}


def add_terraform_entities(entities: dict[str, dict[str, Any]], model: ArchitectureModel, owner: str,
                           system: str, api_version: str) -> None:
    """Add the Terraform-backed Resources to ``entities`` (by catalog file path) and link existing entities."""
    if not model.infra.nodes:
        return
    found = terraform_entities(model, owner, system)
    dependency_of: dict[str, set[str]] = {}
    for name, refs in found["depends"].items():
        for ref in refs:
            dependency_of.setdefault(ref.split(":", 1)[1], set()).add(_ref_of(entities, name))
    for name, info in sorted(found["entities"].items()):
        spec: dict[str, Any] = {"type": info["type"], "owner": f"group:{info['owner']}", "system": info["system"]}
        if dependency_of.get(name):
            spec["dependencyOf"] = sorted(dependency_of[name])
        entities[f"resources/{name}.yaml"] = {
            "apiVersion": api_version, "kind": "Resource",
            "metadata": {"name": name, "description": info["description"],
                         "annotations": {ADDRESS_ANNOTATION: info["address"]}},
            "spec": spec,
        }
    for entity in entities.values():
        name = entity["metadata"]["name"]
        if entity["kind"] not in ("Component", "Resource"):
            continue
        if name in found["depends"]:
            spec = entity["spec"]
            spec["dependsOn"] = sorted(set(spec.get("dependsOn", [])) | found["depends"][name])
        if entity["kind"] == "Resource" and name in found["addresses"] and name not in found["entities"]:
            entity["metadata"].setdefault("annotations", {})[ADDRESS_ANNOTATION] = found["addresses"][name]
        if entity["kind"] == "Resource" and name in dependency_of and name not in found["entities"]:
            spec = entity["spec"]
            spec["dependencyOf"] = sorted(set(spec.get("dependencyOf", [])) | dependency_of[name])


def _ref_of(entities: dict[str, dict[str, Any]], name: str) -> str:
    for entity in entities.values():
        if entity["metadata"]["name"] == name:
            return f"{entity['kind'].lower()}:{name}"
    return f"resource:{name}"
