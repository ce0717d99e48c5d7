"""Cross-module resolution of names, read from the AST without importing anything.

What a name in a file refers to: a function, a class, an instance of a class, a value assigned to it, or a module,
following ``import`` / ``from ... import`` (absolute and relative, ``__init__`` re-exports, ``as`` aliases) across the
repository through :class:`~arrakis_docs.extractors.python_modules.ModuleIndex`. On top of that, :meth:`string`
evaluates the strings code builds from constants: module constants, class attributes, pydantic ``BaseSettings`` /
``BaseModel`` field defaults (``settings.API_V1_STR``, ``get_settings().prefix``, ``Field("/v1")``),
``os.getenv("X", "default")`` / ``os.environ.get(...)``, f-strings and ``+`` of those.

Public API (for every extractor that needs to know what a name is)::

    resolver = SymbolResolver(index)
    symbol = resolver.resolve(file, expr, function=fn)    # Symbol | None
    text = resolver.string(file, expr, function=fn)       # str | None
    resolver.importers(file, "router")                    # [(other_file, local_name), ...]

Per-file name tables are built once and cached, so repeated questions cost a dictionary look-up.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from arrakis_docs.extractors.python_modules import ModuleIndex, call_name, statements
from arrakis_docs.extractors.source_tree import SourceFile

MAX_DEPTH = 12
_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, eq=False)
class Symbol:
    """What a name refers to.

    ``kind`` is ``function`` / ``class`` (``node`` is the definition), ``instance`` (``node`` is the class it is an
    instance of), ``value`` (``node`` is the assigned expression; ``function`` the function it is local to, if any)
    or ``module`` (``stem`` is the module's path without suffix; ``node`` its AST, None for a namespace folder)."""

    kind: str
    file: SourceFile | None
    node: ast.AST | None
    name: str = ""
    function: _Function | None = None
    stem: str = ""
    call: ast.Call | None = None  # for an instance: the call that made it (its keyword arguments set fields)
    call_file: SourceFile | None = None
    call_function: _Function | None = None


@dataclass(frozen=True)
class ModuleRef:
    """A module found by walking a package (``pkgutil.walk_packages``), carried as an ``ast.Constant`` value."""

    stem: str


@dataclass
class _Table:
    """A body's bindings: name -> last definition (def/class node, assigned expression, or an import)."""

    names: dict[str, tuple[str, object]] = field(default_factory=dict)


class SymbolResolver:
    """Answers "what is this name" for any file of a :class:`ModuleIndex`."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self._tables: dict[int, _Table] = {}
        self._importers: dict[tuple[str, str], list[tuple[SourceFile, str]]] | None = None
        self._self_of: dict[int, Symbol] = {}
        self._arguments: dict[int, dict[str, Symbol]] = {}
        self.memo: dict[object, object] = {}  # repository-wide answers other readers compute once and share

    # ------------------------------------------------------------ tables

    def _table(self, body: list[ast.stmt], key: int) -> _Table:
        table = self._tables.get(key)
        if table is not None:
            return table
        table = _Table()
        for stmt in statements(body, into_definitions=False):
            if isinstance(stmt, _Function | ast.ClassDef):
                table.names[stmt.name] = ("def", stmt)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        table.names[target.id] = ("value", stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                table.names[stmt.target.id] = ("value", stmt.value)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        table.names[alias.asname] = ("import", alias.name)
                    else:
                        head = alias.name.split(".")[0]
                        table.names[head] = ("import", head)
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name != "*":
                        table.names[alias.asname or alias.name] = ("from", (stmt, alias.name))
        self._tables[key] = table
        return table

    def module_table(self, f: SourceFile) -> dict[str, tuple[str, object]]:
        """Top-level bindings of a module (definitions, assignments, imports), last one winning."""
        return self._table(f.tree.body if f.tree else [], id(f)).names

    # ------------------------------------------------------------ modules

    def module(self, f: SourceFile, dotted_name: str, level: int = 0) -> Symbol | None:
        """The module ``dotted_name`` names when imported from ``f``."""
        stem = self.index.module_stem(f, dotted_name, level)
        if stem is None:
            return None
        target = self.index.file_of(stem)
        return Symbol("module", target, target.tree if target else None, dotted_name, stem=stem)

    def _member(self, module: Symbol, name: str, depth: int) -> Symbol | None:
        """``name`` inside a module: a submodule first when one exists (``from . import users``), else its binding."""
        sub = f"{module.stem}/{name}" if module.stem else name
        is_sub = self.index.file_of(sub) is not None or sub in self.index._dirs
        binding = self.module_table(module.file).get(name) if module.file is not None else None
        # ``from . import users`` in a package's __init__ binds the submodule itself.
        if module.file is not None and binding is not None and not (is_sub and binding[0] == "from"):
            found = self.lookup(module.file, name, depth=depth + 1)
            if found is not None:
                return found
        if is_sub:
            target = self.index.file_of(sub)
            return Symbol("module", target, target.tree if target else None, name, stem=sub)
        return None

    # ------------------------------------------------------------ names

    def lookup(self, f: SourceFile, name: str, function: _Function | None = None, depth: int = 0) -> Symbol | None:
        """What ``name`` means in ``f`` (inside ``function`` when given: its locals first, then the module's)."""
        if depth > MAX_DEPTH:
            return None
        if function is not None:
            local = self._table(function.body, id(function)).names.get(name)
            params = {a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)}
            if local is not None:
                return self._binding(f, name, local, function, depth)
            if name in params:
                bound = self._arguments.get(id(function), {}).get(name)
                if bound is not None:
                    return bound
                first = (function.args.posonlyargs + function.args.args)[:1]
                return self._self_of.get(id(function)) if first and first[0].arg == name else None
        entry = self.module_table(f).get(name)
        return self._binding(f, name, entry, None, depth) if entry is not None else None

    def _binding(self, f: SourceFile, name: str, entry: tuple[str, object], function: _Function | None,
                 depth: int) -> Symbol | None:
        kind, payload = entry
        if kind == "def":
            node = payload
            return Symbol("class" if isinstance(node, ast.ClassDef) else "function", f, node, name, function)  # type: ignore[arg-type]
        if kind == "value":
            return Symbol("value", f, payload, name, function)  # type: ignore[arg-type]
        if kind == "import":
            return self.module(f, str(payload))
        stmt, original = payload  # type: ignore[misc]
        source = self.module(f, stmt.module or "", stmt.level)
        if source is None:
            return None
        return self._member(source, original, depth)

    def resolve(self, f: SourceFile, expr: ast.AST | None, function: _Function | None = None,
                depth: int = 0) -> Symbol | None:
        """What an expression refers to: a Name, ``a.b.c`` through modules, classes and instances, or a call
        (``Settings()`` is an instance of Settings, ``get_settings()`` what that function returns)."""
        if expr is None or depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, ModuleRef):
            target = self.index.file_of(expr.value.stem)
            return Symbol("module", target, target.tree if target else None, "", stem=expr.value.stem)
        if isinstance(expr, ast.Call) and call_name(expr) == "import_module" and expr.args and isinstance(
                expr.args[0], ast.Constant) and isinstance(expr.args[0].value, ModuleRef):
            return self.resolve(f, expr.args[0], function, depth + 1)
        if isinstance(expr, ast.Name):
            return self.lookup(f, expr.id, function, depth)
        if isinstance(expr, ast.Attribute):
            owner = self.deref(self.resolve(f, expr.value, function, depth + 1), depth + 1)
            return self.attribute(owner, expr.attr, depth + 1) if owner is not None else None
        if isinstance(expr, ast.Call):
            return self.call_result(f, expr, function, depth + 1)
        return None

    def bind_arguments(self, fn: _Function, call: ast.Call, f: SourceFile, function: _Function | None = None) -> None:
        """Read ``fn``'s parameters as the arguments of ``call`` (made in ``f``, inside ``function``) from now on:
        an app factory followed from its one call site sees that site's config. The last binding wins."""
        positional = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        if positional and positional[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
            positional = positional[1:]
        bound = {name: Symbol("value", f, arg, name, function) for name, arg in zip(positional, call.args,
                                                                                   strict=False)
                 if not isinstance(arg, ast.Starred)}
        bound |= {k.arg: Symbol("value", f, k.value, k.arg, function) for k in call.keywords if k.arg}
        if bound:
            self._arguments[id(fn)] = bound

    def deref(self, symbol: Symbol | None, depth: int = 0) -> Symbol | None:
        """A value bound to a name replaced by what it is (an instance, a module, a function...), when known."""
        seen = 0
        while symbol is not None and symbol.kind == "value" and seen < MAX_DEPTH and symbol.file is not None:
            node = symbol.node
            if isinstance(node, ast.Name | ast.Attribute | ast.Call):
                nxt = self.resolve(symbol.file, node, symbol.function, depth + 1)
                if nxt is None:
                    return symbol
                symbol = nxt
            else:
                return symbol
            seen += 1
        return symbol

    def call_result(self, f: SourceFile, call: ast.Call, function: _Function | None = None,
                    depth: int = 0) -> Symbol | None:
        """What ``call`` returns, as far as the AST tells: an instance of a class, or a function's return value."""
        callee = self.deref(self.resolve(f, call.func, function, depth + 1), depth + 1)
        if callee is None or callee.file is None:
            return None
        if callee.kind == "class":
            return Symbol("instance", callee.file, callee.node, callee.name, call=call, call_file=f,
                          call_function=function)
        if callee.kind == "function" and isinstance(callee.node, _Function):
            fn = callee.node
            returned = returned_value(fn)
            result = Symbol("value", callee.file, returned, callee.name, fn) if returned is not None else None
            probe = self.deref(result, depth + 1) if result is not None and fn.returns is not None else result
            if probe is None or self._opaque(probe, depth + 1):
                # What it returns is not readable (``environments[env]()``): its return annotation says.
                annotated = self.deref(self.resolve(callee.file, fn.returns, None, depth + 1), depth + 1)
                if annotated is not None and annotated.kind == "class":
                    return Symbol("instance", annotated.file, annotated.node, annotated.name)
            return result
        return None

    def _taken_return(self, f: SourceFile, fn: _Function, depth: int) -> ast.expr | None:
        """The return a short function takes: ``if self.x: return A`` / ``return B`` decided by what ``self.x``
        evaluates to when that is known (a non-empty string is true), else its last return."""
        for stmt in fn.body:
            if isinstance(stmt, ast.Return):
                return stmt.value
            if isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], ast.Return):
                test = self.string(f, stmt.test, fn, depth + 1)
                if test is None:
                    break
                if test:
                    return stmt.body[-1].value
                if stmt.orelse and isinstance(stmt.orelse[-1], ast.Return):
                    return stmt.orelse[-1].value
        return returned_value(fn)

    def _opaque(self, symbol: Symbol, depth: int) -> bool:
        """A value the AST cannot follow: a subscript, or a call of something that is itself such a value."""
        if symbol.kind != "value" or symbol.file is None:
            return False
        if isinstance(symbol.node, ast.Subscript | ast.Name | ast.Attribute):
            return True
        if isinstance(symbol.node, ast.Call):
            if not isinstance(symbol.node.func, ast.Name | ast.Attribute):
                return True
            callee = self.resolve(symbol.file, symbol.node.func, symbol.function, depth + 1)
            return callee is not None and callee.kind == "value"
        return False

    def attribute(self, owner: Symbol, name: str, depth: int = 0) -> Symbol | None:
        """``owner.name``: a module member, or a class attribute (searched through the class's bases)."""
        if depth > MAX_DEPTH:
            return None
        if owner.kind == "module":
            return self._member(owner, name, depth)
        if owner.kind in ("class", "instance") and isinstance(owner.node, ast.ClassDef) and owner.file is not None:
            given = next((k.value for k in owner.call.keywords if k.arg == name), None) if owner.call else None
            if given is not None and owner.call_file is not None:  # Config(api_prefix="/x").api_prefix
                return Symbol("value", owner.call_file, given, name, owner.call_function)
            for stmt in owner.node.body:
                if isinstance(stmt, _Function) and stmt.name == name and owner.kind == "instance" and any(
                        call_name(d) in ("property", "cached_property") for d in stmt.decorator_list):
                    self._self_of[id(stmt)] = owner  # ``self`` inside the property is this instance
                    returned = self._taken_return(owner.file, stmt, depth + 1)
                    return Symbol("value", owner.file, returned, name, stmt) if returned is not None else None
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                    return Symbol("value", owner.file, _field_default(stmt.value), name) if stmt.value else None
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                    return Symbol("value", owner.file, _field_default(stmt.value), name)
                if isinstance(stmt, _Function | ast.ClassDef) and stmt.name == name:
                    kind = "class" if isinstance(stmt, ast.ClassDef) else "function"
                    return Symbol(kind, owner.file, stmt, name)
            for base in owner.node.bases:
                found = self.deref(self.resolve(owner.file, base, None, depth + 1), depth + 1)
                if found is not None and found.kind == "class" and found.node is not owner.node:
                    inherited = self.attribute(Symbol(owner.kind, found.file, found.node, found.name), name, depth + 1)
                    if inherited is not None:
                        return inherited
        return None

    # ------------------------------------------------------------ values

    def string(self, f: SourceFile, expr: ast.AST | None, function: _Function | None = None,
               depth: int = 0) -> str | None:
        """The string an expression evaluates to from what the code writes down, or None when it cannot tell."""
        if expr is None or depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr):
            parts = []
            for part in expr.values:
                value = (self.string(f, part.value, function, depth + 1) if isinstance(part, ast.FormattedValue)
                         else self.string(f, part, function, depth + 1))
                if value is None:
                    return None
                parts.append(value)
            return "".join(parts)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = self.string(f, expr.left, function, depth + 1)
            right = self.string(f, expr.right, function, depth + 1) if left is not None else None
            return left + right if left is not None and right is not None else None
        if isinstance(expr, ast.Call):
            getenv = _getenv_default(expr)
            if getenv is not None:
                return self.string(f, getenv, function, depth + 1)
            if call_name(expr) == "str" and len(expr.args) == 1:
                return self.string(f, expr.args[0], function, depth + 1)
        if isinstance(expr, ast.Name | ast.Attribute | ast.Call):
            symbol = self.resolve(f, expr, function, depth + 1)
            if symbol is not None and symbol.kind == "value" and symbol.file is not None:
                return self.string(symbol.file, symbol.node, symbol.function, depth + 1)
        return None

    def value(self, f: SourceFile, expr: ast.AST | None, function: _Function | None = None,
              depth: int = 0) -> ast.AST | None:
        """The expression a name stands for (``ROUTES`` -> the list literal assigned to it), else ``expr``."""
        symbol = self.resolve(f, expr, function, depth) if isinstance(expr, ast.Name | ast.Attribute) else None
        if symbol is not None and symbol.kind == "value" and isinstance(symbol.node, ast.List | ast.Tuple | ast.Dict
                                                                         | ast.Set | ast.Constant):
            return symbol.node
        return expr

    # ------------------------------------------------------------ reverse look-ups

    def importers(self, f: SourceFile, name: str) -> list[tuple[SourceFile, str]]:
        """Files that import ``name`` from ``f`` at module level, with the local name they bind it to."""
        if self._importers is None:
            self._importers = {}
            for g in self.index.by_path.values():
                for local, (kind, payload) in self.module_table(g).items():
                    if kind != "from":
                        continue
                    stmt, original = payload  # type: ignore[misc]
                    stem = self.index.module_stem(g, stmt.module or "", stmt.level)
                    target = self.index.file_of(stem)
                    if target is not None and target is not g:
                        self._importers.setdefault((target.path, original), []).append((g, local))
        return sorted(self._importers.get((f.path, name), []), key=lambda item: (item[0].path, item[1]))


def returned_value(fn: _Function) -> ast.expr | None:
    """The expression ``fn`` returns (its last ``return X`` of its own body, not a nested function's)."""
    found = None
    for stmt in statements(fn.body, into_definitions=False):
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            found = stmt.value
    return found


def _field_default(value: ast.expr | None) -> ast.expr | None:
    """``Field("/v1")`` / ``Field(default="/v1")`` -> the default; anything else as it is."""
    if isinstance(value, ast.Call) and call_name(value) == "Field":
        if value.args:
            return value.args[0]
        return next((k.value for k in value.keywords if k.arg == "default"), None)
    return value


def _getenv_default(call: ast.Call) -> ast.expr | None:
    """The default of ``os.getenv("X", d)`` / ``os.environ.get("X", d)`` / ``env("X", default=d)``."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("getenv", "get", "env"):
        return None
    if name == "get" and not (isinstance(func, ast.Attribute) and _is_environ(func.value)):
        return None
    if len(call.args) >= 2:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "default"), None)


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )
