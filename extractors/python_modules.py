"""Python modules of a repository by dotted name, and the small AST questions every extractor asks.

Imports are resolved the way Python would with the right folder on ``sys.path``, without knowing that folder in
advance: an absolute ``import app.routes`` from ``apps/x/app/main.py`` is looked up in the file's own folder and each
folder above it (nearest first, and each one's ``src/``), so every service of a monorepo resolves its own ``app``
package; a repository-wide index by dotted name (under each project root) is the fallback for shared libraries.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from arrakis_docs.extractors.source_tree import SourceFile, SourceTree


@dataclass
class ModuleIndex:
    """Dotted module name -> source file, and import resolution relative to the importing file."""

    by_name: dict[str, SourceFile] = field(default_factory=dict)
    root_of: dict[str, str] = field(default_factory=dict)  # module name -> import root it was found under
    name_of: dict[str, str] = field(default_factory=dict)  # file path -> module name
    by_path: dict[str, SourceFile] = field(default_factory=dict)
    root_of_path: dict[str, str] = field(default_factory=dict)  # file path -> its inferred import root
    _dirs: set[str] = field(default_factory=set)
    _cache: dict[tuple[str, str], str | None] = field(default_factory=dict)

    @classmethod
    def build(cls, tree: SourceTree, project_roots: list[str]) -> ModuleIndex:
        """Index every Python file under its inferred import root (see :meth:`infer_root`)."""
        index = cls()
        files = tree.python_files()
        for f in files:
            index.by_path[f.path] = f
            parent = PurePosixPath(f.path).parent
            while str(parent) != ".":
                index._dirs.add(str(parent))
                parent = parent.parent
        roots = sorted(set(project_roots) | {""}, key=lambda r: (-len(PurePosixPath(r).parts), r))
        for f in files:
            root = index.infer_root(f) or import_root_of(f.path, roots, tree)
            name = _dotted_under(f.path, root)
            index.root_of_path[f.path] = root
            if not name:
                continue
            index.name_of[f.path] = name
            if name not in index.by_name:
                index.by_name[name] = f
                index.root_of[name] = root
        # Fallback names under each project root (and its src/), for libraries imported from elsewhere.
        for f in files:
            name = _dotted_under(f.path, import_root_of(f.path, roots, tree))
            if name and name not in index.by_name:
                index.by_name[name] = f
                index.root_of[name] = import_root_of(f.path, roots, tree)
        return index

    def module_name(self, f: SourceFile) -> str:
        """The dotted name a file was indexed under."""
        return self.name_of.get(f.path, "")

    def import_root(self, f: SourceFile) -> str:
        """The folder that must be on ``sys.path`` for ``f`` to import under :meth:`module_name`."""
        return self.root_of_path.get(f.path, "")

    def infer_root(self, f: SourceFile) -> str | None:
        """The folder holding the top-level package the file's own absolute imports name (``from app.x import y``
        in ``apps/s/app/main.py`` -> ``apps/s``); else the folder above its chain of ``__init__.py`` packages, or
        the file's own folder when it is in no package."""
        tops = {a.name.split(".")[0] for s in _imports(f) if isinstance(s, ast.Import) for a in s.names}
        tops |= {s.module.split(".")[0] for s in _imports(f) if isinstance(s, ast.ImportFrom) and s.module
                 and not s.level}
        parts = PurePosixPath(f.path).parts
        for depth in range(len(parts) - 1, 0, -1):  # nearest folder first: the file's own package, not a namesake
            if parts[depth - 1] in tops:
                return "/".join(parts[: depth - 1])
        parent = PurePosixPath(f.path).parent
        if f"{parent}/__init__.py" not in self.by_path:  # a script: its own folder is on sys.path
            return "" if str(parent) == "." else str(parent)
        while str(parent) != "." and f"{parent}/__init__.py" in self.by_path and parent.name.isidentifier():
            parent = parent.parent
        return "" if str(parent) == "." else str(parent)

    # ------------------------------------------------------------ resolution relative to a file

    def module_stem(self, f: SourceFile, dotted_name: str, level: int = 0) -> str | None:
        """Where module ``dotted_name`` (``level`` dots for a relative import) lives, seen from ``f``: a path
        without suffix (``a/b`` for ``a/b.py``, ``a/b/__init__.py`` or a namespace folder ``a/b``), or None."""
        rel = dotted_name.replace(".", "/") if dotted_name else ""
        if level:
            base = PurePosixPath(f.path).parent
            for _ in range(level - 1):
                base = base.parent
            stem = "/".join(p for p in (str(base) if str(base) != "." else "", rel) if p)
            return stem if self._exists(stem) else None
        folder = str(PurePosixPath(f.path).parent)
        key = (folder, dotted_name)
        if key not in self._cache:
            self._cache[key] = self._search(folder, rel, dotted_name)
        return self._cache[key]

    def _search(self, folder: str, rel: str, dotted_name: str) -> str | None:
        here = PurePosixPath(folder)
        for anc in (here, *here.parents):
            base = "" if str(anc) == "." else str(anc)
            for stem in (f"{base}/{rel}" if base else rel, f"{base}/src/{rel}" if base else f"src/{rel}"):
                if self._exists(stem):
                    return stem
        found = self.by_name.get(dotted_name)
        if found is not None:
            return found.path.removesuffix(".py").removesuffix("/__init__")
        return None

    def _exists(self, stem: str) -> bool:
        return f"{stem}.py" in self.by_path or f"{stem}/__init__.py" in self.by_path or stem in self._dirs

    def file_of(self, stem: str | None) -> SourceFile | None:
        """The source file of a module stem (its ``__init__.py`` for a package); None for a namespace folder."""
        if stem is None:
            return None
        return self.by_path.get(f"{stem}.py") or self.by_path.get(f"{stem}/__init__.py")

    def resolve(self, current: str, is_package: bool, node: ast.ImportFrom) -> str:
        """Absolute module name an ``from X import ...`` refers to, relative imports included."""
        if not node.level:
            return node.module or ""
        base = current.split(".") if is_package else current.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
        return ".".join([*base, node.module] if node.module else base)


def _dotted_under(path: str, root: str) -> str:
    rel = PurePosixPath(path).relative_to(root) if root else PurePosixPath(path)
    parts = list(rel.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(f: SourceFile) -> list[ast.stmt]:
    return [s for s in (f.tree.body if f.tree else []) if isinstance(s, ast.Import | ast.ImportFrom)]


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
