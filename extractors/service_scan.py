"""Extraction of one service, independent of every other (so it can run in parallel and be cached by content hash),
and the linking step that joins the per-service results into one model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arrakis_docs.extractors.code_structure import service_code
from arrakis_docs.extractors.datastores import datastores_for, store_use
from arrakis_docs.extractors.discovery import Discovery, Project, normalise_requirement
from arrakis_docs.extractors.http_clients import UrlSettingUse, http_service_edges, http_uses, service_aliases
from arrakis_docs.extractors.import_session import ImportSession
from arrakis_docs.extractors.nats_usage import service_events
from arrakis_docs.extractors.openapi import import_spec, static_spec, url_spec
from arrakis_docs.extractors.options import ExtractOptions
from arrakis_docs.extractors.prometheus_metrics import service_metrics
from arrakis_docs.extractors.service_objectives import service_objectives
from arrakis_docs.extractors.source_tree import SourceTree
from arrakis_docs.model.architecture import (
    Api,
    ArchitectureModel,
    Datastore,
    Diagnostic,
    RepoInfo,
    Service,
    Severity,
    SpecMode,
)
from arrakis_docs.model.code import CodeModel
from arrakis_docs.model.events import EventModel
from arrakis_docs.model.monitoring import MonitoringModel
from arrakis_docs.model.refs import Edge, entity_id


@dataclass
class ServiceExtraction:
    """Everything found for one service before linking."""

    service: Service
    api: Api | None = None
    datastores: list[Datastore] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    url_uses: list[UrlSettingUse] = field(default_factory=list)
    http_names: dict[str, str] = field(default_factory=dict)  # names other services reach this one by -> its name
    events: EventModel = field(default_factory=EventModel)
    code: CodeModel = field(default_factory=CodeModel)
    monitoring: MonitoringModel = field(default_factory=MonitoringModel)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def libraries_of(service: Service, discovery: Discovery) -> list[Project]:
    """The repository's libraries this service declares as dependencies."""
    wanted = set(service.requires)
    return [lib for lib in discovery.libraries if lib.name and normalise_requirement(lib.name) in wanted]


def input_directories(service: Service, discovery: Discovery) -> list[str]:
    """Folders whose content decides this service's extraction: its own root and its libraries' roots."""
    return sorted({service.root, *(lib.root for lib in libraries_of(service, discovery))})


def extract_service(repo: Path, tree: SourceTree, discovery: Discovery, service: Service,
                    options: ExtractOptions) -> ServiceExtraction:
    """API spec, datastores and outgoing-call evidence of one service. Reads files only through ``tree``."""
    result = ServiceExtraction(service)
    libraries = libraries_of(service, discovery)
    files = [f for d in input_directories(service, discovery) for f in tree.under(d) if f.path.endswith(".py")]
    if service.app.kind == "worker":
        # A broker-only program: no HTTP API, so only its broker and HTTP-client use are read.
        result.events = service_events(repo, service, files, options, result.diagnostics)
        result.url_uses = http_uses(repo, service, files)
        result.monitoring = _monitoring(tree, service, files, result)
        return result
    # One sandboxed interpreter imports the service's code once for its API, event schemas and tables.
    with ImportSession(options.python, options.import_timeout) as imports:
        result.api = _api(repo, discovery, service, libraries, options, result.diagnostics, imports)
        result.events = service_events(repo, service, files, options, result.diagnostics, imports)
        result.code = service_code(repo, service, files, options, result.diagnostics, imports)
    result.url_uses = http_uses(repo, service, files)
    result.http_names = service_aliases(repo, [service])
    result.datastores, result.edges = datastores_for(service.id, service.name, store_use(files), options.streams)
    if result.api is not None:
        result.edges.append(Edge(service.id, result.api.id, "provides-api"))
    result.monitoring = _monitoring(tree, service, files, result)
    return result


def _monitoring(tree: SourceTree, service: Service, files: list, result: ServiceExtraction) -> MonitoringModel:
    """The metrics the service's code defines and the objectives it is held to (declared, else by tier)."""
    metrics = service_metrics(service.name, files, result.diagnostics)
    manifest = tree.files.get(service.manifest) if service.manifest else None
    objectives = service_objectives(service, result.api, result.events.usages, metrics,
                                    manifest.text if manifest else "", result.diagnostics)
    return MonitoringModel(metrics=metrics, objectives=objectives)


def _api(repo: Path, discovery: Discovery, service: Service, libraries: list[Project], options: ExtractOptions,
         diagnostics: list[Diagnostic], imports: ImportSession) -> Api | None:
    document: dict[str, Any] | None = None
    mode = SpecMode.IMPORT
    url = options.spec_urls.get(service.name)
    if url:
        mode = SpecMode.URL
        try:
            document = url_spec(url, options.import_timeout)
        except (OSError, ValueError) as exc:
            location = service.app.location
            diagnostics.append(Diagnostic(location.path, location.line, f"cannot read {url}: {exc}", Severity.WARNING))
    if document is None and not options.static_only:
        mode = SpecMode.IMPORT
        roots = [lib.root for lib in libraries]
        document, problems = import_spec(service, repo, roots, imports)
        diagnostics.extend(problems)
    if document is None:
        mode = SpecMode.STATIC
        document, problems = static_spec(service, discovery.index, discovery.app_classes, discovery.app_functions,
                                         discovery.resolver, discovery.router_classes)
        diagnostics.extend(problems)
    info = document.get("info", {}) if isinstance(document.get("info"), dict) else {}
    return Api(
        id=entity_id("api", service.name),
        name=service.name,
        service=service.name,
        kind="openapi",
        mode=mode,
        document=document,
        title=str(info.get("title", service.name)),
        version=str(info.get("version", service.version)),
    )


def link(repo: RepoInfo, extractions: list[ServiceExtraction], diagnostics: list[Diagnostic]) -> ArchitectureModel:
    """Join per-service results: resolve calls between services and merge shared datastores."""
    # A worker candidate that makes no broker call is not a program of its own (a script, a tool, a library).
    extractions = [x for x in extractions if x.service.app.kind != "worker" or x.events.usages or x.events.streams]
    services = [x.service for x in extractions]
    model = ArchitectureModel(repo=repo, services=services, diagnostics=list(diagnostics))
    aliases: dict[str, str] = {}
    for x in sorted(extractions, key=lambda x: x.service.name):
        for alias, name in sorted(x.http_names.items()):
            aliases.setdefault(alias, name)
    for x in extractions:
        if x.api is not None:
            model.apis.append(x.api)
        model.datastores.extend(x.datastores)
        model.edges.extend(x.edges)
        model.edges.extend(http_service_edges(x.service, x.url_uses, aliases, model.diagnostics))
        model.diagnostics.extend(x.diagnostics)
        model.events.merge(x.events)
        model.code.merge(x.code)
        model.monitoring.merge(x.monitoring)
    model.events.link(model)
    return model.normalise()
