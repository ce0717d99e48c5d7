"""Service discovery: FastAPI applications found statically, enriched by service.yaml and pyproject.toml.

An application is a ``FastAPI(...)`` instance (or an instance of a ``FastAPI`` subclass) assigned at module level, or
an app factory: a function callable without arguments that returns one. A service is the application(s) under one
project root (the nearest folder holding a pyproject.toml, setup.py or service.yaml); a project root with no
application of its own is a library, whose facts are attributed to the services that depend on it.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.extractors.python_modules import ModuleIndex, annotation_names, assigned_calls, call_name, statements
from arrakis_docs.extractors.service_manifest import read_service_manifest
from arrakis_docs.extractors.source_tree import SourceFile, SourceTree
from arrakis_docs.model.architecture import AppEntry, Diagnostic, Link, Service, SourceRef
from arrakis_docs.model.refs import entity_id

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "service.yaml")
_NAME_INVALID = re.compile(r"[^a-z0-9]+")


@dataclass
class Project:
    """A folder holding a pyproject.toml (or setup.py / service.yaml)."""

    root: str
    name: str
    version: str = "0.0.0"
    description: str = ""
    requires: list[str] = field(default_factory=list)


@dataclass
class Discovery:
    """What discovery found: services, the libraries they may use, and the module index both share."""

    services: list[Service]
    libraries: list[Project]
    index: ModuleIndex
    app_functions: set[str]
    app_classes: set[str]
    diagnostics: list[Diagnostic]


def sanitise_name(text: str) -> str:
    """A name valid for Backstage: lowercase ``[a-z0-9]`` runs joined by single dashes, at most 63 characters."""
    name = _NAME_INVALID.sub("-", text.lower()).strip("-")
    return name[:63].rstrip("-") or "unnamed"


def normalise_requirement(text: str) -> str:
    """Distribution name of a requirement string, PEP 503-normalised (``Arrakis_Common>=1`` -> ``arrakis-common``)."""
    head = re.split(r"[\s<>=!~;\[@(]", text.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", head).lower()


def discover(tree: SourceTree, config: RepoConfig, repo_name: str) -> Discovery:
    """Find every FastAPI application and group them into services."""
    diagnostics: list[Diagnostic] = []
    projects = {p.root: p for p in (_read_project(tree, root, diagnostics) for root in _project_roots(tree))}
    index = ModuleIndex.build(tree, list(projects))
    for f in tree.python_files():
        if isinstance(f.parsed, Diagnostic):
            diagnostics.append(f.parsed)
    app_classes, app_functions = _fastapi_names(tree)
    entries = [e for f in tree.python_files() for e in _app_entries(f, index, app_classes, app_functions)]

    by_root: dict[str, list[AppEntry]] = {}
    for entry in entries:
        by_root.setdefault(_owning_root(entry.location.path, projects), []).append(entry)

    services: list[Service] = []
    for root, found in sorted(by_root.items()):
        apps = _distinct_apps(found)
        project = projects.get(root) or Project(root, repo_name if not root else PurePosixPath(root).name)
        meta = _read_service_yaml(tree, root, diagnostics)
        for app in apps:
            services.append(_service(project, meta, app, suffix=_suffix(app, apps), config=config))
    libraries = [p for r, p in sorted(projects.items()) if r not in by_root]
    _report_clashes(services, diagnostics)
    # A service whose metadata names no system joins the one its neighbours name most, else the repository's.
    named = Counter(s.system for s in services if s.system)
    fallback = min(named, key=lambda n: (-named[n], n)) if named else sanitise_name(repo_name)
    for service in services:
        service.system = service.system or fallback
    return Discovery(services, libraries, index, app_functions, app_classes, diagnostics)


# ---------------------------------------------------------------- projects and metadata


def _project_roots(tree: SourceTree) -> list[str]:
    roots = {str(PurePosixPath(p).parent) for p in tree.files if PurePosixPath(p).name in PROJECT_MARKERS}
    return sorted("" if r == "." else r for r in roots)


def _read_project(tree: SourceTree, root: str, diagnostics: list[Diagnostic]) -> Project:
    path = f"{root}/pyproject.toml" if root else "pyproject.toml"
    project = Project(root, PurePosixPath(root).name if root else "")
    if path not in tree.files:
        return project
    try:
        data: dict[str, Any] = tomllib.loads(tree.files[path].text).get("project", {})
    except tomllib.TOMLDecodeError as exc:
        diagnostics.append(Diagnostic(path, getattr(exc, "lineno", 0) or 0, f"cannot read pyproject.toml: {exc}"))
        return project
    project.name = str(data.get("name") or project.name)
    project.version = str(data.get("version") or project.version)
    project.description = str(data.get("description") or "")
    project.requires = sorted({normalise_requirement(r) for r in data.get("dependencies", []) if isinstance(r, str)})
    return project


def _read_service_yaml(tree: SourceTree, root: str, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    path = f"{root}/service.yaml" if root else "service.yaml"
    if path not in tree.files:
        return {}
    # Checked against the published schema: wrong types are reported and dropped, never coerced.
    return read_service_manifest(path, tree.files[path].text, diagnostics)


def _owning_root(path: str, projects: dict[str, Project]) -> str:
    parent = PurePosixPath(path).parent
    for candidate in (parent, *parent.parents):
        key = "" if str(candidate) == "." else str(candidate)
        if key in projects:
            return key
    return ""


def _service(project: Project, meta: dict[str, Any], app: AppEntry, suffix: str, config: RepoConfig) -> Service:
    base = str(meta.get("name") or project.name)
    name = sanitise_name(f"{base}-{suffix}" if suffix else base)
    links = [
        Link(str(link.get("title", link.get("url", ""))), str(link["url"]))
        for link in meta.get("links") or []
        if isinstance(link, dict) and link.get("url")
    ]
    package = app.module.split(".")[0]
    source = "service.yaml" if meta else ("pyproject.toml" if project.description else "defaults")
    return Service(
        id=entity_id("service", name),
        name=name,
        root=project.root,
        app=app,
        package=package,
        version=project.version,
        description=str(meta.get("description") or project.description or f"The {name} application."),
        owner=sanitise_name(str(meta.get("owner") or config.default_owner)),
        lifecycle=str(meta.get("lifecycle") or "production"),
        tier=str(meta.get("tier") or ""),
        system=sanitise_name(str(meta.get("system") or config.system)) if meta.get("system") or config.system else "",
        domain=sanitise_name(str(meta.get("domain") or config.domain)) if meta.get("domain") or config.domain else "",
        type=str(meta.get("type") or "service"),
        links=sorted(links),
        slos=meta.get("slos") if isinstance(meta.get("slos"), dict) else {},
        requires=project.requires,
        metadata_source=source,
    )


def _report_clashes(services: list[Service], diagnostics: list[Diagnostic]) -> None:
    seen: dict[str, Service] = {}
    for service in services:
        if service.name in seen:
            other = seen[service.name]
            diagnostics.append(
                Diagnostic(service.app.location.path, service.app.location.line,
                           f"service name {service.name!r} also used by {other.app.location}; keeping the first")
            )
    # Keep the first of each name so ids stay unique; the diagnostic tells the user which one was dropped.
    services[:] = list({s.name: s for s in reversed(services)}.values())[::-1]


# ---------------------------------------------------------------- finding applications


@dataclass(frozen=True)
class _FunctionShape:
    """What decides whether a function returns an app, read once per function."""

    name: str
    annotation: frozenset[str]
    returned_calls: frozenset[str]  # return X(...)
    returned_via: frozenset[str]  # v = X(...); return v


def _shape(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> _FunctionShape:
    assigned = {name: call_name(call) for name, call, _ in assigned_calls(fn.body)}
    calls, via = set(), set()
    for node in statements(fn.body, into_definitions=False):  # a nested function's return is not this one's
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
            calls.add(call_name(node.value))
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and node.value.id in assigned:
            via.add(assigned[node.value.id])
    return _FunctionShape(fn.name, frozenset(annotation_names(fn.returns)), frozenset(calls), frozenset(via))


def _fastapi_names(tree: SourceTree) -> tuple[set[str], set[str]]:
    """Names of FastAPI (sub)classes and of functions returning an app, across the whole repository."""
    class_bases: list[tuple[str, set[str]]] = []
    shapes: list[_FunctionShape] = []
    for f in tree.python_files():
        for node in statements(f.tree.body) if f.tree is not None else ():
            if isinstance(node, ast.ClassDef):
                class_bases.append((node.name, {call_name(b) for b in node.bases}))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                shapes.append(_shape(node))
    classes = {"FastAPI"}
    functions: set[str] = set()
    changed = True
    while changed:  # a fixpoint: subclasses of subclasses, factories calling factories
        before = len(classes) + len(functions)
        classes |= {name for name, bases in class_bases if bases & classes}
        makers = classes | functions
        functions |= {s.name for s in shapes if s.annotation & classes or (s.returned_calls | s.returned_via) & makers}
        changed = len(classes) + len(functions) != before
    return classes, functions


def _callable_without_arguments(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = fn.args
    positional = args.posonlyargs + args.args
    return len(args.defaults) == len(positional) and all(d is not None for d in args.kw_defaults)


def _app_entries(f: SourceFile, index: ModuleIndex, classes: set[str], functions: set[str]) -> list[AppEntry]:
    module = f.tree
    name = index.module_name(f)
    if module is None or not name:
        return []
    root = index.root_of[name]
    entries = []
    for stmt in module.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in functions:
            if _callable_without_arguments(stmt) and not isinstance(stmt, ast.AsyncFunctionDef):
                entries.append(AppEntry(name, stmt.name, "factory", root, SourceRef(f.path, stmt.lineno)))
    for target, call, stmt in assigned_calls(module.body):
        if call_name(call) in classes | functions:
            location = SourceRef(f.path, stmt.lineno)
            entries.append(AppEntry(name, target, "instance", root, location, made_by=call_name(call)))
    return entries


def _distinct_apps(entries: list[AppEntry]) -> list[AppEntry]:
    """One entry per application: an instance made by calling a factory found beside it is that factory's app."""
    factories = {e.attribute for e in entries if e.kind == "factory"}
    ordered = sorted(entries, key=lambda e: (e.kind != "factory", e.location))
    return [e for e in ordered if not (e.kind == "instance" and e.made_by in factories)]


def _suffix(app: AppEntry, apps: list[AppEntry]) -> str:
    if len(apps) == 1:
        return ""
    parts = app.module.split(".")
    return parts[-2] if len(parts) > 1 and parts[-1] in {"main", "app", "__main__"} else parts[-1]
