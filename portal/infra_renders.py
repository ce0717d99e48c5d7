"""Renders step: the infrastructure maps as SVG with AWS icons, through the ``diagrams`` library (Graphviz).

Binary output, git-ignored and not drift-checked: ``generate`` calls :func:`infra_renders` after writing, never in
``--check``. The icons Graphviz embeds by absolute path are inlined as ``data:`` URIs, so an SVG works anywhere.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from arrakis_docs.diagrams_output import drawn_from, marked, render_key
from arrakis_docs.extractors.config import load_config
from arrakis_docs.infra_maps import MAJOR_TYPES, Placement, node_label, top_module
from arrakis_docs.infra_output import RENDERS_DIR
from arrakis_docs.model.architecture import ArchitectureModel, dumps, from_jsonable
from arrakis_docs.model.infra import CAN_ACCESS, CONNECTS, RESOURCE, InfraModel, InfraNode
from arrakis_docs.output import OutsideOutput, write_contained

# Terraform type -> diagrams icon (module path, class name); anything else gets a generic AWS icon.
ICONS = {
    "aws_vpc": ("diagrams.aws.network", "VPC"),
    "aws_nat_gateway": ("diagrams.aws.network", "NATGateway"),
    "aws_internet_gateway": ("diagrams.aws.network", "InternetGateway"),
    "aws_vpc_endpoint": ("diagrams.aws.network", "Endpoint"),
    "aws_route53_zone": ("diagrams.aws.network", "Route53HostedZone"),
    "aws_eks_cluster": ("diagrams.aws.compute", "EKS"),
    "aws_eks_node_group": ("diagrams.aws.compute", "EC2AutoScaling"),
    "aws_db_instance": ("diagrams.aws.database", "RDS"),
    "aws_elasticache_replication_group": ("diagrams.aws.database", "ElastiCache"),
    "aws_s3_bucket": ("diagrams.aws.storage", "S3"),
    "aws_kms_key": ("diagrams.aws.security", "KMS"),
    "aws_secretsmanager_secret": ("diagrams.aws.security", "SecretsManager"),
    "aws_acm_certificate": ("diagrams.aws.security", "ACM"),
    "aws_guardduty_detector": ("diagrams.aws.security", "Guardduty"),
    "aws_cloudtrail": ("diagrams.aws.management", "Cloudtrail"),
    "aws_sns_topic": ("diagrams.aws.integration", "SNS"),
    "aws_backup_vault": ("diagrams.aws.storage", "Backup"),
    "helm_release": ("diagrams.k8s.ecosystem", "Helm"),
    "kubernetes_deployment_v1": ("diagrams.k8s.compute", "Deployment"),
    "kubernetes_service_account_v1": ("diagrams.k8s.rbac", "ServiceAccount"),
}
_IMAGE = re.compile(r'xlink:href="([^"]+\.png)"')


def _icon(node: InfraNode) -> type:
    import importlib

    module, name = ICONS.get(node.type, ("diagrams.aws.general", "General"))
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return importlib.import_module("diagrams.aws.general").General


def inline_images(svg: str) -> str:
    """Replace every image Graphviz references by file path with a base64 ``data:`` URI."""
    def data_uri(match: re.Match[str]) -> str:
        path = Path(match.group(1))
        if not path.is_file():
            return match.group(0)
        return f'xlink:href="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"'
    return _IMAGE.sub(data_uri, svg)


_IMAGE_ELEMENT = re.compile(r"<image\b([^>]*?)/>")
_POSITION = re.compile(r'\s(x|y)="([^"]*)"')


def shared_images(svg: str) -> str:
    """Each distinct image once, in ``<defs>``, and a ``<use>`` at every place Graphviz drew it: the same picture,
    but an icon shown on 1,800 nodes is embedded once instead of 1,800 times (44 MB)."""
    ids: dict[str, str] = {}
    defs: list[str] = []

    def use(match: re.Match[str]) -> str:
        attributes = match.group(1)
        position = dict(_POSITION.findall(attributes))
        rest = _POSITION.sub("", attributes).strip()
        if rest not in ids:
            ids[rest] = f"arrakis-image-{len(ids)}"
            defs.append(f'<image id="{ids[rest]}" {rest}/>')
        where = "".join(f' {k}="{position[k]}"' for k in ("x", "y") if k in position)
        return f'<use xlink:href="#{ids[rest]}"{where}/>'

    body = _IMAGE_ELEMENT.sub(use, svg)
    opening = re.search(r"<svg\b[^>]*>", body)
    if not defs or opening is None:
        return svg
    return f"{body[:opening.end()]}\n<defs>\n{chr(10).join(defs)}\n</defs>{body[opening.end():]}"


def overview_svg(infra: InfraModel) -> str:
    """The high-level map (major resources by VPC, subnet tier and module) as an SVG with inlined icons."""
    from diagrams import Cluster, Diagram, Edge

    placement = Placement.of(infra)
    major = [n for n in infra.of_kind(RESOURCE, infra.primary_root) if n.type in MAJOR_TYPES]
    groups: dict[tuple[str, ...], list[InfraNode]] = {}
    for node in major:
        vpc = placement.vpc.get(node.id) if node.type != "aws_vpc" else None
        if vpc:
            key: tuple[str, ...] = ("VPC", f"{placement.tier.get(node.id, 'vpc')} subnets")
        else:
            key = (top_module(node) or "root module",)
        groups.setdefault(key, []).append(node)
    with tempfile.TemporaryDirectory() as work:
        target = Path(work) / "overview"
        made: dict[str, object] = {}
        with Diagram("Infrastructure", filename=str(target), outformat="svg", show=False, direction="LR",
                     graph_attr={"fontsize": "12", "splines": "spline"}):
            tiers = sorted(k for k in groups if len(k) == 2)
            if tiers:
                with Cluster("VPC"):
                    for key in tiers:
                        with Cluster(key[1]):
                            _place(groups[key], made)
            for key in sorted(k for k in groups if len(k) == 1):
                with Cluster(key[0]):
                    _place(groups[key], made)
            for edge in infra.edges_of(CONNECTS, CAN_ACCESS):
                if edge.source in made and edge.target in made:
                    made[edge.source] >> Edge(style="dashed", label="network" if edge.kind == CONNECTS
                                              else "IRSA") >> made[edge.target]  # type: ignore[operator]
        return shared_images(inline_images((Path(work) / "overview.svg").read_text(encoding="utf-8")))


def _place(nodes: list[InfraNode], made: dict[str, object]) -> None:
    for node in sorted(nodes, key=lambda n: n.id):
        made[node.id] = _icon(node)(node_label(node).replace(" (", "\n("))


def infra_renders(model: ArchitectureModel, repo: Path, out: Path, timeout: float | None = None) -> list[str]:
    """Write the SVG renders under ``RENDERS_DIR``; returns problems, one ``path:line: message`` line each (never
    raises for them). Keyed by the infrastructure model it draws (an unchanged one is not drawn again) and drawn in
    a child process cut after ``timeout`` seconds (``render_timeout`` of the repository's config by default)."""
    if not model.infra.nodes:
        return []
    if shutil.which("dot") is None:
        return ["graphviz `dot` not found: infrastructure SVG skipped"]
    timeout = float(load_config(repo)[0].render_timeout) if timeout is None else timeout
    path = f"{RENDERS_DIR}/overview.svg"
    key = render_key(f"infrastructure;{dumps(model.infra)}")
    if drawn_from(out / path) == key:
        return []
    first = min((n.location for n in model.infra.nodes if n.location.path), default=None, key=lambda r: (r.path,
                                                                                                      r.line))
    where = f"{first.path}:{max(first.line, 1)}" if first else "README.md:1"
    command = [sys.executable, "-c", "from arrakis_docs.infra_renders import overview_main; overview_main()"]
    # Its own session, so a cut kills Graphviz with it (the diagrams library runs dot as a grandchild).
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        svg, errors = child.communicate(dumps(model.infra), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        (out / path).unlink(missing_ok=True)
        return [f"{where}: render cut: the infrastructure overview (diagrams + Graphviz) ran past render_timeout = "
                f"{timeout:g} s and was stopped; raise `render_timeout` under `[tool.arrakis-docs]` to get it"]
    if child.returncode != 0 or not svg:
        return [f"{where}: infrastructure SVG: {(errors.strip().splitlines() or ['no output'])[-1]}"]
    try:
        write_contained(out, path, marked(svg, key))
    except OutsideOutput as problem:  # the containment guard: reported, never written
        return [f"refused to write outside the output root: {problem}"]
    return []


def overview_main() -> None:
    """Child-process entry: the infrastructure model as JSON on stdin, the overview SVG on stdout."""
    infra = from_jsonable(InfraModel, json.loads(sys.stdin.read()))
    sys.stdout.write(overview_svg(infra))
