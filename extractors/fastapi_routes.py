"""FastAPI routes read from the AST, without importing anything.

Follows what FastAPI does at runtime closely enough to rebuild an OpenAPI document, resolving names across modules
through :class:`~arrakis_docs.extractors.symbols.SymbolResolver`: ``include_router`` prefix and tag chains (routers
defined in other modules and packages, re-exported, aliased, returned by functions, nested), prefixes from constants
and settings defaults, ``app.mount("/x", subapp)``, ``api_route(methods=[...])``, ``add_api_route``, the call form
``router.get(path)(fn)``, custom decorators that wrap a router's method (followed into their definition), methods of
FastAPI/APIRouter subclasses that take a ``path``, functions the app is passed to (``register(app)``), registrations
in loops over literal lists, routes registered inside app factories, and ``include_in_schema=False`` at route,
router or include level. Only decorators and calls count, never text that looks like one.
"""

from __future__ import annotations

import ast
import copy
import inspect
import re
from dataclasses import dataclass, field, replace

from arrakis_docs.extractors.python_modules import ModuleIndex, call_name, keyword, literal, statements
from arrakis_docs.extractors.source_tree import SourceFile, module_nodes
from arrakis_docs.extractors.symbols import ModuleRef, Symbol, SymbolResolver, returned_value
from arrakis_docs.model.architecture import Diagnostic, Severity, SourceRef

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ROUTE_VERBS = frozenset((*HTTP_METHODS, "api_route"))
MAX_DEPTH = 8
_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Scope:
    """A body of statements in a module where names are looked up: the module itself or one function."""

    file: SourceFile
    body: tuple[ast.stmt, ...]
    function: _Function | None = None

    @classmethod
    def of_module(cls, f: SourceFile) -> Scope:
        return cls(f, tuple(f.tree.body) if f.tree else ())

    @classmethod
    def of_function(cls, f: SourceFile, fn: _Function) -> Scope:
        return cls(f, tuple(fn.body), fn)


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
    endpoint: _Function | None
    name: str
    location: SourceRef
    tags: list[str] = field(default_factory=list)
    options: dict[str, object] = field(default_factory=dict)
    deprecated: bool = False
    endpoint_file: SourceFile | None = None


@dataclass
class AppFacts:
    """Routes plus the literal keyword arguments of the calls that built the app (title, version, ...)."""

    routes: list[StaticRoute] = field(default_factory=list)
    info: dict[str, object] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sites: set[tuple[str, int]] = field(default_factory=set)  # route-like sites understood (path, line)
    files: set[str] = field(default_factory=set)  # files the routes were read from


@dataclass(frozen=True)
class _Object:
    """An app or router: the scope its variable lives in, its name there, and the call that made it."""

    scope: Scope
    name: str
    call: ast.Call | None

    @property
    def key(self) -> tuple[str, str, int]:
        return self.scope.file.path, self.name, self.scope.function.lineno if self.scope.function else 0


@dataclass(frozen=True)
class _Template:
    """A function that registers a route on a router when called: a custom decorator or a subclass method."""

    file: SourceFile
    fn: _Function
    call: ast.Call  # the router method call inside it
    verb: str
    owner: str  # "self", a parameter name, or "" for a module-level router
    owner_object: _Object | None


class RouteReader:
    """Walks from an application entry point through routers to every route."""

    def __init__(self, index: ModuleIndex, app_classes: set[str], app_functions: set[str],
                 resolver: SymbolResolver | None = None, router_classes: set[str] | None = None) -> None:
        self.index = index
        self.app_classes = app_classes
        self.app_functions = app_functions
        self.router_classes = router_classes or {"APIRouter"}
        self.symbols = resolver or SymbolResolver(index)
        self.facts = AppFacts()
        self._stack: set[tuple[str, str, int]] = set()
        self._templates: dict[int, _Template | None] = {}
        self._global_sites: dict[tuple[str, str, int], list[tuple[Scope, ast.Call, _Function, _Template]]] | None = None

    # ------------------------------------------------------------ entry points

    def read_app(self, path: str, attribute: str, kind: str) -> AppFacts:
        """Every route of the app created in file ``path`` by ``attribute`` (a factory or a module-level instance)."""
        f = self.index.by_path.get(path)
        if f is None or f.tree is None:
            return self.facts
        module = Scope.of_module(f)
        if kind == "factory":
            fn = _function(f.tree.body, attribute)
            if fn is not None:
                self._read_app_function(Scope.of_function(f, fn), Mount(), 0)
        else:
            call = next((c for n, c, _ in _assigned(module.body) if n == attribute), None)
            self._read_app_object(_Object(module, attribute, call), Mount(), 0)
        return self.facts

    def _read_app_function(self, scope: Scope, mount: Mount, depth: int) -> None:
        """A factory's body: its app variables, and whatever it returns when that is built elsewhere."""
        apps = [(n, c) for n, c, _ in _assigned(scope.body, deep=True) if self._is_app_call(scope, c)]
        for name, call in apps:
            self._read_app_object(_Object(scope, name, call), mount, depth)
        if not apps and scope.function is not None:
            returned = returned_value(scope.function)
            if isinstance(returned, ast.Call) and self._is_app_call(scope, returned):
                self._record_info(scope, returned)
                self._follow_constructor(scope, returned, mount, depth)

    def _read_app_object(self, obj: _Object, mount: Mount, depth: int) -> None:
        if depth > MAX_DEPTH or obj.key in self._stack:
            return
        self._stack.add(obj.key)
        if obj.call is not None:
            self._record_info(obj.scope, obj.call)
            self._follow_constructor(obj.scope, obj.call, mount, depth)
        self._read_object(obj, mount, depth)
        self._stack.discard(obj.key)

    def _follow_constructor(self, scope: Scope, call: ast.Call, mount: Mount, depth: int) -> None:
        """Routes added by the factory or FastAPI subclass the app is built with."""
        found = self.symbols.resolve(scope.file, call.func, scope.function)
        if found is None or found.file is None:
            return
        if found.kind == "function" and isinstance(found.node, _Function):
            self.symbols.bind_arguments(found.node, call, scope.file, scope.function)
            self._read_app_function(Scope.of_function(found.file, found.node), mount, depth + 1)
        elif found.kind == "class" and isinstance(found.node, ast.ClassDef):
            self._read_class(found, mount, depth + 1)

    def _read_class(self, cls: Symbol, mount: Mount, depth: int) -> None:
        """A FastAPI/APIRouter subclass registers on ``self`` in its methods (``__init__``, ``setup()``...)."""
        if depth > MAX_DEPTH or cls.file is None or not isinstance(cls.node, ast.ClassDef):
            return
        for stmt in cls.node.body:
            if isinstance(stmt, _Function) and not _takes_path(stmt, cls.file):
                self._read_registrations(Scope.of_function(cls.file, stmt), {"self"}, mount, depth + 1, None)
        for base in cls.node.bases:
            parent = self.symbols.resolve(cls.file, base)
            if parent is not None and parent.kind == "class" and parent.node is not cls.node:
                self._read_class(parent, mount, depth + 1)

    def _is_app_call(self, scope: Scope, call: ast.Call) -> bool:
        return call_name(call) in self.app_classes | self.app_functions

    def _record_info(self, scope: Scope, call: ast.Call) -> None:
        for key in ("title", "version", "description", "summary"):
            value = self.symbols.string(scope.file, keyword(call, key), scope.function)
            if isinstance(value, str):
                self.facts.info.setdefault(key, value)

    # ------------------------------------------------------------ registrations on an app or a router

    def _read_object(self, obj: _Object, mount: Mount, depth: int) -> None:
        """Registrations on ``obj`` in its own scope, in modules importing it, and through custom decorators."""
        self._read_registrations(obj.scope, {obj.name}, mount, depth, None)
        if obj.scope.function is None:
            for other, local in self.symbols.importers(obj.scope.file, obj.name):
                self._read_registrations(Scope.of_module(other), {local}, mount, depth, None)
        for site_scope, deco, fn, template in self._template_sites().get(obj.key, []):
            self._templated_route(site_scope, deco, fn, template, mount, None)

    def _read_registrations(self, scope: Scope, owners: set[str], mount: Mount, depth: int,
                            bindings: dict[str, ast.expr] | None) -> None:
        if depth > MAX_DEPTH:
            return
        self._visit(scope, list(scope.body), owners, mount, depth, bindings or {})

    def _visit(self, scope: Scope, body: list[ast.stmt], owners: set[str], mount: Mount, depth: int,
               bindings: dict[str, ast.expr]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                # ``@router.get`` on a method registers when the class body runs (class-based views); the
                # methods' bodies are not this scope.
                for method in stmt.body:
                    if isinstance(method, _Function):
                        for decorator in method.decorator_list:
                            self._decorated_route(scope, owners, mount, method, decorator, bindings)
                continue
            if isinstance(stmt, _Function):
                for decorator in stmt.decorator_list:
                    self._decorated_route(scope, owners, mount, stmt, decorator, bindings)
                if not _mentions(stmt, owners, scope.file) or _takes_path(stmt, scope.file):
                    continue  # a custom decorator's body is read where it is used, with its arguments
                self._visit(scope, stmt.body, owners, mount, depth, bindings)
                continue
            if isinstance(stmt, ast.For | ast.AsyncFor):
                items = self._loop_items(scope, stmt, bindings)
                if items is not None:
                    for item in items:
                        self._visit(scope, stmt.body, owners, mount, depth, {**bindings, **item})
                    continue
            if bindings and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                    stmt.targets[0], ast.Name):
                bindings[stmt.targets[0].id] = _bind(stmt.value, bindings)  # a loop-local variable of this pass
            if isinstance(stmt, ast.If):
                taken = self._truth(scope, stmt.test, bindings)
                if taken is not None:  # a flag whose value the code writes down: only the branch it takes
                    self._visit(scope, stmt.body if taken else stmt.orelse, owners, mount, depth, bindings)
                    continue
            for node in _expressions(stmt):
                if isinstance(node, ast.Call):
                    self._call(scope, node, owners, mount, depth, bindings)
            for name in ("body", "orelse", "finalbody"):
                block = getattr(stmt, name, None)
                if isinstance(block, list):
                    self._visit(scope, block, owners, mount, depth, bindings)
            for clause in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
                self._visit(scope, clause.body, owners, mount, depth, bindings)

    def _call(self, scope: Scope, call: ast.Call, owners: set[str], mount: Mount, depth: int,
              bindings: dict[str, ast.expr]) -> None:
        func = call.func
        receiver = _receiver(func)
        if receiver in owners and isinstance(func, ast.Attribute):
            method = func.attr
            if method == "include_router":
                self._include(scope, call, mount, depth, bindings)
            elif method == "add_api_route":
                self._added_route(scope, call, mount, bindings)
            elif method == "mount":
                self._mount(scope, call, mount, depth, bindings)
            return
        # ``router.get("/x")(handler)``: the call form of a decorator.
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and _receiver(func.func) in owners:
            if func.func.attr in ROUTE_VERBS and call.args:
                endpoint = self._endpoint(scope, call.args[0], bindings)
                self._add(scope, func, mount, self._verb_methods(scope, func, func.func.attr, bindings), endpoint,
                          bindings)
            return
        # ``register_routes(app)``: a function the app or router is handed to registers on its parameter.
        passed = [i for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id in owners]
        passed_kw = [k.arg for k in call.keywords if isinstance(k.value, ast.Name) and k.value.id in owners and k.arg]
        if (passed or passed_kw) and depth < MAX_DEPTH:
            target = self.symbols.deref(self.symbols.resolve(scope.file, func, scope.function))
            if target is not None and target.kind == "function" and isinstance(target.node, _Function):
                params = [a.arg for a in (*target.node.args.posonlyargs, *target.node.args.args)]
                if params and params[0] in ("self", "cls") and isinstance(func, ast.Attribute):
                    params = params[1:]
                names = {params[i] for i in passed if i < len(params)} | set(passed_kw)
                key = (target.file.path, ",".join(sorted(names)), target.node.lineno)
                if names and key not in self._stack and target.file is not None:
                    self._stack.add(key)
                    self.symbols.bind_arguments(target.node, call, scope.file, scope.function)
                    self._read_registrations(Scope.of_function(target.file, target.node), names, mount, depth + 1,
                                             None)
                    self._stack.discard(key)

    def _decorated_route(self, scope: Scope, owners: set[str], mount: Mount, fn: _Function, decorator: ast.expr,
                         bindings: dict[str, ast.expr]) -> None:
        if not isinstance(decorator, ast.Call):
            return
        func = decorator.func
        if isinstance(func, ast.Attribute) and _receiver(func) in owners:
            if func.attr in ROUTE_VERBS:
                methods = self._verb_methods(scope, decorator, func.attr, bindings)
                self._add(scope, decorator, mount, methods, (scope.file, fn), bindings)
                return
            template = self._method_template(scope, func)
            if template is not None:
                self._templated_route(scope, decorator, fn, template, mount, bindings)
            return
        # ``@route(router, "/x")``: a custom decorator handed the router.
        template = self._function_template(scope, func)
        if template is not None and template.owner not in ("", "self"):
            owner_arg = _argument(template.fn, decorator, template.owner)
            if isinstance(owner_arg, ast.Name) and owner_arg.id in owners:
                self._templated_route(scope, decorator, fn, template, mount, bindings)

    def _verb_methods(self, scope: Scope, call: ast.Call, verb: str, bindings: dict[str, ast.expr]) -> list[str]:
        return [verb.upper()] if verb in HTTP_METHODS else self._methods(scope, call, bindings)

    def _added_route(self, scope: Scope, call: ast.Call, mount: Mount, bindings: dict[str, ast.expr]) -> None:
        endpoint_expr = call.args[1] if len(call.args) > 1 else keyword(call, "endpoint")
        endpoint = self._endpoint(scope, endpoint_expr, bindings) if endpoint_expr is not None else None
        self._add(scope, call, mount, self._methods(scope, call, bindings), endpoint, bindings)

    def _endpoint(self, scope: Scope, expr: ast.expr,
                  bindings: dict[str, ast.expr]) -> tuple[SourceFile, _Function] | None:
        found = self.symbols.deref(self.symbols.resolve(scope.file, _bind(expr, bindings), scope.function))
        if found is not None and found.kind == "function" and isinstance(found.node, _Function) and found.file:
            return found.file, found.node
        return None

    def _methods(self, scope: Scope, call: ast.Call, bindings: dict[str, ast.expr]) -> list[str]:
        expr = keyword(call, "methods")
        if expr is None:
            return ["GET"]
        expr = self.symbols.value(scope.file, _bind(expr, bindings), scope.function)
        items = expr.elts if isinstance(expr, ast.List | ast.Tuple | ast.Set) else None
        values = [self.symbols.string(scope.file, e, scope.function) for e in items] if items is not None else [None]
        if all(isinstance(v, str) for v in values) and values:
            return sorted({str(v).upper() for v in values})
        self._warn(scope, call, "cannot evaluate methods=; assuming GET (write the methods as a literal list)")
        return ["GET"]

    def _add(self, scope: Scope, call: ast.Call, mount: Mount, methods: list[str],
             endpoint: tuple[SourceFile, _Function] | None, bindings: dict[str, ast.expr] | None,
             path: str | None = None, at: tuple[Scope, ast.AST] | None = None) -> None:
        where_scope, where = at or (scope, call)
        if path is None:
            path_expr = call.args[0] if call.args else keyword(call, "path")
            path = self._string(scope, path_expr, bindings or {})
        if path is None:
            self._warn(where_scope, where, "cannot evaluate the route path; route left out (use a literal or a "
                                           "module constant)")
            return
        self.facts.sites.add((scope.file.path, call.lineno))
        self.facts.sites.add((where_scope.file.path, getattr(where, "lineno", 0)))
        options = {k.arg: k.value for k in call.keywords if k.arg}
        if literal(options.get("include_in_schema"), True) is False or not mount.include_in_schema:
            return
        tags = [t for t in literal(options.get("tags"), []) or [] if isinstance(t, str)]
        fn = endpoint[1] if endpoint else None
        self.facts.files.add(where_scope.file.path)
        self.facts.routes.append(
            StaticRoute(
                path=mount.prefix + path,
                methods=methods,
                endpoint=fn,
                name=fn.name if fn else str(literal(options.get("name"), "endpoint")),
                location=SourceRef(where_scope.file.path, getattr(where, "lineno", 0)),
                tags=list(dict.fromkeys([*mount.tags, *tags])),
                options={k: literal(v, v) for k, v in options.items()},
                deprecated=mount.deprecated or literal(options.get("deprecated"), False) is True,
                endpoint_file=endpoint[0] if endpoint else None,
            )
        )

    def _include(self, scope: Scope, call: ast.Call, mount: Mount, depth: int, bindings: dict[str, ast.expr]) -> None:
        target = call.args[0] if call.args else keyword(call, "router")
        if target is None or depth > MAX_DEPTH:
            return
        target = _bind(target, bindings)
        prefix = self._string(scope, keyword(call, "prefix"), bindings)
        if prefix is None and keyword(call, "prefix") is not None:
            self._warn(scope, call, f"cannot evaluate prefix={ast.unparse(keyword(call, 'prefix'))}; routes below "
                                    "it are written without it")
        tags = [t for t in literal(keyword(call, "tags"), []) or [] if isinstance(t, str)]
        include = literal(keyword(call, "include_in_schema"), True) is not False
        deprecated = literal(keyword(call, "deprecated"), False) is True
        router = self._router(scope, target, depth)
        if router is None and bindings and isinstance(target, ast.Attribute):
            owner = self.symbols.resolve(scope.file, target.value, scope.function)
            if owner is not None and owner.kind == "module":
                return  # a walked package's module without that router (the code guards it with hasattr)
        if router is None:
            self._warn(scope, call, f"cannot find the router {ast.unparse(target)!r}; its routes are left out "
                                    "(define it as an APIRouter(...) the include can import)")
            return
        self.facts.sites.add((scope.file.path, call.lineno))
        if router.key in self._stack:
            return
        self._stack.add(router.key)
        inner = mount.below(prefix or "", tags, include, deprecated)
        if router.call is not None:
            inner = inner.below(
                self._string(router.scope, keyword(router.call, "prefix"), {}) or "",
                [t for t in literal(keyword(router.call, "tags"), []) or [] if isinstance(t, str)],
                literal(keyword(router.call, "include_in_schema"), True) is not False,
                literal(keyword(router.call, "deprecated"), False) is True,
            )
            cls = self.symbols.resolve(router.scope.file, router.call.func, router.scope.function)
            if cls is not None and cls.kind == "class" and call_name(router.call) != "APIRouter":
                self._read_class(cls, inner, depth + 1)
        self._read_object(router, inner, depth + 1)
        self._stack.discard(router.key)

    def _mount(self, scope: Scope, call: ast.Call, mount: Mount, depth: int, bindings: dict[str, ast.expr]) -> None:
        """``app.mount("/x", subapp)``: a FastAPI sub-application's routes, below the mount path."""
        if len(call.args) < 2 and keyword(call, "app") is None:
            return
        target = _bind(call.args[1] if len(call.args) > 1 else keyword(call, "app"), bindings)
        prefix = self._string(scope, call.args[0] if call.args else keyword(call, "path"), bindings)
        app = self._app_object(scope, target, depth)
        if app is None or prefix is None:
            return
        self.facts.sites.add((scope.file.path, call.lineno))
        self._read_app_object(app, mount.below(prefix.rstrip("/"), [], True, False), depth + 1)

    # ------------------------------------------------------------ name resolution

    def _object_of(self, scope: Scope, expr: ast.expr, kinds: set[str], depth: int) -> _Object | None:
        """The variable an expression names whose value is a call to one of ``kinds`` (following names, imports,
        attributes of modules and functions returning it)."""
        current: Symbol | None = self.symbols.resolve(scope.file, expr, scope.function) if not isinstance(
            expr, ast.Call) else None
        if isinstance(expr, ast.Call):
            current = self.symbols.call_result(scope.file, expr, scope.function)
            if call_name(expr) in kinds:
                return _Object(scope, "", expr)
        for _ in range(MAX_DEPTH):
            if current is None or current.file is None or current.kind != "value":
                return None
            node = current.node
            owner = Scope.of_function(current.file, current.function) if current.function else \
                Scope.of_module(current.file)
            if isinstance(node, ast.Call):
                if call_name(node) in kinds:
                    return _Object(owner, current.name, node)
                current = self.symbols.call_result(current.file, node, current.function)
            elif isinstance(node, ast.Name | ast.Attribute):
                current = self.symbols.resolve(current.file, node, current.function)
            else:
                return None
        return None

    def _router(self, scope: Scope, expr: ast.expr, depth: int) -> _Object | None:
        return self._object_of(scope, expr, self.router_classes, depth)

    def _app_object(self, scope: Scope, expr: ast.expr, depth: int) -> _Object | None:
        return self._object_of(scope, expr, self.app_classes | self.app_functions, depth)

    def _loop_items(self, scope: Scope, loop: ast.For | ast.AsyncFor,
                    bindings: dict[str, ast.expr]) -> list[dict[str, ast.expr]] | None:
        """Bindings for each pass of a loop over a literal list / tuple / dict (or a name bound to one)."""
        iterable = _bind(loop.iter, bindings)
        if isinstance(iterable, ast.Call) and call_name(iterable) in ("walk_packages", "iter_modules"):
            return self._package_items(scope, loop, call_name(iterable) == "walk_packages")
        items_of_dict = isinstance(iterable, ast.Call) and call_name(iterable) == "items" and isinstance(
            iterable.func, ast.Attribute)
        source = iterable.func.value if items_of_dict else iterable  # type: ignore[union-attr]
        value = self.symbols.value(scope.file, source, scope.function)
        if isinstance(value, ast.Dict):
            elements: list[ast.expr] = ([ast.Tuple([k, v], ast.Load()) for k, v in zip(value.keys, value.values,
                                         strict=True) if k is not None] if items_of_dict else
                                        [k for k in value.keys if k is not None])
        elif isinstance(value, ast.List | ast.Tuple | ast.Set):
            elements = list(value.elts)
        else:
            return None
        out = []
        for element in elements:
            bound = _unpack(loop.target, element)
            if bound is None:
                return None
            out.append(bound)
        return out

    def _package_items(self, scope: Scope, loop: ast.For | ast.AsyncFor,
                       recursive: bool) -> list[dict[str, ast.expr]] | None:
        """``for _, name, _ in pkgutil.walk_packages(__path__)``: one pass per module of this file's package."""
        if not scope.file.path.endswith("__init__.py"):
            return None
        folder = scope.file.path.rsplit("/", 1)[0] if "/" in scope.file.path else ""
        prefix = f"{folder}/" if folder else ""
        stems = set()
        for path in self.index.by_path:
            if not path.startswith(prefix) or path == scope.file.path:
                continue
            rest = path[len(prefix):].removesuffix(".py").removesuffix("/__init__")
            if rest and (recursive or "/" not in rest):
                stems.add(prefix + rest)
        target = loop.target
        names = target.elts if isinstance(target, ast.Tuple) and len(target.elts) == 3 else None
        if names is None or not isinstance(names[1], ast.Name):
            return None
        return [{names[1].id: ast.Constant(ModuleRef(stem))} for stem in sorted(stems)]

    def _truth(self, scope: Scope, test: ast.expr, bindings: dict[str, ast.expr]) -> bool | None:
        """Whether ``if <test>:`` is taken, when the test is a flag (``config.redis_enabled``, ``not DEBUG``)
        bound to a literal True/False/None; None when it cannot tell."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self._truth(scope, test.operand, bindings)
            return None if inner is None else not inner
        if not isinstance(test, ast.Name | ast.Attribute):
            return None
        found = self.symbols.resolve(scope.file, _bind(test, bindings), scope.function)
        for _ in range(MAX_DEPTH):
            if found is None or found.kind != "value" or found.file is None:
                return None
            if isinstance(found.node, ast.Constant) and (found.node.value is None or isinstance(found.node.value,
                                                                                                  bool)):
                return bool(found.node.value)
            if not isinstance(found.node, ast.Name | ast.Attribute):
                return None
            found = self.symbols.resolve(found.file, found.node, found.function)
        return None

    def _string(self, scope: Scope, expr: ast.expr | None, bindings: dict[str, ast.expr]) -> str | None:
        if expr is None:
            return None
        return self.symbols.string(scope.file, _bind(expr, bindings), scope.function)

    # ------------------------------------------------------------ custom decorators and subclass methods

    def _function_template(self, scope: Scope, func: ast.expr) -> _Template | None:
        found = self.symbols.deref(self.symbols.resolve(scope.file, func, scope.function))
        if found is None or found.kind != "function" or not isinstance(found.node, _Function) or found.file is None:
            return None
        return self._template(found.file, found.node)

    def _method_template(self, scope: Scope, func: ast.Attribute) -> _Template | None:
        """``app.custom_get("/x")`` where ``custom_get`` is a method of the app's FastAPI/APIRouter subclass."""
        receiver = func.value
        owner = self.symbols.deref(self.symbols.resolve(scope.file, receiver, scope.function))
        cls = owner if owner is not None and owner.kind in ("instance", "class") else None
        if cls is None or not isinstance(cls.node, ast.ClassDef):
            return None
        method = self.symbols.attribute(Symbol("class", cls.file, cls.node, cls.name), func.attr)
        if method is None or method.kind != "function" or not isinstance(method.node, _Function) or not method.file:
            return None
        return self._template(method.file, method.node)

    def _template(self, f: SourceFile, fn: _Function) -> _Template | None:
        """What route a call of ``fn`` registers: the router method it calls with one of its parameters as path."""
        if id(fn) in self._templates:
            return self._templates[id(fn)]
        self._templates[id(fn)] = None
        params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
        template = None
        for node in _path_calls(f, fn):
            assert isinstance(node.func, ast.Attribute)
            verb = node.func.attr
            head = node.func.value
            if isinstance(head, ast.Call) and call_name(head) == "super" or (
                    isinstance(head, ast.Name) and head.id == "self"):
                template = _Template(f, fn, node, verb, "self", None)
            elif isinstance(head, ast.Name) and head.id in params:
                template = _Template(f, fn, node, verb, head.id, None)
            elif isinstance(head, ast.Name | ast.Attribute):
                obj = self._router(Scope.of_module(f), head, 0) or self._app_object(Scope.of_module(f), head, 0)
                if obj is not None:
                    template = _Template(f, fn, node, verb, "", obj)
            if template is not None:
                break
        self._templates[id(fn)] = template
        return template

    def _template_sites(self) -> dict[tuple[str, str, int], list[tuple[Scope, ast.Call, _Function, _Template]]]:
        """Every use of a custom decorator bound to a module-level router, by that router (read once)."""
        if self._global_sites is not None:
            return self._global_sites
        memo_key = ("route-template-sites", frozenset(self.router_classes), frozenset(self.app_classes))
        shared = self.symbols.memo.get(memo_key)
        if isinstance(shared, dict):
            self._global_sites = shared
            return shared
        self._global_sites = {}
        self.symbols.memo[memo_key] = self._global_sites
        used = {d.func.id for f in self.index.by_path.values() if f.tree for fn in statements(f.tree.body)
                if isinstance(fn, _Function) for d in fn.decorator_list
                if isinstance(d, ast.Call) and isinstance(d.func, ast.Name)}
        candidates = {fn.name for f in self.index.by_path.values() if f.tree for fn in statements(f.tree.body)
                      if isinstance(fn, _Function) and fn.name in used and _takes_path(fn, f)}
        for f in self.index.by_path.values():
            if f.tree is None or not candidates:
                continue
            for stmt in statements(f.tree.body):
                if not isinstance(stmt, _Function):
                    continue
                for deco in stmt.decorator_list:
                    if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name) and deco.func.id in candidates:
                        template = self._function_template(Scope.of_module(f), deco.func)
                        if template is not None and template.owner_object is not None:
                            key = template.owner_object.key
                            self._global_sites.setdefault(key, []).append((Scope.of_module(f), deco, stmt, template))
        return self._global_sites

    def _templated_route(self, scope: Scope, site: ast.Call, fn: _Function, template: _Template, mount: Mount,
                         bindings: dict[str, ast.expr] | None) -> None:
        """A route registered by calling ``template.fn`` at ``site``: its parameters bound to the site's arguments."""
        args = _call_bindings(template.fn, site, skip_self=template.owner == "self")
        inner = template.call
        path_expr = inner.args[0] if inner.args else keyword(inner, "path")
        path = self._template_string(template, path_expr, args, scope, bindings or {})
        if template.verb in HTTP_METHODS:
            methods = [template.verb.upper()]
        else:
            methods_expr = keyword(inner, "methods")
            if isinstance(methods_expr, ast.Name) and methods_expr.id in args:
                probe = ast.Call(func=ast.Name("x", ast.Load()), args=[], keywords=[ast.keyword(
                    "methods", args[methods_expr.id])])
                methods = self._methods(scope, probe, bindings or {})
            elif methods_expr is not None:
                methods = self._methods(Scope.of_function(template.file, template.fn), inner, {})
            else:
                verb = next((v for v in HTTP_METHODS if v in template.fn.name.lower().split("_")), "")
                methods = [verb.upper()] if verb else ["GET"]
        self.facts.sites.add((template.file.path, inner.lineno))
        merged = ast.Call(func=inner.func, args=[], keywords=[*(k for k in inner.keywords if k.arg and k.arg not in
                                                                args), *(k for k in site.keywords if k.arg)])
        merged.lineno = site.lineno
        self._add(scope, merged, mount, methods, (scope.file, fn), bindings, path=path, at=(scope, site))

    def _template_string(self, template: _Template, expr: ast.expr | None, args: dict[str, ast.expr],
                         site: Scope, bindings: dict[str, ast.expr]) -> str | None:
        if expr is None:
            return None
        if isinstance(expr, ast.Name) and expr.id in args:
            return self._string(site, args[expr.id], bindings)
        if isinstance(expr, ast.JoinedStr):
            parts = []
            for part in expr.values:
                value = (self._template_string(template, part.value, args, site, bindings)
                         if isinstance(part, ast.FormattedValue) else self.symbols.string(template.file, part))
                if value is None:
                    return None
                parts.append(value)
            return "".join(parts)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = self._template_string(template, expr.left, args, site, bindings)
            right = self._template_string(template, expr.right, args, site, bindings)
            return left + right if left is not None and right is not None else None
        return self.symbols.string(template.file, expr, template.fn)

    def _warn(self, scope: Scope, node: ast.AST, message: str) -> None:
        line = getattr(node, "lineno", 0)
        self.facts.diagnostics.append(Diagnostic(scope.file.path, line, message, Severity.WARNING))


# ---------------------------------------------------------------- route-like sites (the coverage denominator)


def route_sites(f: SourceFile, resolver: SymbolResolver, app_classes: set[str],
                router_classes: set[str]) -> list[tuple[int, str]]:
    """``(line, text)`` of every route-like decorator or call in ``f`` on something that could be a FastAPI app or
    router: ``@x.get(...)`` and the other verbs, ``@x.api_route``, ``x.add_api_route``, ``x.include_router``.
    An object known to be made by another framework's class (Slack Bolt ``App()``, Flask, typer) is not counted."""
    if f.tree is None or not _ROUTE_SITE_TEXT.search(f.text):
        return []
    out: list[tuple[int, str]] = []
    for node in module_nodes(f.tree):
        calls: list[ast.Call] = []
        if isinstance(node, _Function):
            calls = [d for d in node.decorator_list if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                     and d.func.attr in ROUTE_VERBS]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "add_api_route", "include_router"):
            calls = [node]
        for call in calls:
            func = call.func
            assert isinstance(func, ast.Attribute)
            if _foreign(f, func.value, resolver, app_classes | router_classes):
                continue
            out.append((call.lineno, f"{ast.unparse(func)}(...)"))
    return out


def _foreign(f: SourceFile, receiver: ast.expr, resolver: SymbolResolver, ours: set[str]) -> bool:
    """True when the receiver is known to be made by a class that is not FastAPI's (nor a subclass of it)."""
    if not isinstance(receiver, ast.Name):
        return False
    symbol = resolver.lookup(f, receiver.id)
    if symbol is None or symbol.kind != "value" or not isinstance(symbol.node, ast.Call):
        return False
    name = call_name(symbol.node)
    return bool(name) and name not in ours and name[:1].isupper()


# ---------------------------------------------------------------- small AST helpers


def _receiver(func: ast.expr) -> str:
    """``app`` for ``app.get`` (and ``self`` for ``super().get``); empty otherwise."""
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name):
            return func.value.id
        if isinstance(func.value, ast.Call) and call_name(func.value) == "super":
            return "self"
    return ""


def _expressions(stmt: ast.stmt) -> list[ast.AST]:
    """The expression nodes of one statement (not those of the blocks it holds), in source order."""
    out: list[ast.AST] = []
    for name, value in ast.iter_fields(stmt):
        if name in ("body", "orelse", "finalbody", "handlers", "cases", "decorator_list"):
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, ast.expr | ast.withitem | ast.keyword):
                stack = [item]
                while stack:
                    node = stack.pop()
                    out.append(node)
                    if not isinstance(node, ast.Lambda):
                        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _mentions(fn: _Function, names: set[str], f: SourceFile) -> bool:
    return bool(names & _function_facts(f)[1].get(id(fn), set()))


def _assigned(body: tuple[ast.stmt, ...] | list[ast.stmt], deep: bool = False) -> list[tuple[str, ast.Call, ast.stmt]]:
    """``(name, call, statement)`` for each ``name = call(...)`` in ``body`` (and its blocks when ``deep``)."""
    found = []
    stmts = statements(list(body), into_definitions=False) if deep else body
    for stmt in stmts:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            found += [(t.id, stmt.value, stmt) for t in stmt.targets if isinstance(t, ast.Name)]
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.value, ast.Call) and isinstance(stmt.target, ast.Name):
            found.append((stmt.target.id, stmt.value, stmt))
    return found


def _function(body: list[ast.stmt], name: str) -> _Function | None:
    return next((s for s in reversed(body) if isinstance(s, _Function) and s.name == name), None)


_ROUTE_CALL_TEXT = re.compile(r"\.\s*(?:get|put|post|delete|options|head|patch|trace|api_route|add_api_route)\s*\(")
_ROUTE_METHODS = frozenset((*ROUTE_VERBS, "add_api_route"))
_ROUTE_SITE_TEXT = re.compile(r"@[\w.\s]+\.\s*(?:get|put|post|delete|options|head|patch|trace|api_route)\s*\(|"
                              r"\.\s*(?:add_api_route|include_router)\s*\(")
_FACTS_MEMO: dict[str, tuple[ast.Module, dict[int, list[ast.Call]], dict[int, set[str]]]] = {}


def _function_facts(f: SourceFile) -> tuple[dict[int, list[ast.Call]], dict[int, set[str]]]:
    """For each function of ``f`` (by id): the router-method calls inside it (``x.get(...)``,
    ``x.add_api_route(...)``...) and every name it mentions; one walk per file, cached."""
    tree = f.tree
    cached = _FACTS_MEMO.get(f.path)
    if cached is not None and cached[0] is tree:
        return cached[1], cached[2]
    calls: dict[int, list[ast.Call]] = {}
    names: dict[int, set[str]] = {}
    if tree is not None:
        route_text = bool(_ROUTE_CALL_TEXT.search(f.text))
        stack: list[tuple[ast.AST, tuple[int, ...]]] = [(tree, ())]
        while stack:
            node, inside = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, _Function):
                    names[id(child)] = set()
                    stack.append((child, (*inside, id(child))))
                    continue
                if isinstance(child, ast.Name):
                    for fid in inside:
                        names[fid].add(child.id)
                elif route_text and isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and (
                        child.func.attr in _ROUTE_METHODS):
                    for fid in inside:
                        calls.setdefault(fid, []).append(child)
                stack.append((child, inside))
        _FACTS_MEMO[f.path] = (tree, calls, names)
    return calls, names


def _path_calls(f: SourceFile, fn: _Function) -> list[ast.Call]:
    """Router-method calls in ``fn`` whose path mentions one of ``fn``'s parameters, in source order."""
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    if not params:
        return []
    found = []
    for node in _function_facts(f)[0].get(id(fn), []):
        path = node.args[0] if node.args else keyword(node, "path")
        if path is not None and {n.id for n in ast.walk(path) if isinstance(n, ast.Name)} & params:
            found.append(node)
    return sorted(found, key=lambda c: (c.lineno, c.col_offset))


def _takes_path(fn: _Function, f: SourceFile) -> bool:
    """A function whose body calls a router method with one of its parameters in the path."""
    return bool(_path_calls(f, fn))


def _call_bindings(fn: _Function, call: ast.Call, skip_self: bool) -> dict[str, ast.expr]:
    """Parameter name -> argument expression of ``call`` to ``fn`` (defaults for those not given)."""
    positional = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    if skip_self and positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    out: dict[str, ast.expr] = {}
    defaults = list(fn.args.defaults)
    for name, default in zip(positional[len(positional) - len(defaults):], defaults, strict=False):
        out[name] = default
    for arg, default in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
        if default is not None:
            out[arg.arg] = default
    for name, value in zip(positional, call.args, strict=False):
        out[name] = value
    for kw in call.keywords:
        if kw.arg:
            out[kw.arg] = kw.value
    return out


def _argument(fn: _Function, call: ast.Call, name: str) -> ast.expr | None:
    return _call_bindings(fn, call, skip_self=False).get(name)


def _unpack(target: ast.expr, value: ast.expr) -> dict[str, ast.expr] | None:
    if isinstance(target, ast.Name):
        return {target.id: value}
    if isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List) and len(
            target.elts) == len(value.elts):
        out: dict[str, ast.expr] = {}
        for t, v in zip(target.elts, value.elts, strict=True):
            inner = _unpack(t, v)
            if inner is None:
                return None
            out.update(inner)
        return out
    return None


class _Substitute(ast.NodeTransformer):
    def __init__(self, bindings: dict[str, ast.expr]) -> None:
        self.bindings = bindings

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802 - the NodeTransformer protocol
        return self.bindings.get(node.id, node)


def _bind(expr: ast.expr, bindings: dict[str, ast.expr]) -> ast.expr:
    """``expr`` with loop variables replaced by the values of this pass."""
    if not bindings:
        return expr
    if isinstance(expr, ast.Name):
        return bindings.get(expr.id, expr)
    if not any(isinstance(n, ast.Name) and n.id in bindings for n in ast.walk(expr)):
        return expr
    return _Substitute(bindings).visit(copy.deepcopy(expr))


def docstring(fn: _Function | None) -> str:
    """The endpoint's docstring as FastAPI shows it: cleaned, cut at a form feed."""
    text = ast.get_docstring(fn, clean=False) if fn else None
    return inspect.cleandoc(text).split("\f")[0] if text else ""


def unique_id(name: str, path: str, method: str) -> str:
    """FastAPI's default operation id: endpoint name + path with non-word characters as ``_`` + method."""
    return re.sub(r"\W", "_", name + path) + "_" + method.lower()


def with_prefix(route: StaticRoute, prefix: str) -> StaticRoute:
    """A copy of ``route`` mounted below ``prefix``."""
    return replace(route, path=prefix + route.path)
