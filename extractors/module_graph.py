"""Module dependencies of one service: pydeps (``--show-deps`` JSON) for the graph, the AST for file:line evidence.

pydeps' module finder would crawl every third-party package it meets (seconds per service), so every top-level name
the service imports that is not its own package is passed to ``-x``: only the service's own modules are scanned.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from arrakis_docs.extractors.source_tree import SourceFile, module_nodes
from arrakis_docs.model.code import ModuleImport, PackageImport
from arrakis_docs.model.refs import Diagnostic, Severity, SourceRef

PYDEPS_TIMEOUT = 60.0


@dataclass
class SourceModules:
    """Dotted module name <-> file for a set of files, named by their package folders (``__init__.py`` chains)."""

    by_name: dict[str, SourceFile] = field(default_factory=dict)
    name_of: dict[str, str] = field(default_factory=dict)  # path -> module
    root_of: dict[str, str] = field(default_factory=dict)  # top-level package -> import root folder
    imports_of: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # path -> imported_names, memoised

    @classmethod
    def of(cls, files: list[SourceFile]) -> SourceModules:
        """Name each ``.py`` file after the chain of package folders above it."""
        paths = {f.path for f in files}
        modules = cls()
        for f in files:
            parts = list(PurePosixPath(f.path).with_suffix("").parts)
            depth = 1  # the file itself
            while depth < len(parts) and "/".join([*parts[: len(parts) - depth], "__init__.py"]) in paths:
                depth += 1
            name_parts = parts[len(parts) - depth:]
            if name_parts[-1] == "__init__":
                name_parts.pop()
            if not name_parts or not all(p.isidentifier() for p in name_parts):
                continue
            name = ".".join(name_parts)
            modules.by_name.setdefault(name, f)
            modules.name_of[f.path] = name
            modules.root_of.setdefault(name_parts[0], "/".join(parts[: len(parts) - depth]))
        return modules

    def is_package(self, name: str) -> bool:
        """Whether ``name`` is a package (its file is an ``__init__.py``)."""
        f = self.by_name.get(name)
        return f is not None and f.path.endswith("/__init__.py")


def imported_names(f: SourceFile, modules: SourceModules) -> list[tuple[str, int]]:
    """Absolute names of every module imported by ``f`` (``from a import b`` gives ``a`` and ``a.b``), with lines."""
    known = modules.imports_of.get(f.path)
    if known is None:  # three readers ask for every file: walk each tree once
        known = modules.imports_of[f.path] = _imported_names(f, modules)
    return known


def _imported_names(f: SourceFile, modules: SourceModules) -> list[tuple[str, int]]:
    tree = f.tree
    if tree is None:
        return []
    current = modules.name_of.get(f.path, "")
    found: list[tuple[str, int]] = []
    for node in module_nodes(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(current, modules.is_package(current), node)
            if not base:
                continue
            found.append((base, node.lineno))
            found.extend((f"{base}.{alias.name}", node.lineno) for alias in node.names
                         if f"{base}.{alias.name}" in modules.by_name)
    return found


def absolute_module(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module ``from ... import`` in module ``current`` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def imported_tops(own_files: list[SourceFile], modules: SourceModules) -> set[str]:
    """Every top-level name the files import (what pydeps must not crawl into, besides the service itself)."""
    return {name.split(".")[0] for f in own_files for name, _ in imported_names(f, modules)} - {""}


def package_imports(own_files: list[SourceFile], modules: SourceModules, own: set[str]) -> list[PackageImport]:
    """Top-level packages the service's own files import, other than the standard library and its own packages."""
    found = set()
    for f in own_files:
        for name, line in imported_names(f, modules):
            top = name.split(".")[0]
            if top and top not in own and top not in sys.stdlib_module_names and top != "__future__":
                found.add(PackageImport(top, SourceRef(f.path, line)))
    return sorted(found)


def ast_imports(own_files: list[SourceFile], modules: SourceModules, own: set[str]) -> list[ModuleImport]:
    """Edges between the service's own modules as the AST sees them, each with the line of its import."""
    edges = set()
    for f in own_files:
        source = modules.name_of.get(f.path)
        for name, line in imported_names(f, modules) if source else []:
            target = _known(name, modules)
            if target and target != source and target.split(".")[0] in own:
                edges.add(ModuleImport(source, target, SourceRef(f.path, line)))
    return sorted(edges)


def _known(name: str, modules: SourceModules) -> str:
    """The longest prefix of ``name`` that is a module of ours (``pkg.mod.func`` -> ``pkg.mod``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules.by_name:
            return candidate
    return ""


def pydeps_imports(repo: Path, package: str, modules: SourceModules, excluded: list[str], own: set[str],
                   evidence: list[ModuleImport]) -> tuple[list[ModuleImport] | None, Diagnostic | None]:
    """The module graph pydeps finds for ``package``, edges carrying the AST's file:line; None when it cannot run."""
    root = modules.root_of.get(package)
    init = modules.by_name.get(package)
    if root is None or init is None:
        return None, None
    command = [sys.executable, "-m", "pydeps", package, "--show-deps", "--no-output", "--no-config"]
    if excluded:
        command += ["-x", *sorted(excluded)]
    try:
        done = subprocess.run(command, cwd=repo / root, capture_output=True, text=True, timeout=PYDEPS_TIMEOUT,
                              check=False)
        graph = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        graph, done = None, None
        reason = str(exc)
    else:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
    if not isinstance(graph, dict):
        return None, Diagnostic(init.path, 1, f"pydeps failed, module graph read from the AST: {reason}",
                                Severity.WARNING)
    lines: dict[tuple[str, str], SourceRef] = {}
    for edge in evidence:
        lines.setdefault((edge.source, edge.target), edge.location)
    edges = []
    for source, info in sorted(graph.items()):
        if source.split(".")[0] not in own or source not in modules.by_name:
            continue
        for target in sorted(info.get("imports", []) if isinstance(info, dict) else []):
            if target == source or target.split(".")[0] not in own or target not in modules.by_name:
                continue
            where = lines.get((source, target)) or _nearest(lines, source, target, modules.by_name[source].path)
            edges.append(ModuleImport(source, target, where))
    return edges, None


def _nearest(lines: dict[tuple[str, str], SourceRef], source: str, target: str, path: str) -> SourceRef:
    """pydeps adds the parent packages of ``import a.b.c``: point them at the import of the submodule."""
    found = sorted(ref for (s, t), ref in lines.items() if s == source and t.startswith(f"{target}."))
    return found[0] if found else SourceRef(path, 1)  # the module as a whole: its first line, never :0


def cycles(modules: list[str], edges: list[ModuleImport]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)
