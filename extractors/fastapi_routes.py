"""FastAPI routes read from the AST, without importing anything.

Follows what FastAPI does at runtime closely enough to rebuild an OpenAPI document: ``include_router`` prefix and tag
chains (nested routers included), ``api_route(methods=[...])``, ``add_api_route``, routers returned by functions,
routes registered inside app factories and inside helper factories the app is built by, and
``include_in_schema=False`` at route, router or include level. Only decorators count, never text that looks like one.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field, replace

from arrakis_docs.extractors.python_modules import ModuleIndex, assigned_calls, call_name, keyword, literal
from arrakis_docs.extractors.source_tree import SourceFile
from arrakis_docs.model.architecture import Diagnostic, Severity, SourceRef

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_DEPTH = 8


@dataclass(frozen=True)
class Scope:
    """A body of statements in a module where names are looked up: the module itself or one function."""

    file: SourceFile
    module: str
    body: tuple[ast.stmt, ...]
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None

    @property
    def module_body(self) -> list[ast.stmt]:
        return self.file.tree.body if self.file.tree else []


@dataclass(frozen=True)
class Mount:
    """What an include chain adds to the routes below it."""

    prefix: str = ""
    tags: tuple[str, ...] = ()
    include_in_schema: bool = True
    deprecated: bool = False

    def below(self, prefix: str, tags: list[str], include: bool, deprecated: bool) -> Mount:
        return Mount(self.prefix + prefix, self.tags + tuple(tags), self.include_in_schema and include,
                     self.deprecated or deprecated)


@dataclass
class StaticRoute:
    """One path operation as the AST describes it."""

    path: str
    methods: list[str]
    endpoint: ast.FunctionDef | ast.AsyncFunctionDef | None
    name: str
    location: SourceRef
    tags: list[str] = field(default_factory=list)
    options: dict[str, object] = field(default_factory=dict)
    deprecated: bool = False


@dataclass
class AppFacts:
    """Routes plus the literal keyword arguments of the calls that built the app (title, version, ...)."""

    routes: list[StaticRoute] = field(default_factory=list)
    info: dict[str, object] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


class RouteReader:
    """Walks from an application entry point through routers to every route."""

    def __init__(self, index: ModuleIndex, app_classes: set[str], app_functions: set[str]) -> None:
        self.index = index
        self.app_classes = app_classes
        self.app_functions = app_functions
        self.facts = AppFacts()
        self._seen: set[tuple[str, str, int]] = set()

    # ------------------------------------------------------------ entry points

    def read_app(self, module: str, attribute: str, kind: str) -> AppFacts:
        """Every route of the app created by ``module.attribute`` (a factory or a module-level instance)."""
        f = self.index.by_name.get(module)
        if f is None or f.tree is None:
            return self.facts
        scope = Scope(f, module, tuple(f.tree.body))
        if kind == "factory":
            fn = _function(f.tree.body, attribute)
            if fn is not None:
                self._read_app_function(scope, fn, 0)
        else:
            self._read_app_scope(scope, {attribute}, 0)
        return self.facts

    def _read_app_function(self, outer: Scope, fn: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> None:
        scope = Scope(outer.file, outer.module, tuple(fn.body), fn)
        app_vars = {name for name, call, _ in assigned_calls(fn.body) if self._is_app_call(call)}
        self._read_app_scope(scope, app_vars, depth)

    def _read_app_scope(self, scope: Scope, app_vars: set[str], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        for name, call, _ in assigned_calls(list(scope.body)):
            if name in app_vars and self._is_app_call(call):
                self._record_info(call)
                self._follow_constructor(scope, call, depth)
        self._read_registrations(scope, app_vars, Mount(), depth)

    def _follow_constructor(self, scope: Scope, call: ast.Call, depth: int) -> None:
        """Routes added by the factory or FastAPI subclass the app is built with."""
        found = self._lookup(scope, call.func)
        if found is None:
            return
        target_scope, node = found
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._read_app_function(target_scope, node, depth + 1)
        elif isinstance(node, ast.ClassDef):
            init = _function(node.body, "__init__")
            if init is not None:
                self._read_registrations(Scope(target_scope.file, target_scope.module, tuple(init.body), init),
                                         {"self"}, Mount(), depth + 1)
            for base in node.bases:
                if call_name(base) in self.app_classes - {"FastAPI"}:
                    self._follow_constructor(target_scope, ast.Call(func=base, args=[], keywords=[]), depth + 1)

    def _is_app_call(self, call: ast.Call) -> bool:
        return call_name(call) in self.app_classes | self.app_functions

    def _record_info(self, call: ast.Call) -> None:
        for key in ("title", "version", "description", "summary"):
            value = literal(keyword(call, key))
            if isinstance(value, str):
                self.facts.info.setdefault(key, value)

    # ------------------------------------------------------------ registrations on an app or a router

    def _read_registrations(self, scope: Scope, owners: set[str], mount: Mount, depth: int) -> None:
        for node in _walk(scope.body):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    self._decorated_route(scope, owners, mount, node, decorator)
            elif isinstance(node, ast.Call) and _is_method_call(node, owners, "include_router"):
                self._include(scope, node, mount, depth)
            elif isinstance(node, ast.Call) and _is_method_call(node, owners, "add_api_route"):
                self._added_route(scope, node, mount)

    def _decorated_route(self, scope: Scope, owners: set[str], mount: Mount,
                         fn: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.expr) -> None:
        if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
            return
        if not (isinstance(decorator.func.value, ast.Name) and decorator.func.value.id in owners):
            return
        verb = decorator.func.attr
        if verb in HTTP_METHODS:
            methods = [verb.upper()]
        elif verb == "api_route":
            methods = self._methods(scope, decorator)
        else:
            return
        self._add(scope, decorator, mount, methods, fn)

    def _added_route(self, scope: Scope, call: ast.Call, mount: Mount) -> None:
        endpoint_expr = call.args[1] if len(call.args) > 1 else keyword(call, "endpoint")
        endpoint = None
        if endpoint_expr is not None:
            found = self._lookup(scope, endpoint_expr)
            if found and isinstance(found[1], ast.FunctionDef | ast.AsyncFunctionDef):
                endpoint = found[1]
        self._add(scope, call, mount, self._methods(scope, call), endpoint)

    def _methods(self, scope: Scope, call: ast.Call) -> list[str]:
        value = literal(keyword(call, "methods"))
        if isinstance(value, list | tuple | set) and all(isinstance(m, str) for m in value):
            return sorted({m.upper() for m in value})
        if keyword(call, "methods") is not None:
            self._warn(scope, call, "cannot evaluate methods=; assuming GET")
        return ["GET"]

    def _add(self, scope: Scope, call: ast.Call, mount: Mount, methods: list[str],
             endpoint: ast.FunctionDef | ast.AsyncFunctionDef | None) -> None:
        path = self._string(scope, call.args[0] if call.args else keyword(call, "path"))
        if path is None:
            self._warn(scope, call, "cannot evaluate the route path; route left out")
            return
        options = {k.arg: k.value for k in call.keywords if k.arg}
        if literal(options.get("include_in_schema"), True) is False or not mount.include_in_schema:
            return
        tags = [t for t in literal(options.get("tags"), []) or [] if isinstance(t, str)]
        self.facts.routes.append(
            StaticRoute(
                path=mount.prefix + path,
                methods=methods,
                endpoint=endpoint,
                name=endpoint.name if endpoint else str(literal(options.get("name"), "endpoint")),
                location=SourceRef(scope.file.path, call.lineno),
                tags=list(dict.fromkeys([*mount.tags, *tags])),
                options={k: literal(v, v) for k, v in options.items()},
                deprecated=mount.deprecated or literal(options.get("deprecated"), False) is True,
            )
        )

    def _include(self, scope: Scope, call: ast.Call, mount: Mount, depth: int) -> None:
        if not call.args or depth > MAX_DEPTH:
            return
        prefix = self._string(scope, keyword(call, "prefix")) or ""
        tags = [t for t in literal(keyword(call, "tags"), []) or [] if isinstance(t, str)]
        include = literal(keyword(call, "include_in_schema"), True) is not False
        deprecated = literal(keyword(call, "deprecated"), False) is True
        router = self._router(scope, call.args[0], depth)
        if router is None:
            self._warn(scope, call, f"cannot find the router {ast.unparse(call.args[0])!r}; its routes are left out")
            return
        router_scope, var, router_call = router
        key = (router_scope.file.path, var, router_scope.function.lineno if router_scope.function else 0)
        if key in self._seen:
            return
        self._seen.add(key)
        inner = mount.below(prefix, tags, include, deprecated)
        if router_call is not None:
            inner = inner.below(
                self._string(router_scope, keyword(router_call, "prefix")) or "",
                [t for t in literal(keyword(router_call, "tags"), []) or [] if isinstance(t, str)],
                literal(keyword(router_call, "include_in_schema"), True) is not False,
                literal(keyword(router_call, "deprecated"), False) is True,
            )
        self._read_registrations(router_scope, {var}, inner, depth + 1)
        self._seen.discard(key)

    # ------------------------------------------------------------ name resolution

    def _router(self, scope: Scope, expr: ast.expr, depth: int) -> tuple[Scope, str, ast.Call | None] | None:
        """The scope a router variable lives in, its name there, and the ``APIRouter(...)`` call that made it."""
        if isinstance(expr, ast.Call):  # a function returning a router
            found = self._lookup(scope, expr.func)
            if found is None or not isinstance(found[1], ast.FunctionDef | ast.AsyncFunctionDef):
                return None
            fn_scope = Scope(found[0].file, found[0].module, tuple(found[1].body), found[1])
            returned = next((n.value for n in _own_nodes(found[1]) if isinstance(n, ast.Return) and n.value), None)
            return self._router(fn_scope, returned, depth + 1) if returned is not None and depth < MAX_DEPTH else None
        found = self._lookup(scope, expr)
        if found is None:
            return None
        target_scope, node = found
        if isinstance(node, ast.Call):
            if call_name(node) == "APIRouter":
                return target_scope, _assigned_name(node, target_scope), node
            return self._router(target_scope, node, depth + 1) if depth < MAX_DEPTH else None
        return None

    def _lookup(self, scope: Scope, expr: ast.expr) -> tuple[Scope, ast.AST] | None:
        """What a Name / ``module.attr`` refers to: an assigned call, a function or a class, with its scope."""
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            module = self._imported_module(scope, expr.value.id)
            if module is not None:
                return self._lookup_in_module(module, expr.attr, 0)
            return None
        if not isinstance(expr, ast.Name):
            return None
        if scope.function is not None:
            local = _definition(list(scope.body), expr.id)
            if local is not None:
                return scope, local
        return self._lookup_in_module(scope.module, expr.id, 0)

    def _lookup_in_module(self, module: str, name: str, depth: int) -> tuple[Scope, ast.AST] | None:
        f = self.index.by_name.get(module)
        if f is None or f.tree is None or depth > MAX_DEPTH:
            return None
        scope = Scope(f, module, tuple(f.tree.body))
        found = _definition(f.tree.body, name)
        if found is not None:
            return scope, found
        for stmt in f.tree.body:
            if isinstance(stmt, ast.ImportFrom):
                source = self.index.resolve(module, f.path.endswith("__init__.py"), stmt)
                for alias in stmt.names:
                    if (alias.asname or alias.name) == name:
                        return self._lookup_in_module(source, alias.name, depth + 1)
        return None

    def _imported_module(self, scope: Scope, name: str) -> str | None:
        for stmt in scope.module_body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if (alias.asname or alias.name.split(".")[0]) == name:
                        return alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(stmt, ast.ImportFrom):
                source = self.index.resolve(scope.module, scope.file.path.endswith("__init__.py"), stmt)
                for alias in stmt.names:
                    if (alias.asname or alias.name) == name and f"{source}.{alias.name}" in self.index.by_name:
                        return f"{source}.{alias.name}"
        return None

    def _string(self, scope: Scope, expr: ast.expr | None) -> str | None:
        value = literal(expr)
        if isinstance(value, str):
            return value
        if isinstance(expr, ast.Name):
            found = self._lookup(scope, expr)
            if found and isinstance(found[1], ast.Constant) and isinstance(found[1].value, str):
                return found[1].value
        return None

    def _warn(self, scope: Scope, node: ast.AST, message: str) -> None:
        line = getattr(node, "lineno", 0)
        self.facts.diagnostics.append(Diagnostic(scope.file.path, line, message, Severity.WARNING))


# ---------------------------------------------------------------- small AST helpers


def _walk(body: tuple[ast.stmt, ...] | list[ast.stmt]) -> list[ast.AST]:
    """Every node under ``body`` in source order, without entering classes (their methods are not this scope)."""
    out: list[ast.AST] = []
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.ClassDef):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Nodes of ``fn``'s own body, not those of functions or classes nested in it."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(fn.body))
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _function(body: list[ast.stmt], name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    return next((s for s in body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == name), None)


def _definition(body: list[ast.stmt], name: str) -> ast.AST | None:
    """The last top-level definition of ``name`` in ``body``: a def, a class, or the value assigned to it."""
    found: ast.AST | None = None
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and stmt.name == name:
            found = stmt
        elif isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            found = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
            found = stmt.value
    return found


def _assigned_name(call: ast.Call, scope: Scope) -> str:
    for name, value, _ in assigned_calls(list(scope.body)):
        if value is call:
            return name
    return ""


def _is_method_call(call: ast.Call, owners: set[str], method: str) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr == method and isinstance(func.value, ast.Name) and (
        func.value.id in owners
    )


def docstring(fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> str:
    """The endpoint's docstring as FastAPI shows it: cleaned, cut at a form feed."""
    text = ast.get_docstring(fn, clean=False) if fn else None
    return inspect.cleandoc(text).split("\f")[0] if text else ""


def unique_id(name: str, path: str, method: str) -> str:
    """FastAPI's default operation id: endpoint name + path with non-word characters as ``_`` + method."""
    return re.sub(r"\W", "_", name + path) + "_" + method.lower()


def with_prefix(route: StaticRoute, prefix: str) -> StaticRoute:
    """A copy of ``route`` mounted below ``prefix``."""
    return replace(route, path=prefix + route.path)
