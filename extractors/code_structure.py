"""Per-service extraction into ``CodeModel`` (see ``arrakis_docs.model.code``): the module graph (pydeps + AST), the
packages the service imports, the classes of its core modules and the tables of its database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from arrakis_docs.extractors.class_graph import ClassResolver, core_classes
from arrakis_docs.extractors.er_schema import import_tables, mapped_classes, static_tables
from arrakis_docs.extractors.import_session import ImportSession, session_or_own
from arrakis_docs.extractors.module_graph import (
    SourceModules,
    ast_imports,
    cycles,
    imported_tops,
    package_imports,
    pydeps_imports,
)
from arrakis_docs.model.code import CodeModel, ServiceCode
from arrakis_docs.model.refs import Diagnostic, SourceRef

if TYPE_CHECKING:
    from arrakis_docs.extractors.options import ExtractOptions
    from arrakis_docs.extractors.source_tree import SourceFile
    from arrakis_docs.model.architecture import Service


def service_code(repo: Path, service: Service, files: list[SourceFile], options: ExtractOptions,
                 diagnostics: list[Diagnostic], imports: ImportSession | None = None) -> CodeModel:
    """What this service's Python files (its own and its libraries') say; problems go to ``diagnostics``. Tables are
    imported through ``imports`` (the service's shared session; one of its own when None)."""
    prefix = f"{service.root}/" if service.root else ""
    own_files = [f for f in files if f.path.startswith(prefix)]
    modules = SourceModules.of(files)
    # Top-level packages only: a loose script such as migrations/env.py is not a package of the service.
    own = {modules.name_of[f.path].split(".")[0] for f in own_files
           if f.path.endswith("/__init__.py") and f.path in modules.name_of}  # a folder like a-b/ names no module
    own |= {service.app.module.split(".")[0]} | ({service.package} if service.package else set())
    own &= set(modules.root_of)
    code = ServiceCode(service=service.name, packages=sorted(own))
    code.libraries = sorted(p for p in modules.root_of if p not in own and modules.is_package(p))
    code.modules = sorted(n for n in modules.by_name if n.split(".")[0] in own)
    code.package_imports = package_imports(own_files, modules, own)
    evidence = ast_imports(own_files, modules, own)
    code.imports, code.graph_source = _module_graph(repo, own_files, modules, own, evidence, diagnostics)
    code.cycles = cycles(code.modules, code.imports)

    resolver = ClassResolver(modules)
    code.classes = core_classes(resolver, own)
    statics = static_tables(resolver, own)
    code.tables, code.schema_source = statics, "static" if statics else ""
    mapped = mapped_classes(resolver, own)
    if mapped and not options.static_only:
        roots = sorted({str(repo / modules.root_of[p]) for p in modules.root_of})
        where = SourceRef(mapped[0].path, mapped[0].node.lineno)
        with session_or_own(imports, options.python, options.import_timeout) as session:
            imported, problem = import_tables(sorted({c.module for c in mapped}), roots, session, where)
        if imported is not None:
            located = {t.mapped_by: t.location for t in statics}
            for table in imported:
                table.location = located.get(table.mapped_by, SourceRef(""))
            code.tables, code.schema_source = imported, "import"
        if problem is not None:
            diagnostics.append(problem)
    return CodeModel(services=[code.normalise()])


def _module_graph(repo: Path, own_files: list[SourceFile], modules: SourceModules, own: set[str], evidence: list,
                  diagnostics: list[Diagnostic]) -> tuple[list, str]:
    """pydeps' graph of each own package; the AST's when pydeps cannot run."""
    excluded = sorted(imported_tops(own_files, modules) - own)
    edges = []
    for package in sorted(own):
        found, problem = pydeps_imports(repo, package, modules, excluded, own, evidence)
        if problem is not None:
            diagnostics.append(problem)
        if found is None:
            return evidence, "ast"
        edges.extend(found)
    return edges, "pydeps"

