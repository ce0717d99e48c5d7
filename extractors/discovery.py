"""Service discovery: FastAPI applications found statically, enriched by service.yaml and pyproject.toml.

An application is a ``FastAPI(...)`` instance (or an instance of a ``FastAPI`` subclass) assigned at module level, or
an app factory: a function callable without arguments that returns one. A service is the application(s) under one
project root (the nearest folder holding a pyproject.toml, setup.py or service.yaml); a project root with no
application of its own is a library, whose facts are attributed to the services that depend on it.

A code folder no service owns and no service depends on (a project root, a folder with requirements.txt or a
Dockerfile, or a child of a services-like folder) is a candidate worker: a broker-only program, its entry point the
module it starts from. Extraction keeps it, as a service of type ``worker``, only when its files make broker calls.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.extractors.deploy_manifests import chart_names, compose_names, deployed_name
from arrakis_docs.extractors.fastapi_routes import RouteReader
from arrakis_docs.extractors.python_modules import (
    ModuleIndex,
    annotation_names,
    assigned_calls,
    call_name,
    dotted,
    statements,
)
from arrakis_docs.extractors.service_manifest import read_service_manifest
from arrakis_docs.extractors.source_tree import SourceFile, SourceTree, module_nodes
from arrakis_docs.extractors.symbols import SymbolResolver
from arrakis_docs.model.architecture import AppEntry, Diagnostic, Link, Service, Severity, SourceRef
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
    resolver: SymbolResolver | None = None  # shared name resolution (extractors reading the same modules reuse it)
    router_classes: set[str] = field(default_factory=lambda: {"APIRouter"})


def sanitise_name(text: str) -> str:
    """A name valid for Backstage: lowercase ``[a-z0-9]`` runs joined by single dashes, at most 63 characters."""
    name = _NAME_INVALID.sub("-", text.lower()).strip("-")
    return name[:63].rstrip("-") or "unnamed"


def normalise_requirement(text: str) -> str:
    """Distribution name of a requirement string, PEP 503-normalised (``Arrakis_Common>=1`` -> ``arrakis-common``)."""
    head = re.split(r"[\s<>=!~;\[@(]", text.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", head).lower()


def discover(tree: SourceTree, config: RepoConfig, repo_name: str) -> Discovery:
    """Find every FastAPI application and make each its own service (named, rooted, never merged silently)."""
    diagnostics: list[Diagnostic] = []
    projects = {p.root: p for p in (_read_project(tree, root, diagnostics) for root in _project_roots(tree))}
    index = ModuleIndex.build(tree, list(projects))
    resolver = SymbolResolver(index)
    for f in tree.python_files():
        if isinstance(f.parsed, Diagnostic):
            diagnostics.append(f.parsed)
    app_classes, app_functions, router_classes = _fastapi_names(tree)
    entries = [e for f in tree.python_files() for e in _app_entries(f, index, app_classes, app_functions)]
    diagnostics += _factories_without_apps(tree, app_functions, entries)
    entries = _unmounted(tree, resolver, entries)

    # Each app's code folder: the folder holding the package its imports name, inside its project.
    by_dir: dict[str, list[AppEntry]] = {}
    for entry in entries:
        by_dir.setdefault(_code_dir(entry, index, projects), []).append(entry)
    by_dir = _split_by_package(by_dir)
    groups: dict[str, list[str]] = {}  # project root -> code folders in it
    for folder in by_dir:
        groups.setdefault(_owning_root(folder + "/x" if folder else "x", projects), []).append(folder)
    compose, charts = compose_names(tree), chart_names(tree)
    _drop_nested_helpers(by_dir, groups, index, resolver, app_classes, app_functions, router_classes, diagnostics)

    services: list[Service] = []
    for folder, found in sorted(by_dir.items()):
        owner = _owning_root(folder + "/x" if folder else "x", projects)
        alone = len(groups[owner]) == 1  # the project is this one service: its root, pyproject and metadata
        root = owner if alone else folder
        project = projects.get(owner) or Project(owner, "")
        meta = _read_service_yaml(tree, root, diagnostics) or (
            _read_service_yaml(tree, folder, diagnostics) if folder != root else {})
        apps = _single_service_apps(_distinct_apps(found), index, resolver, app_classes, app_functions,
                                    router_classes, diagnostics)
        base = _base_name(meta, project if (alone or project.root == folder) else None, folder, compose, charts,
                          apps, tree, repo_name)
        for app in apps:
            service = _service(replace(project, root=root), meta, app, suffix=_suffix(app, apps), config=config,
                               base=base)
            services.append(service)
    used = {g for folders in groups.values() for g in folders} | set(groups)
    libraries = [p for r, p in sorted(projects.items()) if r not in used]
    _report_clashes(services, diagnostics)
    # A service whose metadata names no system joins the one its neighbours name most, else the repository's.
    named = Counter(s.system for s in services if s.system)
    fallback = min(named, key=lambda n: (-named[n], n)) if named else sanitise_name(repo_name)
    for service in services:
        service.system = service.system or fallback
    services += _worker_candidates(tree, projects, services, libraries, config, fallback)
    return Discovery(services, libraries, index, app_functions, app_classes, diagnostics, resolver, router_classes)


# Folders whose direct children are one program each (services/<name>/main.py).
PROGRAM_PARENTS = frozenset(("services", "workers", "apps", "consumers", "jobs"))
WORKER_MARKERS = ("pyproject.toml", "setup.py", "service.yaml", "requirements.txt", "Dockerfile")


def _worker_candidates(tree: SourceTree, projects: dict[str, Project], services: list[Service],
                       libraries: list[Project], config: RepoConfig, system: str) -> list[Service]:
    """Code folders no FastAPI service owns, each a possible broker-only program (type ``worker``); extraction
    keeps only those whose files make broker calls."""
    required = {r for s in services for r in s.requires}
    shared = {lib.root for lib in libraries if lib.name and normalise_requirement(lib.name) in required}
    folders = {str(PurePosixPath(p).parent) for p in tree.files if PurePosixPath(p).name in WORKER_MARKERS}
    folders |= {"/".join(parts[:i + 2]) for p in tree.files if p.endswith(".py")
                for parts in [PurePosixPath(p).parts] for i in range(len(parts) - 2) if parts[i] in PROGRAM_PARENTS}
    roots = [s.root for s in services]

    def related(folder: str, root: str) -> bool:
        return not root or not folder or folder == root or folder.startswith(f"{root}/") or root.startswith(
            f"{folder}/")

    candidates = sorted(f for f in folders if f not in ("", ".") and f not in shared
                        and "tests" not in PurePosixPath(f).parts and not any(related(f, r) for r in roots))
    # The innermost code folder is the program: a folder holding another candidate is a grouping of programs.
    candidates = [f for f in candidates if not any(o.startswith(f"{f}/") for o in candidates)]
    taken = {s.name for s in services}
    workers: list[Service] = []
    for folder in candidates:
        entry = _worker_entry(tree, folder)
        if entry is None:
            continue
        project = projects.get(folder) or Project(folder, "")
        meta = _read_service_yaml(tree, folder, []) if folder in projects else {}
        name = sanitise_name(str(meta.get("name") or project.name or PurePosixPath(folder).name))
        if name in taken:
            name = sanitise_name(f"{name}-worker")
        if name in taken:
            continue
        taken.add(name)
        worker = _service(replace(project, root=folder), meta, entry, suffix="", config=config, base=name)
        worker.type = "worker"
        worker.system = worker.system or system
        workers.append(worker)
    return workers


def _worker_entry(tree: SourceTree, folder: str) -> AppEntry | None:
    """Where a program starts: the module run as a script (``__main__`` guard, ``asyncio.run``), else its first."""
    files = [f for f in tree.under(folder) if f.path.endswith(".py") and "tests" not in PurePosixPath(f.path).parts
             and not PurePosixPath(f.path).name.startswith("test_") and f.tree is not None]
    if not files:
        return None

    def line_of(f: SourceFile) -> int:
        for node in module_nodes(f.tree):
            if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
                return node.lineno
            if isinstance(node, ast.Call) and (dotted(node.func) in ("asyncio.run", "anyio.run", "uvloop.run")
                                                  or call_name(node) == "run_until_complete"):
                return node.lineno
        return 0

    def made_app(f: SourceFile) -> tuple[str, int]:
        for node in statements(f.tree.body, False):  # ``app = FastStream(broker)``: the program's application object
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) and call_name(node.value) == "FastStream":
                return node.targets[0].id, node.lineno
        return "", 0

    attribute, line = "", 0
    chosen = next((f for f in files if made_app(f)[1]), None)
    if chosen is not None:
        attribute, line = made_app(chosen)
    else:
        chosen, line = next(((f, n) for f in files if (n := line_of(f))), (files[0], 1))
    relative = PurePosixPath(chosen.path).relative_to(folder).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return AppEntry(".".join(parts) or PurePosixPath(folder).name, attribute, "worker", folder,
                    SourceRef(chosen.path, line))


GENERIC_DIRS = frozenset(("app", "apps", "src", "api", "backend", "server", "service", "services", "code", "python",
                          "main", "lib", "web", "core", "application"))


def _code_dir(entry: AppEntry, index: ModuleIndex, projects: dict[str, Project]) -> str:
    owner = _owning_root(entry.location.path, projects)
    root = entry.import_root
    inside = root == owner or (root.startswith(f"{owner}/") if owner else bool(root))
    return root if inside and len(root) > len(owner) else owner


def _split_by_package(by_dir: dict[str, list[AppEntry]]) -> dict[str, list[AppEntry]]:
    """Apps of one import root that live in different packages (``services/files/app.py``,
    ``services/email/app.py``) are different services: each gets the folder where their paths part as its code
    folder."""
    out: dict[str, list[AppEntry]] = {}
    for folder, apps in by_dir.items():
        parents = [PurePosixPath(a.location.path).parent.parts for a in apps]
        common = 0
        while all(len(p) > common for p in parents) and len({p[common] for p in parents}) == 1:
            common += 1
        if len(apps) < 2 or any(len(p) <= common for p in parents) or common < len(PurePosixPath(folder).parts):
            out.setdefault(folder, []).extend(apps)
            continue
        for app, parts in zip(apps, parents, strict=True):
            out.setdefault("/".join(parts[: common + 1]), []).append(app)
    return out


def _base_name(meta: dict[str, Any], project: Project | None, folder: str, compose: dict[str, str],
               charts: dict[str, str], apps: list[AppEntry], tree: SourceTree, repo_name: str) -> str:
    """A service's name, in order: service.yaml, pyproject, deployment manifests, the factory's name argument,
    the folder (generic folder names such as app/src/api skipped)."""
    if meta.get("name"):
        return str(meta["name"])
    if project is not None and project.name:
        return project.name
    deployed = deployed_name(folder, compose, charts)
    if deployed:
        return deployed
    for app in apps:
        named = _factory_name_argument(app, tree)
        if named:
            return named
    parts = [p for p in PurePosixPath(folder).parts if p not in GENERIC_DIRS] if folder else []
    return parts[-1] if parts else repo_name


def _factory_name_argument(app: AppEntry, tree: SourceTree) -> str:
    """``create_app("orders")``, ``create_app(name="orders")`` or ``create_app(Config(name="orders"))``."""
    if app.kind != "instance" or app.made_by in ("FastAPI", ""):
        return ""
    f = tree.files.get(app.location.path)
    call = next((c for n, c, s in assigned_calls(f.tree.body) if n == app.attribute and s.lineno ==
                 app.location.line), None) if f and f.tree else None
    if call is None:
        return ""
    for candidate in (call, *(a for a in call.args if isinstance(a, ast.Call))):
        first = candidate.args[0] if candidate.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.strip():
            return first.value
        for key in ("name", "service_name", "title"):
            value = next((k.value for k in candidate.keywords if k.arg == key), None)
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.strip():
                return value.value
    return ""


def _factories_without_apps(tree: SourceTree, functions: set[str], entries: list[AppEntry]) -> list[Diagnostic]:
    """An app factory that needs arguments makes apps only where it is called; one never called is reported."""
    made = {e.made_by for e in entries} | {e.attribute for e in entries if e.kind == "factory"}
    called: set[str] = set()
    needing: list[tuple[SourceFile, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for f in tree.python_files():
        if f.tree is None:
            continue
        for stmt in f.tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in functions and (
                    not _callable_without_arguments(stmt)) and stmt.name not in made:
                needing.append((f, stmt))
    if not needing:
        return []
    names = {fn.name for _, fn in needing}
    for f in tree.python_files():
        if f.tree is not None and any(n in f.text for n in names):
            called |= {call_name(n) for n in module_nodes(f.tree) if isinstance(n, ast.Call) and call_name(n) in names}
    return [Diagnostic(f.path, fn.lineno, f"app factory {fn.name}() needs arguments and nothing calls it, so no "
                       f"app is documented from it; write `app = {fn.name}(...)` at module level where it is served",
                       Severity.WARNING)
            for f, fn in needing if fn.name not in called]


def _unmounted(tree: SourceTree, resolver: SymbolResolver, entries: list[AppEntry]) -> list[AppEntry]:
    """Apps mounted into another (``app.mount("/api", api)``) are part of that app's service, not services."""
    keys = {(e.location.path, e.attribute) for e in entries}
    mounted: set[tuple[str, str]] = set()
    for f in tree.python_files():
        if f.tree is None or ".mount(" not in f.text:
            continue
        for node in module_nodes(f.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "mount"):
                continue
            target = node.args[1] if len(node.args) >= 2 else next(
                (k.value for k in node.keywords if k.arg == "app"), None)
            if isinstance(target, ast.Name | ast.Attribute):
                found = resolver.resolve(f, target)
                if found is not None and found.kind == "value" and found.file is not None and found.function is None:
                    if (found.file.path, found.name) in keys and (found.file.path, found.name) != (f.path, ""):
                        mounted.add((found.file.path, found.name))
    mounters = {(e.location.path, e.attribute) for e in entries} - mounted
    return [e for e in entries if (e.location.path, e.attribute) not in mounted or not mounters]


def _drop_nested_helpers(by_dir: dict[str, list[AppEntry]], groups: dict[str, list[str]], index: ModuleIndex,
                         resolver: SymbolResolver, app_classes: set[str], app_functions: set[str],
                         router_classes: set[str], diagnostics: list[Diagnostic]) -> None:
    """A route-less app in a folder inside another service's code (a middleware's test app) is no service."""
    folders = sorted(by_dir)
    for folder in folders:
        outer = [o for o in folders if o != folder and (not o or folder.startswith(f"{o}/"))]
        if not outer:
            continue
        apps = by_dir[folder]
        reader = RouteReader(index, app_classes, app_functions, resolver, router_classes)
        if any(reader.read_app(a.location.path, a.attribute, a.kind).routes for a in apps):
            continue
        for app in apps:
            diagnostics.append(Diagnostic(app.location.path, app.location.line,
                                          f"app {app.attribute!r} has no routes and lives inside the code of "
                                          f"{outer[-1] or 'the repository root'}; not documented as a service",
                                          Severity.INFO))
        del by_dir[folder]
        for members in groups.values():
            if folder in members:
                members.remove(folder)


def _single_service_apps(apps: list[AppEntry], index: ModuleIndex, resolver: SymbolResolver, app_classes: set[str],
                         app_functions: set[str], router_classes: set[str],
                         diagnostics: list[Diagnostic]) -> list[AppEntry]:
    """Of several apps in one code folder, those without a single route are helpers (a test or middleware app)
    when another has routes: reported and left out."""
    if len(apps) < 2:
        return apps
    counts = {}
    for app in apps:
        reader = RouteReader(index, app_classes, app_functions, resolver, router_classes)
        counts[id(app)] = len(reader.read_app(app.location.path, app.attribute, app.kind).routes)
    if not any(counts.values()):
        return apps
    kept = [a for a in apps if counts[id(a)]]
    for app in apps:
        if not counts[id(app)]:
            diagnostics.append(Diagnostic(app.location.path, app.location.line,
                                          f"app {app.attribute!r} has no routes beside an app that has some in the "
                                          "same folder; not documented as a service of its own", Severity.INFO))
    return kept


# ---------------------------------------------------------------- projects and metadata


def _project_roots(tree: SourceTree) -> list[str]:
    roots = {str(PurePosixPath(p).parent) for p, f in tree.files.items()
             if PurePosixPath(p).name in PROJECT_MARKERS and _is_project_marker(p, f)}
    return sorted("" if r == "." else r for r in roots)


def _is_project_marker(path: str, f: SourceFile) -> bool:
    """A setup.py that calls setuptools/distutils ``setup(...)``; a service.yaml that is not a Kubernetes / Helm
    manifest (no apiVersion/kind keys, not under a chart's templates/); any pyproject.toml."""
    name = PurePosixPath(path).name
    if name == "setup.py":
        tree = f.tree
        return tree is not None and "setup" in f.text and any(
            isinstance(n, ast.Call) and call_name(n) == "setup" for n in module_nodes(tree))
    if name == "service.yaml":
        if "templates" in PurePosixPath(path).parts:
            return False
        return not re.search(r"(?m)^(apiVersion|kind)\s*:", f.text)
    return True


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


def _service(project: Project, meta: dict[str, Any], app: AppEntry, suffix: str, config: RepoConfig,
             base: str = "") -> Service:
    base = base or str(meta.get("name") or project.name)
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
        slos=slo_mapping(meta.get("slos")),
        requires=project.requires,
        metadata_source=source,
        manifest=str(meta.get("__path__", "")),
    )


def slo_mapping(slos: Any) -> dict[str, Any]:
    """service.yaml's ``slos`` as one mapping of name to fields, whichever of its two forms (list or mapping) the
    file uses, so a listed objective is never lost."""
    if isinstance(slos, dict):
        return dict(slos)
    if isinstance(slos, list):
        return {str(item["name"]): {k: v for k, v in item.items() if k != "name"}
                for item in slos if isinstance(item, dict) and item.get("name")}
    return {}


def _report_clashes(services: list[Service], diagnostics: list[Diagnostic]) -> None:
    """Two services never share a name: the later one gets its folder (or a number) as a suffix, and a warning."""
    taken: dict[str, Service] = {}
    for service in services:
        if service.name not in taken:
            taken[service.name] = service
            continue
        other = taken[service.name]
        hints = [p for p in reversed(PurePosixPath(service.root or service.app.location.path).parts)
                 if p not in GENERIC_DIRS and sanitise_name(p) not in service.name]
        hints += [p for p in reversed(service.app.module.split(".")) if p not in GENERIC_DIRS]
        new = next((sanitise_name(f"{service.name}-{h}") for h in hints
                    if sanitise_name(f"{service.name}-{h}") not in taken), "")
        number = 2
        while not new or new in taken:
            new, number = sanitise_name(f"{service.name}-{number}"), number + 1
        diagnostics.append(Diagnostic(service.app.location.path, service.app.location.line,
                                      f"service name {service.name!r} also used by {other.app.location}; this one is "
                                      f"named {new!r} (give it a name in service.yaml or pyproject.toml)",
                                      Severity.WARNING))
        service.name, service.id = new, entity_id("service", new)
        taken[new] = service


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


def _fastapi_names(tree: SourceTree) -> tuple[set[str], set[str], set[str]]:
    """Names of FastAPI (sub)classes, of functions returning an app, and of APIRouter (sub)classes, across the
    whole repository (``from fastapi import FastAPI as Base`` makes ``Base`` one of them)."""
    class_bases: list[tuple[str, set[str]]] = []
    shapes: list[_FunctionShape] = []
    classes = {"FastAPI"}
    routers = {"APIRouter"}
    for f in tree.python_files():
        for node in statements(f.tree.body) if f.tree is not None else ():
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("fastapi", "starlette"):
                for alias in node.names:
                    if alias.asname and alias.name in ("FastAPI", "APIRouter"):
                        (classes if alias.name == "FastAPI" else routers).add(alias.asname)
            elif isinstance(node, ast.ClassDef):
                class_bases.append((node.name, {call_name(b) for b in node.bases}))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                shapes.append(_shape(node))
    functions: set[str] = set()
    changed = True
    while changed:  # a fixpoint: subclasses of subclasses, factories calling factories
        before = len(classes) + len(functions) + len(routers)
        classes |= {name for name, bases in class_bases if bases & classes}
        routers |= {name for name, bases in class_bases if bases & routers}
        makers = classes | functions
        functions |= {s.name for s in shapes if s.annotation & classes or (s.returned_calls | s.returned_via) & makers}
        changed = len(classes) + len(functions) + len(routers) != before
    return classes, functions, routers


def _callable_without_arguments(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = fn.args
    positional = args.posonlyargs + args.args
    return len(args.defaults) == len(positional) and all(d is not None for d in args.kw_defaults)


def _app_entries(f: SourceFile, index: ModuleIndex, classes: set[str], functions: set[str]) -> list[AppEntry]:
    module = f.tree
    name = index.module_name(f)
    if module is None or not name:
        return []
    root = index.import_root(f)
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
    parts = [p for p in app.module.split(".") if p not in {"main", "__main__"} | GENERIC_DIRS]
    return parts[-1] if parts else app.attribute
