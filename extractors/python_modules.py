"""Python modules of a repository by dotted name, and the small AST questions every extractor asks."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from arrakis_docs.extractors.source_tree import SourceFile, SourceTree


@dataclass
class ModuleIndex:
    """Dotted module name -> source file, for every import root of the repository."""

    by_name: dict[str, SourceFile] = field(default_factory=dict)
    root_of: dict[str, str] = field(default_factory=dict)  # module name -> import root it was found under
    name_of: dict[str, str] = field(default_factory=dict)  # file path -> module name

    @classmethod
    def build(cls, tree: SourceTree, project_roots: list[str]) -> ModuleIndex:
        """Name each Python file after the deepest project root (or its ``src/``) that holds it."""
        index = cls()
        roots = sorted(set(project_roots) | {""}, key=lambda r: (-len(PurePosixPath(r).parts), r))
        for f in tree.python_files():
            root = import_root_of(f.path, roots, tree)
            rel = PurePosixPath(f.path).relative_to(root) if root else PurePosixPath(f.path)
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if not parts:
                continue
            name = ".".join(parts)
            if name not in index.by_name:
                index.by_name[name] = f
                index.root_of[name] = root
                index.name_of[f.path] = name
        return index

    def module_name(self, f: SourceFile) -> str:
        """The dotted name a file was indexed under."""
        return self.name_of.get(f.path, "")

    def resolve(self, current: str, is_package: bool, node: ast.ImportFrom) -> str:
        """Absolute module name an ``from X import ...`` refers to, relative imports included."""
        if not node.level:
            return node.module or ""
        base = current.split(".") if is_package else current.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
        return ".".join([*base, node.module] if node.module else base)


def import_root_of(path: str, roots: list[str], tree: SourceTree) -> str:
    """The deepest project root containing ``path``; its ``src/`` folder when the file lives there."""
    for root in roots:
        prefix = f"{root}/" if root else ""
        if path.startswith(prefix):
            src = f"{prefix}src/"
            return f"{prefix}src" if path.startswith(src) else root
    return ""


def call_name(node: ast.AST) -> str:
    """``foo`` for ``foo(...)`` or ``x.foo(...)``; empty for anything else."""
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a Name/Attribute chain; empty otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr}" if head else ""
    return ""


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name`` of a call, if given."""
    return next((k.value for k in call.keywords if k.arg == name), None)


def literal(node: ast.AST | None, default: object = None) -> object:
    """The Python value of a literal expression, or ``default`` when it is not one."""
    if node is None:
        return default
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return default


def assigned_calls(body: list[ast.stmt]) -> list[tuple[str, ast.Call, ast.stmt]]:
    """``(name, call, statement)`` for each ``name = call(...)`` / ``name: T = call(...)`` directly in ``body``."""
    found = []
    for stmt in body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found.append((target.id, stmt.value, stmt))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.value, ast.Call) and isinstance(stmt.target, ast.Name):
            found.append((stmt.target.id, stmt.value, stmt))
    return found


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def statements(body: list[ast.stmt], into_definitions: bool = True) -> Iterator[ast.stmt]:
    """Every statement in ``body`` and in the blocks of its compound statements (if/for/while/with/try/match), in
    source order; the bodies of nested functions and classes too unless ``into_definitions`` is false. Expressions
    are not visited, which makes this several times cheaper than ``ast.walk`` when only statements matter."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, _DEFINITIONS) and not into_definitions:
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(stmt, name, None)
            if isinstance(block, list):
                yield from statements(block, into_definitions)
        for clause in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
            yield from statements(clause.body, into_definitions)


def annotation_names(node: ast.AST | None) -> set[str]:
    """Every simple name mentioned in an annotation (``FastAPI | None`` -> {"FastAPI", "None"})."""
    if node is None:
        return set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return set()
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }
