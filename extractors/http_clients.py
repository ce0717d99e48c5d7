"""Synchronous HTTP dependencies between services, read from the settings their clients are built from.

The platform's rule: a client to another service takes its base URL from a setting named ``<service_snake>_url``
(``httpx.Client(base_url=settings.audit_service_url)``). Reading such a setting is a use; declaring it in a settings
class is not. A use inside a shared library counts for every service that depends on that library.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from arrakis_docs.extractors.source_tree import SourceFile
from arrakis_docs.model.architecture import Service, SourceRef
from arrakis_docs.model.refs import Edge, entity_id

URL_SUFFIX = "_url"


@dataclass(frozen=True, order=True)
class UrlSettingUse:
    """``<something>.<setting>`` read at ``location`` where the setting name ends in ``_url``."""

    setting: str
    location: SourceRef


def url_setting_uses(files: list[SourceFile]) -> list[UrlSettingUse]:
    """Every read of a ``*_url`` attribute in the given files, sorted."""
    uses = set()
    for f in files:
        if f.tree is None:
            continue
        for node in ast.walk(f.tree):
            if isinstance(node, ast.Attribute) and node.attr.endswith(URL_SUFFIX) and isinstance(node.ctx, ast.Load):
                uses.add(UrlSettingUse(node.attr, SourceRef(f.path, node.lineno)))
    return sorted(uses)


def setting_name(service: Service) -> str:
    """The settings field that holds ``service``'s base URL (``audit-service`` -> ``audit_service_url``)."""
    return service.name.replace("-", "_") + URL_SUFFIX


def http_dependency_edges(caller: Service, uses: list[UrlSettingUse], services: list[Service]) -> list[Edge]:
    """``consumes-api`` and ``depends-on`` edges from ``caller`` to each service whose URL setting it reads."""
    by_setting = {setting_name(s): s for s in services}
    evidence: dict[str, list[SourceRef]] = {}
    for use in uses:
        target = by_setting.get(use.setting)
        if target is not None and target.name != caller.name:
            evidence.setdefault(target.name, []).append(use.location)
    edges = []
    for target, refs in sorted(evidence.items()):
        edges.append(Edge(caller.id, entity_id("api", target), "consumes-api", tuple(refs)))
        edges.append(Edge(caller.id, entity_id("service", target), "depends-on", tuple(refs)))
    return edges
