"""Writer: infrastructure maps as Mermaid ``flowchart``s, grouped by VPC, subnet tier and module.

A high-level view (the root's module calls and their major resources, with the connections that matter: network
paths allowed by security groups, IRSA access, placement) and a detailed view per module instance (every resource of
it and of its submodules, with their dependencies). The same grouping feeds the SVG renders (``infra_renders``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from arrakis_docs.model.infra import (
    CAN_ACCESS,
    CONNECTS,
    DATA,
    PLACED_IN,
    RESOURCE,
    InfraModel,
    InfraNode,
)

# What the high-level view keeps: the resources a reader of an architecture map looks for.
MAJOR_TYPES = frozenset({
    "aws_vpc", "aws_nat_gateway", "aws_internet_gateway", "aws_vpc_endpoint", "aws_eks_cluster", "aws_eks_node_group",
    "aws_db_instance", "aws_rds_cluster", "aws_elasticache_replication_group", "aws_elasticache_cluster",
    "aws_route53_zone", "aws_acm_certificate", "aws_s3_bucket", "aws_kms_key", "aws_secretsmanager_secret",
    "aws_cloudtrail", "aws_backup_vault", "aws_sns_topic", "aws_lb", "aws_alb", "aws_cloudfront_distribution",
    "aws_lambda_function", "aws_sqs_queue", "aws_dynamodb_table", "aws_guardduty_detector", "helm_release",
    "kubernetes_deployment_v1", "kubernetes_deployment", "kubernetes_service_account_v1", "aws_msk_cluster",
    "aws_ecs_cluster", "aws_ecs_service", "aws_instance", "aws_autoscaling_group",
})
EDGE_STYLE = {CONNECTS: "-. network .->", CAN_ACCESS: "-. IRSA .->"}


def mermaid_id(text: str) -> str:
    """A Mermaid node id: letters, digits and underscores only."""
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", text)


def label(text: str) -> str:
    """A quoted Mermaid label; quotes become the entity Mermaid understands."""
    return '"' + text.replace('"', "#quot;") + '"'


def node_label(node: InfraNode) -> str:
    """``type.name`` and how many instances its ``count``/``for_each`` makes."""
    suffix = f" ({node.multiplicity})" if node.multiplicity else ""
    return f"{node.type}.{node.name}{suffix}"


@dataclass
class Placement:
    """Where a resource sits: VPC address, subnet tier (subnet block name), or nothing."""

    vpc: dict[str, str] = field(default_factory=dict)  # resource id -> vpc node id
    tier: dict[str, str] = field(default_factory=dict)  # resource id -> tier name

    @classmethod
    def of(cls, infra: InfraModel) -> Placement:
        """Placement of every resource, from the model's ``placed-in`` edges."""
        placement = cls()
        subnet_vpc: dict[str, str] = {}
        for edge in infra.edges_of(PLACED_IN):
            target = infra.node(edge.target)
            if target is not None and target.type == "aws_vpc":
                subnet_vpc.setdefault(edge.source, edge.target)
                placement.vpc.setdefault(edge.source, edge.target)
        for edge in infra.edges_of(PLACED_IN):
            target = infra.node(edge.target)
            if target is not None and target.type == "aws_subnet":
                placement.tier.setdefault(edge.source, target.name)
                if edge.target in subnet_vpc:
                    placement.vpc.setdefault(edge.source, subnet_vpc[edge.target])
        for subnet in subnet_vpc:
            node = infra.node(subnet)
            if node is not None and node.type == "aws_subnet":
                placement.tier.setdefault(subnet, node.name)
        return placement


def top_module(node: InfraNode) -> str:
    """``module.rds`` for ``module.rds.module.kms``; "" at the root."""
    parts = node.module.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else ""


class _Flowchart:
    """Collects nodes into nested groups and prints one Mermaid flowchart."""

    def __init__(self, direction: str = "LR") -> None:
        self.direction = direction
        self.groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        self.titles: dict[tuple[str, ...], str] = {}
        self.edges: set[tuple[str, str, str]] = set()
        self.members: set[str] = set()

    def add(self, group: tuple[tuple[str, str], ...], node_id: str, text: str) -> None:
        if node_id in self.members:  # a node sits in one group only: the first that claims it
            return
        key = tuple(g for g, _ in group)
        for depth in range(1, len(group) + 1):
            self.titles[key[:depth]] = group[depth - 1][1]
            self.groups.setdefault(key[:depth], [])
        self.groups.setdefault(key, []).append((node_id, text))
        self.members.add(node_id)

    def connect(self, source: str, target: str, arrow: str = "-->") -> None:
        if source in self.members and target in self.members and source != target:
            self.edges.add((source, target, arrow))

    def text(self) -> str:
        lines = [f"flowchart {self.direction}"]

        def emit(key: tuple[str, ...], indent: str) -> None:
            for node_id, text in sorted(self.groups.get(key, [])):
                lines.append(f"{indent}{node_id}[{label(text)}]")
            for child in sorted(k for k in self.groups if len(k) == len(key) + 1 and k[: len(key)] == key):
                lines.append(f"{indent}subgraph {mermaid_id('g_' + '_'.join(child))}[{label(self.titles[child])}]")
                emit(child, indent + "  ")
                lines.append(f"{indent}end")

        emit((), "  ")
        lines += [f"  {s} {arrow} {t}" for s, t, arrow in sorted(self.edges)]
        return "\n".join(lines) + "\n"


def _group(node: InfraNode, placement: Placement, infra: InfraModel, by_module: bool = True) -> tuple:
    group: list[tuple[str, str]] = []
    vpc = placement.vpc.get(node.id)
    if vpc and node.type != "aws_vpc":
        vpc_node = infra.node(vpc)
        group.append(("vpc_" + vpc, f"VPC {vpc_node.address if vpc_node else vpc}"))
        tier = placement.tier.get(node.id)
        if tier:
            group.append((f"tier_{vpc}_{tier}", f"{tier} subnets"))
    if by_module and node.module:
        group.append(("module_" + node.module, node.module))
    return tuple(group)


def overview(infra: InfraModel) -> str:
    """The high-level map of the primary root: major resources by VPC, subnet tier and top-level module."""
    placement = Placement.of(infra)
    chart = _Flowchart()
    for node in infra.of_kind(RESOURCE, infra.primary_root):
        if node.type in MAJOR_TYPES:
            top = top_module(node)
            group = _group(node, placement, infra, by_module=False)
            group = (*group, ("top_" + (top or "root"), top or "root module")) if top or not group else group
            chart.add(group, mermaid_id(node.id), f"{node_label(node)}\n{node.module or 'root'}".replace("\n", " · "))
    uses = infra.uses()
    for source, targets in sorted(uses.items()):
        for target in sorted(targets):
            chart.connect(mermaid_id(source), mermaid_id(target))
    for edge in infra.edges_of(CONNECTS, CAN_ACCESS):
        chart.connect(mermaid_id(edge.source), mermaid_id(edge.target), EDGE_STYLE[edge.kind])
    return chart.text()


def module_map(infra: InfraModel, instance: str) -> str:
    """The detailed map of one module instance (``module.rds``): its resources and submodules' resources, with the
    resources elsewhere they use shown outside."""
    placement = Placement.of(infra)
    chart = _Flowchart()
    inside = [n for n in infra.of_kind(RESOURCE, infra.primary_root)
              if n.module == instance or n.module.startswith(f"{instance}.")]
    ids = {n.id for n in inside}
    for node in inside:
        group = _group(node, placement, infra, by_module=False)
        if node.module != instance:
            group = (*group, ("sub_" + node.module, node.module))
        chart.add(group, mermaid_id(node.id), node_label(node))
    uses = infra.uses()
    for node in inside:
        for target in sorted(uses.get(node.id, ())):
            other = infra.node(target)
            if other is None or other.kind == DATA:
                continue
            if target not in ids:
                chart.add((("elsewhere", "used from other modules"),), mermaid_id(target),
                          f"{node_label(other)} · {other.module or 'root'}")
            chart.connect(mermaid_id(node.id), mermaid_id(target))
    for edge in infra.edges_of(CONNECTS, CAN_ACCESS):
        if edge.source in ids or edge.target in ids:
            for end in (edge.source, edge.target):
                other = infra.node(end)
                if end not in ids and other is not None:
                    chart.add((("elsewhere", "used from other modules"),), mermaid_id(end),
                              f"{node_label(other)} · {other.module or 'root'}")
            chart.connect(mermaid_id(edge.source), mermaid_id(edge.target), EDGE_STYLE[edge.kind])
    return chart.text()
