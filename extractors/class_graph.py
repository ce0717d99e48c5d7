"""Classes of a service's core modules (models, events, domain) read from the AST, with fully qualified names.

Names are resolved through each module's imports, so ``class User(Base)`` gets the base ``user_service.models.Base``
and ``class UserCreated(Event)`` the base ``arrakis_common.events.Event``. Bases from outside the repository (pydantic,
SQLAlchemy, third-party mixins) are kept as ``framework_bases`` text and never become classes of the diagram.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from arrakis_docs.extractors.module_graph import SourceModules, absolute_module
from arrakis_docs.model.code import ClassInfo
from arrakis_docs.model.refs import SourceRef

CORE_NAMES = ("models", "events", "domain")


def is_core(module: str) -> bool:
    """Whether a module holds the service's core types: ``*.models``, ``*.events``, ``*.domain`` and ``*.domain.*``."""
    parts = module.split(".")
    return parts[-1] in CORE_NAMES or "domain" in parts[1:]


@dataclass
class ClassDef:
    """A top-level class statement and the module it is in."""

    name: str  # fully qualified
    module: str
    node: ast.ClassDef
    path: str


class ClassResolver:
    """Fully qualified names of the classes and imported names of a set of modules."""

    def __init__(self, modules: SourceModules) -> None:
        self.modules = modules
        self.first_party = {name.split(".")[0] for name in modules.by_name}
        self.classes: dict[str, ClassDef] = {}
        self.aliases: dict[str, dict[str, str]] = {}  # module -> local name -> fully qualified name
        for module, f in sorted(modules.by_name.items()):
            tree = f.tree
            if tree is None:
                continue
            names: dict[str, str] = {}
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    self.classes[f"{module}.{node.name}"] = ClassDef(f"{module}.{node.name}", module, node, f.path)
                    names[node.name] = f"{module}.{node.name}"
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        top = alias.name.split(".")[0]
                        names[alias.asname or top] = alias.name if alias.asname else top
                elif isinstance(node, ast.ImportFrom):
                    base = absolute_module(module, modules.is_package(module), node)
                    for alias in node.names:
                        names[alias.asname or alias.name] = f"{base}.{alias.name}"
            self.aliases[module] = names

    def resolve(self, module: str, expr: ast.expr) -> str:
        """The fully qualified name an expression (``Base``, ``orm.DeclarativeBase``) names in ``module``."""
        text = ast.unparse(expr.value if isinstance(expr, ast.Subscript) else expr)
        head, _, rest = text.partition(".")
        full = self.aliases.get(module, {}).get(head, f"{module}.{head}" if head in self._local(module) else head)
        return self.canonical(f"{full}.{rest}" if rest else full)

    def _local(self, module: str) -> set[str]:
        return {name.rsplit(".", 1)[1] for name in self.classes if name.rsplit(".", 1)[0] == module}

    def canonical(self, name: str, depth: int = 0) -> str:
        """Follow re-exports (``from .events import Event`` in a package) to where the class is defined."""
        if name in self.classes or depth > 8:
            return name
        module, _, attr = name.rpartition(".")
        target = self.aliases.get(module, {}).get(attr)
        return self.canonical(target, depth + 1) if target and target != name else name

    def is_first_party(self, name: str) -> bool:
        """Whether a fully qualified name belongs to the scanned code."""
        return name.split(".")[0] in self.first_party

    def bases(self, cls: ClassDef) -> list[str]:
        """Fully qualified bases of a class, in declaration order."""
        return [self.resolve(cls.module, b) for b in cls.node.bases]

    def mro(self, name: str) -> list[ClassDef]:
        """The class and its first-party ancestors, depth first (enough for mixin columns; no C3 needed)."""
        seen: list[ClassDef] = []
        pending = [name]
        while pending:
            current = self.classes.get(pending.pop(0))
            if current is None or current in seen:
                continue
            seen.append(current)
            pending.extend(self.bases(current))
        return seen

    def framework_ancestors(self, name: str) -> set[str]:
        """Every non-first-party base reachable from a class."""
        return {b for c in self.mro(name) for b in self.bases(c) if not self.is_first_party(b)}


def core_classes(resolver: ClassResolver, own: set[str]) -> list[ClassInfo]:
    """Classes of the service's core modules, plus the first-party bases they inherit from (``core=False``)."""
    wanted = [c for n, c in sorted(resolver.classes.items()) if n.split(".")[0] in own and is_core(c.module)]
    result: dict[str, ClassInfo] = {}
    pending = list(wanted)
    while pending:
        cls = pending.pop(0)
        if cls.name in result:
            continue
        info = describe(resolver, cls, core=cls in wanted)
        result[cls.name] = info
        pending.extend(resolver.classes[b] for b in info.bases if b in resolver.classes)
    known = set(result)
    for info in result.values():
        info.associations = sorted(a for a in info.associations if a in known and a != info.name)
    return sorted(result.values(), key=lambda c: c.name)


def describe(resolver: ClassResolver, cls: ClassDef, core: bool) -> ClassInfo:
    """Bases, attributes, methods and associated classes of one class."""
    bases = resolver.bases(cls)
    info = ClassInfo(name=cls.name, module=cls.module, location=SourceRef(cls.path, cls.node.lineno), core=core,
                     bases=[b for b in bases if resolver.is_first_party(b)],
                     framework_bases=[b for b in bases if not resolver.is_first_party(b)])
    for stmt in cls.node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and \
                not stmt.target.id.startswith("__"):
            info.attributes.append(f"{stmt.target.id}: {_type_text(stmt.annotation)}")
            info.associations.extend(_named_classes(resolver, cls.module, stmt.annotation))
            if isinstance(stmt.value, ast.Call):
                info.associations.extend(_relationship_target(resolver, cls.module, stmt.value))
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if not stmt.name.startswith("__") or stmt.name == "__init__":
                info.methods.append(f"{stmt.name}()")
    return info


def _type_text(annotation: ast.expr) -> str:
    """The annotation as written, with SQLAlchemy's ``Mapped[...]`` wrapper taken off."""
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).split(".")[-1] == "Mapped":
        annotation = annotation.slice
    return ast.unparse(annotation)


def _named_classes(resolver: ClassResolver, module: str, annotation: ast.expr) -> list[str]:
    found = []
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name | ast.Attribute):
            found.append(resolver.resolve(module, node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            found.append(resolver.resolve(module, ast.Name(node.value)))
    return found


def _relationship_target(resolver: ClassResolver, module: str, call: ast.Call) -> list[str]:
    """``relationship("User")`` names its target class in a string."""
    if ast.unparse(call.func).split(".")[-1] != "relationship" or not call.args:
        return []
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.isidentifier():
        return [resolver.resolve(module, ast.Name(first.value))]
    return _named_classes(resolver, module, first)
