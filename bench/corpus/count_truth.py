"""Independent ground-truth counter for the open evaluation corpus (`make bench-corpus`).

It reads a checkout with `ast` and regular expressions only and deliberately imports nothing from the project's
extractors, so that its numbers can be used to judge them. It counts:

* FastAPI / Starlette applications: `FastAPI(...)`, `Starlette(...)` and instances of repository classes that
  subclass them, including apps built by factory functions (`app = create_app("orders")`);
* routes as `METHOD /full/path`: `@x.get(...)`-style decorators, `api_route`, `add_api_route`, `add_route`,
  Starlette `Route`/`Mount`, with `APIRouter(prefix=...)`, `include_router(..., prefix=...)` and `mount(...)`
  resolved through imports, module constants, f-strings, settings-class defaults, loops over literal lists of
  routers, helper functions that receive the app or router as an argument, and subclasses that register routers on
  `self`;
* message-broker call sites: NATS (`publish`, `subscribe`, `request`, `pull_subscribe`, `add_stream`, JetStream
  included), Kafka (aiokafka / kafka-python / confluent-kafka `send`, `send_and_wait`, `produce`, `subscribe`,
  consumer constructors given topics), RabbitMQ (aio-pika and pika `publish`/`consume`/`basic_publish`/
  `basic_consume`/`iterator`) and boto3 SQS (`send_message`, `send_message_batch`, `receive_message`), each with
  its subject when the counter can resolve it;
* Terraform `resource "type" "name"` blocks (regex over `.tf`, `resource` keys of `.tf.json`).

Usage: python count_truth.py CHECKOUT [--json OUT]. The printout lists what it could not resolve, for checking by
hand; bench/corpus/CORRECTIONS.md records the corrections made on top of it.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
APP_CLASSES = {"FastAPI", "Starlette"}
ROUTER_CLASSES = {"APIRouter"}
FRAMEWORK_MODULES = ("fastapi", "starlette")
SKIP_DIRS = {".git", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", ".tox", "build", "dist",
             ".mypy_cache", ".pytest_cache"}
UNRESOLVED = "\x00"  # marks a string part the counter could not resolve

NATS_CALLS = {"publish", "subscribe", "request", "pull_subscribe", "add_stream"}
KAFKA_CALLS = {"send", "send_and_wait", "produce", "subscribe"}
KAFKA_CONSUMERS = {"AIOKafkaConsumer", "KafkaConsumer"}
RABBIT_CALLS = {"publish", "consume", "iterator", "basic_publish", "basic_consume"}
SQS_CALLS = {"send_message", "send_message_batch", "receive_message"}
NOT_RECEIVERS = {"self", "cls", "asyncio", "super", "logger", "logging", "log", "print", "os", "json"}


def is_test_path(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    return (any(p in {"tests", "test", "testing", "__tests__"} for p in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py")


def norm_path(path: str) -> str:
    path = re.sub(r"\{[^{}]*\}", "{}", path)
    path = re.sub(r"/{2,}", "/", path)
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


# ----------------------------------------------------------------------------------------------------------- objects
@dataclass
class Node:
    """An app or router object: its own routes, the routers/apps it includes, the templates it inherits."""

    id: str
    kind: str  # "app" | "router" | "template"
    file: str
    line: int
    cls: str = ""
    prefix: str = ""
    routes: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, where)
    includes: list[tuple[Node, str, str]] = field(default_factory=list)  # (child, prefix, where)
    inherits: list[Node] = field(default_factory=list)
    in_function: str = ""  # function that builds it, when created inside one
    called: bool = False  # the function building it is called somewhere
    hidden: bool = False  # APIRouter(include_in_schema=False): served, but not documented


@dataclass
class Mod:
    rel: str
    tree: ast.Module | None
    source: str
    dotted: list[str]
    globals: dict[str, list[ast.AST]] = field(default_factory=dict)
    imports: dict[str, tuple] = field(default_factory=dict)
    fw_names: dict[str, str] = field(default_factory=dict)  # local name -> FastAPI/Starlette/APIRouter/Route/Mount
    fw_modules: set[str] = field(default_factory=set)  # local names bound to fastapi/starlette modules
    broker_libs: set[str] = field(default_factory=set)


class Scope:
    def __init__(self, mod: Mod, names: dict[str, list[ast.AST]] | None = None, parent: Scope | None = None,
                 func: ast.AST | None = None, cls: ast.ClassDef | None = None, bound: dict | None = None):
        self.mod, self.names, self.parent, self.func, self.cls = mod, names or {}, parent, func, cls
        self.bound = bound or {}


def local_bindings(body: list[ast.stmt]) -> dict[str, list[ast.AST]]:
    """Names assigned directly in a body (not in nested functions/classes), to the statements assigning them."""
    names: dict[str, list[ast.AST]] = defaultdict(list)

    def visit(stmts):
        for st in stmts:
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name):
                        names[t.id].append(st)
            elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None:
                names[st.target.id].append(st)
            elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names[st.name].append(st)
            elif isinstance(st, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
                for attr in ("body", "orelse", "finalbody", "handlers"):
                    sub = getattr(st, attr, None) or []
                    if attr == "handlers":
                        for h in sub:
                            visit(h.body)
                    else:
                        visit(sub)
    visit(body)
    return names


class Counter_:
    def __init__(self, root: Path):
        self.root = root
        self.mods: dict[str, Mod] = {}
        self.by_suffix: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self.nodes: dict[str, Node] = {}
        self.unparsed: list[str] = []
        self.notes: list[str] = []
        self.settings_defaults: dict[str, set[str]] = defaultdict(set)
        self.subclass_kind: dict[tuple[str, str], str] = {}
        self.called_funcs: set[tuple[str, str]] = set()
        self._eval_guard: set = set()
        self.broker_sites: list[dict] = []
        self.mounted: set[int] = set()
        self.mode = "register"

    # -------------------------------------------------------------------------------------------------- loading
    def load(self):
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            for fn in sorted(filenames):
                if not fn.endswith(".py"):
                    continue
                full = Path(dirpath) / fn
                rel = full.relative_to(self.root).as_posix()
                if is_test_path(rel):
                    continue
                try:
                    source = full.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                tree = self.parse(source, rel)
                parts = rel[:-3].split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                mod = Mod(rel, tree, source, parts)
                self.mods[rel] = mod
                for i in range(len(parts)):
                    self.by_suffix[tuple(parts[i:])].append(rel)
        for mod in self.mods.values():
            if mod.tree is not None:
                self.index(mod)
        self.find_subclasses()
        self.find_settings()

    def parse(self, source: str, rel: str) -> ast.Module | None:
        try:
            return ast.parse(source)
        except SyntaxError:
            pass
        # PEP 758 (Python 3.14) allows `except A, B:`; rewrite it so a 3.11 parser reads the file.
        fixed = re.sub(r"^(\s*except\s+)([\w.]+(?:\s*,\s*[\w.]+)+)(\s*(?:as\s+\w+)?\s*:)", r"\1(\2)\3", source,
                       flags=re.M)
        try:
            tree = ast.parse(fixed)
            self.notes.append(f"{rel}: parsed after rewriting `except A, B:` (Python 3.14 syntax)")
            return tree
        except SyntaxError as exc:
            self.unparsed.append(f"{rel}: {exc.msg} (line {exc.lineno})")
            return None

    def index(self, mod: Mod):
        mod.globals = local_bindings(mod.tree.body)
        for st in ast.walk(mod.tree):
            if isinstance(st, ast.Import):
                for a in st.names:
                    top = a.name.split(".")[0]
                    self.note_lib(mod, a.name)
                    if a.asname:
                        mod.imports[a.asname] = ("module", a.name, 0, mod.rel)
                    else:
                        mod.imports.setdefault(top, ("module", top, 0, mod.rel))
                    if top in FRAMEWORK_MODULES:
                        mod.fw_modules.add(a.asname or top)
            elif isinstance(st, ast.ImportFrom):
                base = st.module or ""
                self.note_lib(mod, base) if st.level == 0 else None
                for a in st.names:
                    local = a.asname or a.name
                    if st.level == 0 and base.split(".")[0] in FRAMEWORK_MODULES:
                        if a.name in APP_CLASSES | ROUTER_CLASSES | {"Route", "Mount", "APIRoute"}:
                            mod.fw_names[local] = a.name
                        elif a.name in {"applications", "routing"}:
                            mod.fw_modules.add(local)
                        continue
                    mod.imports[local] = ("from", base, st.level, a.name)

    @staticmethod
    def note_lib(mod: Mod, name: str):
        parts = name.split(".")
        top = parts[0]
        if top == "faststream" and len(parts) > 1:
            top = {"nats": "nats", "kafka": "kafka", "confluent": "kafka", "rabbit": "pika"}.get(parts[1], "")
        if top == "nats":
            mod.broker_libs.add("nats")
        elif top in {"aiokafka", "kafka", "confluent_kafka"}:
            mod.broker_libs.add("kafka")
        elif top in {"aio_pika", "pika", "aiormq"}:
            mod.broker_libs.add("rabbit")
        elif top in {"boto3", "aioboto3", "aiobotocore"}:
            mod.broker_libs.add("sqs")

    def resolve_module(self, dotted: str, from_rel: str) -> str | None:
        parts = tuple(p for p in dotted.split(".") if p)
        if not parts:
            return None
        cands = self.by_suffix.get(parts, [])
        if not cands:
            return None
        here = from_rel.split("/")

        def common(c):
            n = 0
            for a, b in zip(c.split("/"), here, strict=False):
                if a != b:
                    break
                n += 1
            return n
        return max(cands, key=lambda c: (common(c), -len(c)))

    def relative_base(self, mod: Mod, level: int, base: str) -> str:
        pkg = mod.dotted if mod.rel.endswith("__init__.py") else mod.dotted[:-1]
        if level > 1:
            pkg = pkg[: len(pkg) - (level - 1)]
        return ".".join(pkg + ([base] if base else []))

    def exact_module(self, dotted: str) -> str | None:
        parts = tuple(p for p in dotted.split(".") if p)
        for c in self.by_suffix.get(parts, []):
            if tuple(self.mods[c].dotted) == parts:
                return c
        return None

    def import_target(self, mod: Mod, local: str):
        """What an imported local name refers to: ("module", rel) or ("attr", rel, name)."""
        imp = mod.imports.get(local)
        if imp is None:
            return None
        if imp[0] == "module":
            rel = self.resolve_module(imp[1], mod.rel)
            return ("module", rel) if rel else None
        _, base, level, name = imp
        if level:
            pkg = self.relative_base(mod, level, base)
            sub = self.exact_module(f"{pkg}.{name}" if pkg else name)
            if sub:
                return ("module", sub)
            target = self.exact_module(pkg) if pkg else None
        else:
            sub = self.resolve_module(f"{base}.{name}", mod.rel)
            if sub:
                return ("module", sub)
            target = self.resolve_module(base, mod.rel)
        return ("attr", target, name) if target else None

    # ------------------------------------------------------------------------------------------ class analysis
    def find_subclasses(self):
        classes = {}
        for mod in self.mods.values():
            if mod.tree is None:
                continue
            for st in ast.walk(mod.tree):
                if isinstance(st, ast.ClassDef):
                    classes[(mod.rel, st.name)] = (mod, st)
        changed = True
        while changed:
            changed = False
            for key, (mod, st) in classes.items():
                if key in self.subclass_kind:
                    continue
                for b in st.bases:
                    kind = self.class_kind(mod, b)
                    if kind:
                        self.subclass_kind[key] = kind
                        changed = True
                        break

    def class_kind(self, mod: Mod, expr: ast.AST) -> str:
        """'app' / 'router' when expr names FastAPI/Starlette/APIRouter or a repository subclass of them."""
        if isinstance(expr, ast.Name):
            fw = mod.fw_names.get(expr.id)
            if fw in APP_CLASSES:
                return "app"
            if fw in ROUTER_CLASSES:
                return "router"
            if expr.id in mod.globals and (mod.rel, expr.id) in self.subclass_kind:
                return self.subclass_kind[(mod.rel, expr.id)]
            tgt = self.import_target(mod, expr.id)
            if tgt and tgt[0] == "attr":
                return self.subclass_kind.get((tgt[1], tgt[2]), "")
            return ""
        if isinstance(expr, ast.Attribute):
            if isinstance(expr.value, ast.Name) and expr.value.id in mod.fw_modules or (
                    isinstance(expr.value, ast.Attribute) and isinstance(expr.value.value, ast.Name)
                    and expr.value.value.id in mod.fw_modules):
                if expr.attr in APP_CLASSES:
                    return "app"
                if expr.attr in ROUTER_CLASSES:
                    return "router"
            if isinstance(expr.value, ast.Name):
                tgt = self.import_target(mod, expr.value.id)
                if tgt and tgt[0] == "module":
                    return self.subclass_kind.get((tgt[1], expr.attr), "")
        return ""

    def fw_name(self, mod: Mod, expr: ast.AST) -> str:
        if isinstance(expr, ast.Name):
            return mod.fw_names.get(expr.id, "")
        if isinstance(expr, ast.Attribute):
            base = expr.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in mod.fw_modules:
                return expr.attr if expr.attr in APP_CLASSES | ROUTER_CLASSES | {"Route", "Mount"} else ""
        return ""

    def find_settings(self):
        """String defaults of class attributes (`API_V1_STR: str = "/api/v1"`), for `settings.X` look-ups."""
        for mod in self.mods.values():
            if mod.tree is None:
                continue
            for st in ast.walk(mod.tree):
                if isinstance(st, ast.ClassDef):
                    for item in st.body:
                        target = value = None
                        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                            target, value = item.target.id, item.value
                        elif isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(
                                item.targets[0], ast.Name):
                            target, value = item.targets[0].id, item.value
                        if target and isinstance(value, ast.Constant) and isinstance(value.value, str):
                            self.settings_defaults[target].add(value.value)
                        elif target and isinstance(value, ast.Call) and value.args and isinstance(
                                value.args[0], ast.Constant) and isinstance(value.args[0].value, str):
                            # Field("/api", ...) style defaults
                            fn = value.func
                            if isinstance(fn, ast.Name) and fn.id == "Field":
                                self.settings_defaults[target].add(value.args[0].value)

    # --------------------------------------------------------------------------------------------- evaluation
    def lookup(self, scope: Scope, name: str):
        s = scope
        while s is not None:
            if name in s.bound:
                return ("value", s.bound[name])
            if name in s.names:
                return ("stmts", s, s.names[name])
            if s.func is not None and s.parent is not None and name in self.params(s.func):
                return ("param", s, name)
            s = s.parent
        mod = scope.mod
        if name in mod.globals:
            return ("stmts", self.module_scope(mod), mod.globals[name])
        tgt = self.import_target(mod, name)
        if tgt is not None:
            return ("import", tgt)
        return None

    @staticmethod
    def params(func) -> list[str]:
        a = func.args
        return [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]

    def module_scope(self, mod: Mod) -> Scope:
        return Scope(mod, {})

    def eval(self, expr: ast.AST, scope: Scope, depth: int = 0):
        if depth > 40 or expr is None:
            return None
        if isinstance(expr, ast.Constant):
            return expr.value
        if isinstance(expr, ast.JoinedStr):
            out = []
            for v in expr.values:
                if isinstance(v, ast.Constant):
                    out.append(str(v.value))
                else:
                    inner = self.eval(v.value, scope, depth + 1)
                    out.append(inner if isinstance(inner, str) else UNRESOLVED + "{" + ast.unparse(v.value) + "}")
            return "".join(out)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            a, b = self.eval(expr.left, scope, depth + 1), self.eval(expr.right, scope, depth + 1)
            if isinstance(a, str) and isinstance(b, str):
                return a + b
            if isinstance(a, list) and isinstance(b, list):
                return a + b
            return None
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return [("expr", e, scope) for e in expr.elts]
        if isinstance(expr, ast.Name):
            return self.eval_name(expr.id, scope, depth)
        if isinstance(expr, ast.Attribute):
            return self.eval_attr(expr, scope, depth)
        if isinstance(expr, ast.Call):
            return self.eval_call(expr, scope, depth)
        if isinstance(expr, ast.Await):
            return self.eval(expr.value, scope, depth + 1)
        return None

    def eval_name(self, name: str, scope: Scope, depth: int):
        found = self.lookup(scope, name)
        if found is None:
            return None
        if found[0] == "value":
            return found[1]
        if found[0] == "param":
            _, s, pname = found
            return self.param_node(s, pname)
        if found[0] == "import":
            tgt = found[1]
            if tgt[0] == "module":
                return ("module", tgt[1])
            mod = self.mods.get(tgt[1])
            if mod is None or mod.tree is None:
                return None
            key = ("imp", tgt[1], tgt[2])
            if key in self._eval_guard:
                return None
            self._eval_guard.add(key)
            try:
                return self.eval_name(tgt[2], self.module_scope(mod), depth + 1)
            finally:
                self._eval_guard.discard(key)
        _, s, stmts = found
        st = stmts[-1]
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return ("func", s.mod.rel, st, s)
        if isinstance(st, ast.ClassDef):
            return ("class", s.mod.rel, st)
        key = ("name", s.mod.rel, id(st), name)
        if key in self._eval_guard:
            return None
        self._eval_guard.add(key)
        try:
            return self.eval(st.value, s, depth + 1)
        finally:
            self._eval_guard.discard(key)

    def eval_attr(self, expr: ast.Attribute, scope: Scope, depth: int):
        self_bound = isinstance(expr.value, ast.Name) and expr.value.id == "self" and (
            (self.lookup(scope, "self") or ("",))[0] == "value")
        if isinstance(expr.value, ast.Name) and expr.value.id == "self" and scope.cls is not None and not self_bound:
            # self.X assigned in the class's methods, or the class template itself for FastAPI subclasses
            kind = self.subclass_kind.get((scope.mod.rel, scope.cls.name))
            for item in scope.cls.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for st in ast.walk(item):
                        if isinstance(st, ast.Assign) and any(
                                isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
                                and t.attr == expr.attr for t in st.targets):
                            key = ("selfattr", scope.mod.rel, scope.cls.name, expr.attr)
                            if key in self._eval_guard:
                                return None
                            self._eval_guard.add(key)
                            try:
                                inner = Scope(scope.mod, local_bindings(item.body), scope, item, scope.cls)
                                return self.eval(st.value, inner, depth + 1)
                            finally:
                                self._eval_guard.discard(key)
            if kind and expr.attr == "router":
                return self.class_template(scope.mod, scope.cls)
            return None
        base = self.eval(expr.value, scope, depth + 1)
        if isinstance(base, tuple) and base and base[0] == "module":
            mod = self.mods.get(base[1])
            if mod is None or mod.tree is None:
                return None
            if expr.attr in mod.globals or expr.attr in mod.imports:
                return self.eval_name(expr.attr, self.module_scope(mod), depth + 1)
            sub = self.resolve_module(".".join(mod.dotted + [expr.attr]), mod.rel)
            return ("module", sub) if sub else None
        if isinstance(base, Node):
            return base if expr.attr == "router" else None
        if isinstance(base, tuple) and base and base[0] == "instance":
            val = self.class_attr(base, expr.attr, depth)
            if val is not None:
                return val
        # settings.X / get_settings().X / config.settings.X: a unique string default of a class attribute
        vals = self.settings_defaults.get(expr.attr)
        if vals and len(vals) == 1 and self.looks_like_settings(expr.value):
            return next(iter(vals))
        return None

    @staticmethod
    def looks_like_settings(expr: ast.AST) -> bool:
        text = ast.unparse(expr).lower()
        return any(w in text for w in ("settings", "config", "conf", "cfg", "env"))

    def class_attr(self, inst: tuple, attr: str, depth: int):
        """An attribute of an instance: its constructor keyword, the class default, or a property's result."""
        _, rel, cls, call, call_scope = inst
        mod = self.mods[rel]
        for k in call.keywords:
            if k.arg == attr:
                return self.eval(k.value, call_scope, depth + 1)
        for item in cls.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == attr and any(
                    isinstance(d, ast.Name) and d.id in {"property", "cached_property"} for d in item.decorator_list):
                key = ("prop", rel, cls.name, attr, id(call))
                if key in self._eval_guard:
                    return None
                self._eval_guard.add(key)
                try:
                    body = Scope(mod, local_bindings(item.body), self.module_scope(mod), item, cls, {"self": inst})
                    return self.returned(item.body, body, depth)
                finally:
                    self._eval_guard.discard(key)
                return None
        for item in cls.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.target.id == attr:
                return self.eval(item.value, self.module_scope(mod), depth + 1)
            if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in item.targets):
                return self.eval(item.value, self.module_scope(mod), depth + 1)
        scope = Scope(mod, {}, None, None, cls)
        return self.eval_attr(ast.Attribute(value=ast.Name(id="self"), attr=attr), scope, depth + 1)

    def eval_call(self, call: ast.Call, scope: Scope, depth: int):
        mod = scope.mod
        key = f"{mod.rel}:{call.lineno}:{call.col_offset}"
        if key in self.nodes:
            return self.nodes[key]
        fw = self.fw_name(mod, call.func)
        kind = self.class_kind(mod, call.func)
        if kind or fw in APP_CLASSES | ROUTER_CLASSES:
            kind = kind or ("app" if fw in APP_CLASSES else "router")
            node = Node(key, kind, mod.rel, call.lineno, cls=ast.unparse(call.func))
            node.in_function = self.enclosing_func_name(scope)
            self.nodes[key] = node
            prefix = self.kwarg(call, "prefix")
            if prefix is not None:
                node.prefix = self.as_str(self.eval(prefix, scope, depth + 1), prefix)
            schema = self.kwarg(call, "include_in_schema")
            node.hidden = schema is not None and self.eval(schema, scope, depth + 1) is False
            sub = self.eval(call.func, scope, depth + 1)
            if isinstance(sub, tuple) and sub and sub[0] == "class":
                tmpl = self.class_template(self.mods[sub[1]], sub[2])
                node.inherits.append(tmpl)
                if not node.prefix and tmpl.prefix:
                    node.prefix = tmpl.prefix
            routes_kw = self.kwarg(call, "routes")
            if routes_kw is not None:
                self.starlette_routes(node, routes_kw, scope, depth)
            return node
        target = self.eval(call.func, scope, depth + 1)
        if isinstance(target, tuple) and target and target[0] == "func":
            _, rel, fdef, fscope = target
            self.called_funcs.add((rel, fdef.name))
            made = self.function_result(rel, fdef, fscope, depth)
            if isinstance(made, Node):
                node = Node(key, "app" if made.kind in ("app", "template") and self.root_kind(made) == "app"
                            else "router", mod.rel, call.lineno, cls=f"{fdef.name}()")
                node.inherits.append(made)
                node.prefix = made.prefix
                node.in_function = self.enclosing_func_name(scope)
                self.nodes[key] = node
                made.called = True
                return node
            return made
        if isinstance(target, tuple) and target and target[0] == "class":
            return ("instance", target[1], target[2], call, scope)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "jetstream":
            return None
        return None

    def root_kind(self, node: Node) -> str:
        seen = set()
        while node.inherits and node.id not in seen:
            seen.add(node.id)
            if node.kind in ("app", "router"):
                return node.kind
            node = node.inherits[0]
        return node.kind

    def function_result(self, rel: str, fdef, fscope: Scope, depth: int):
        key = ("ret", rel, fdef.lineno)
        if key in self._eval_guard:
            return None
        self._eval_guard.add(key)
        try:
            inner = Scope(self.mods[rel], local_bindings(fdef.body), fscope, fdef, fscope.cls)
            return self.returned(fdef.body, inner, depth)
        finally:
            self._eval_guard.discard(key)

    def returned(self, body: list[ast.stmt], scope: Scope, depth: int):
        """What a function body returns, following `if` tests the counter can evaluate, in statement order."""
        for st in body:
            if isinstance(st, ast.Return):
                return self.eval(st.value, scope, depth + 1) if st.value is not None else None
            if isinstance(st, ast.If):
                test = self.eval(st.test, scope, depth + 1)
                if isinstance(test, (str, bool, int, float)) or test is None and isinstance(st.test, ast.Constant):
                    val = self.returned(st.body if test else st.orelse, scope, depth)
                else:
                    val = self.returned(st.body, scope, depth)
                    if val is None:
                        val = self.returned(st.orelse, scope, depth)
                if val is not None:
                    return val
            elif isinstance(st, (ast.Try, ast.With, ast.AsyncWith)):
                val = self.returned(st.body, scope, depth)
                if val is not None:
                    return val
        return None

    @staticmethod
    def enclosing_func_name(scope: Scope) -> str:
        s = scope
        while s is not None:
            if s.func is not None:
                return f"{s.mod.rel}:{s.func.name}"
            s = s.parent
        return ""

    def class_template(self, mod: Mod, cls: ast.ClassDef) -> Node:
        key = f"class:{mod.rel}:{cls.name}"
        node = self.nodes.get(key)
        if node is None:
            node = Node(key, "template", mod.rel, cls.lineno, cls=cls.name)
            self.nodes[key] = node
            for b in cls.bases:
                base = self.eval(b, self.module_scope(mod))
                if isinstance(base, tuple) and base and base[0] == "class":
                    node.inherits.append(self.class_template(self.mods[base[1]], base[2]))
            # super().__init__(prefix=...) inside the subclass
            for st in ast.walk(cls):
                if isinstance(st, ast.Call) and isinstance(st.func, ast.Attribute) and st.func.attr == "__init__":
                    p = self.kwarg(st, "prefix")
                    val = self.eval(p, self.module_scope(mod)) if p is not None else None
                    if isinstance(val, str):  # a parameter passed through (prefix=prefix) is not a default
                        node.prefix = val
        return node

    def param_node(self, scope: Scope, pname: str) -> Node:
        if pname == "self" and scope.cls is not None and (scope.mod.rel, scope.cls.name) in self.subclass_kind:
            return self.class_template(scope.mod, scope.cls)
        key = f"param:{scope.mod.rel}:{scope.func.lineno}:{pname}"
        node = self.nodes.get(key)
        if node is None:
            node = Node(key, "template", scope.mod.rel, scope.func.lineno, cls=f"{scope.func.name}({pname})")
            self.nodes[key] = node
        return node

    @staticmethod
    def kwarg(call: ast.Call, name: str):
        for k in call.keywords:
            if k.arg == name:
                return k.value
        return None

    def as_str(self, val, expr) -> str:
        if isinstance(val, str):
            return val
        return UNRESOLVED + "{" + ast.unparse(expr) + "}"

    def as_node(self, val):
        if isinstance(val, Node):
            return val
        return None

    # ---------------------------------------------------------------------------------------- registrations
    def walk_scopes(self):
        for mod in list(self.mods.values()):
            if mod.tree is None:
                continue
            self.visit_body(mod.tree.body, self.module_scope(mod))

    def visit_body(self, body, scope: Scope):
        for st in body:
            self.visit_stmt(st, scope)

    def visit_stmt(self, st, scope: Scope):
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in st.decorator_list:
                if self.mode == "register":
                    self.decorator(dec, st, scope)
                else:
                    self.broker_decorator(dec, st, scope)
            inner = Scope(scope.mod, local_bindings(st.body), scope, st, scope.cls)
            self.visit_body(st.body, inner)
            return
        if isinstance(st, ast.ClassDef):
            inner = Scope(scope.mod, local_bindings(st.body), scope, None, st)
            self.visit_body(st.body, inner)
            return
        if isinstance(st, (ast.For, ast.AsyncFor)):
            items = self.eval(st.iter, scope)
            if isinstance(items, list) and items:
                for item in items:
                    bound = self.bind_target(st.target, item)
                    if bound is None:
                        continue
                    loop = Scope(scope.mod, {}, scope, None, scope.cls, bound)
                    loop.func = None
                    self.visit_body(st.body, loop)
            else:
                self.visit_body(st.body, scope)
            self.visit_body(st.orelse, scope)
            return
        for attr in ("body", "orelse", "finalbody"):
            if isinstance(st, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.While)) and getattr(st, attr, None):
                self.visit_body(getattr(st, attr), scope)
        if isinstance(st, ast.Try):
            for h in st.handlers:
                self.visit_body(h.body, scope)
        if isinstance(st, (ast.Assign, ast.AnnAssign, ast.Return, ast.Expr)) and isinstance(
                getattr(st, "value", None), (ast.Call, ast.Await)):
            self.eval(st.value, scope)  # creates the app/router objects even when nothing registers on them
        for node in self.calls_in(st):
            if self.mode == "register":
                self.registration(node, scope)
            else:
                self.bind_call_args(node, scope)
                self.broker_call(node, scope)

    @staticmethod
    def calls_in(st):
        """Calls in a simple statement, not descending into nested function or class bodies."""
        if isinstance(st, (ast.If, ast.While)):
            roots = [st.test]
        elif isinstance(st, (ast.With, ast.AsyncWith)):
            roots = [i.context_expr for i in st.items]
        elif isinstance(st, ast.Try):
            roots = []
        else:
            roots = [st]
        out = []
        for r in roots:
            for n in ast.walk(r):
                if isinstance(n, ast.Call):
                    out.append(n)
        return out

    def bind_target(self, target, item):
        if isinstance(target, ast.Name):
            return {target.id: self.deref(item)}
        if isinstance(target, ast.Tuple) and isinstance(item, tuple) and item[0] == "expr":
            _, e, sc = item
            if isinstance(e, (ast.Tuple, ast.List)) and len(e.elts) == len(target.elts):
                out = {}
                for t, x in zip(target.elts, e.elts, strict=True):
                    if isinstance(t, ast.Name):
                        out[t.id] = self.eval(x, sc)
                return out
        return None

    def deref(self, item):
        if isinstance(item, tuple) and item and item[0] == "expr":
            return self.eval(item[1], item[2])
        return item

    def decorator(self, dec, fdef, scope: Scope):
        if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
            return
        meth = dec.func.attr
        if meth not in HTTP_METHODS and meth not in {"api_route", "route"}:
            return
        recv = self.eval(dec.func.value, scope)
        node = self.as_node(recv)
        where = f"{scope.mod.rel}:{dec.lineno}"
        if node is None:
            if self.looks_like_route(dec):
                self.notes.append(f"{where}: route decorator on unresolved receiver `{ast.unparse(dec.func.value)}`")
            return
        if self.kwarg(dec, "include_in_schema") is not None and self.eval(
                self.kwarg(dec, "include_in_schema"), scope) is False:
            return
        path_expr = dec.args[0] if dec.args else self.kwarg(dec, "path")
        path = self.as_str(self.eval(path_expr, scope), path_expr) if path_expr is not None else ""
        if meth in HTTP_METHODS:
            methods = [meth.upper()]
        else:
            methods = self.methods_of(dec, scope) or ["GET"]
        for m in methods:
            node.routes.append((m, path, where))

    @staticmethod
    def looks_like_route(dec) -> bool:
        return bool(dec.args) and isinstance(dec.args[0], (ast.Constant, ast.JoinedStr))

    def methods_of(self, call, scope):
        m = self.kwarg(call, "methods")
        if m is None:
            return None
        val = self.eval(m, scope)
        out = []
        if isinstance(val, list):
            for item in val:
                v = self.deref(item)
                if isinstance(v, str):
                    out.append(v.upper())
        return out

    def registration(self, call: ast.Call, scope: Scope):
        if isinstance(call.func, ast.Call) and isinstance(call.func.func, ast.Attribute) and (
                call.func.func.attr in HTTP_METHODS or call.func.func.attr == "api_route"):
            self.decorator(call.func, None, scope)  # app.get("/health")(handler): a decorator applied by hand
            return
        if not isinstance(call.func, ast.Attribute):
            # helper functions that take an app/router: bind the argument to the parameter's template
            self.bind_call_args(call, scope)
            return
        meth = call.func.attr
        where = f"{scope.mod.rel}:{call.lineno}"
        if meth not in {"include_router", "add_api_route", "mount", "add_route", "add_api_websocket_route"}:
            self.bind_call_args(call, scope)
            return
        recv = self.as_node(self.eval(call.func.value, scope))
        if recv is None:
            self.notes.append(f"{where}: {meth} on unresolved receiver `{ast.unparse(call.func.value)}`")
            return
        if meth == "include_router":
            child_expr = call.args[0] if call.args else self.kwarg(call, "router")
            child = self.as_node(self.eval(child_expr, scope)) if child_expr is not None else None
            pexpr = self.kwarg(call, "prefix")
            if pexpr is None and len(call.args) > 1:
                pexpr = call.args[1]
            prefix = self.as_str(self.eval(pexpr, scope), pexpr) if pexpr is not None else ""
            if child is None:
                self.notes.append(f"{where}: include_router of unresolved `{ast.unparse(child_expr)}`")
                return
            schema = self.kwarg(call, "include_in_schema")
            if schema is not None and self.eval(schema, scope) is False:
                return  # FastAPI leaves the routes included this way out of the OpenAPI document
            recv.includes.append((child, prefix, where))
        elif meth == "mount":
            pexpr = call.args[0] if call.args else self.kwarg(call, "path")
            aexpr = call.args[1] if len(call.args) > 1 else self.kwarg(call, "app")
            child = self.as_node(self.eval(aexpr, scope)) if aexpr is not None else None
            if child is None:
                return  # StaticFiles, ASGI apps other than FastAPI/Starlette
            prefix = self.as_str(self.eval(pexpr, scope), pexpr) if pexpr is not None else ""
            recv.includes.append((child, prefix, where + " (mount)"))
            self.mounted.add(id(child))
        elif meth in {"add_api_route", "add_route"}:
            if self.kwarg(call, "include_in_schema") is not None and self.eval(
                    self.kwarg(call, "include_in_schema"), scope) is False:
                return
            pexpr = call.args[0] if call.args else self.kwarg(call, "path")
            path = self.as_str(self.eval(pexpr, scope), pexpr) if pexpr is not None else ""
            methods = self.methods_of(call, scope) or ["GET"]
            for m in methods:
                recv.routes.append((m, path, where))

    def bind_call_args(self, call: ast.Call, scope: Scope):
        target = None
        if isinstance(call.func, (ast.Name, ast.Attribute)):
            try:
                target = self.eval(call.func, scope)
            except RecursionError:
                target = None
        if not (isinstance(target, tuple) and target and target[0] == "func"):
            return
        _, rel, fdef, fscope = target
        params = self.params(fdef)
        args = list(call.args)
        pairs = list(zip(params, args, strict=False))
        pairs += [(k.arg, k.value) for k in call.keywords if k.arg in params]
        for pname, aexpr in pairs:
            key = f"param:{rel}:{fdef.lineno}:{pname}"
            if key not in self.nodes:
                continue
            arg = self.as_node(self.eval(aexpr, scope))
            if arg is not None and self.nodes[key] not in arg.inherits and arg is not self.nodes[key]:
                arg.inherits.append(self.nodes[key])

    def starlette_routes(self, node: Node, expr, scope: Scope, depth: int):
        val = self.eval(expr, scope, depth + 1)
        if not isinstance(val, list):
            return
        for item in val:
            if not (isinstance(item, tuple) and item[0] == "expr" and isinstance(item[1], ast.Call)):
                continue
            call, sc = item[1], item[2]
            fw = self.fw_name(sc.mod, call.func)
            if fw == "Route" or (isinstance(call.func, ast.Name) and call.func.id == "Route"):
                p = self.as_str(self.eval(call.args[0], sc), call.args[0]) if call.args else ""
                for m in self.methods_of(call, sc) or ["GET"]:
                    node.routes.append((m, p, f"{sc.mod.rel}:{call.lineno}"))
            elif fw == "Mount" or (isinstance(call.func, ast.Name) and call.func.id == "Mount"):
                p = self.as_str(self.eval(call.args[0], sc), call.args[0]) if call.args else ""
                sub = Node(f"{sc.mod.rel}:{call.lineno}:{call.col_offset}:mount", "router", sc.mod.rel, call.lineno)
                self.nodes[sub.id] = sub
                r = self.kwarg(call, "routes")
                a = self.kwarg(call, "app")
                if r is not None:
                    self.starlette_routes(sub, r, sc, depth + 1)
                elif a is not None and isinstance(self.eval(a, sc), Node):
                    sub = self.eval(a, sc)
                node.includes.append((sub, p, f"{sc.mod.rel}:{call.lineno} (Mount)"))

    # -------------------------------------------------------------------------------------------- brokers
    def broker_call(self, call: ast.Call, scope: Scope):
        libs = scope.mod.broker_libs
        if not libs:
            return
        func = call.func
        if isinstance(func, ast.Name):
            if "kafka" in libs and func.id in KAFKA_CONSUMERS:
                topics = [a for a in call.args if not isinstance(a, ast.Starred)]
                subj = self.subject(topics[0], scope) if topics else None
                self.add_site(scope, call, "kafka", func.id, "receive", subj)
            return
        if not isinstance(func, ast.Attribute):
            return
        recv = func.value
        base = recv
        while isinstance(base, (ast.Attribute, ast.Call, ast.Await)):
            base = base.func if isinstance(base, ast.Call) else base.value
        recv_text = ast.unparse(recv)
        if isinstance(recv, ast.Name) and recv.id in NOT_RECEIVERS or recv_text in {"super()"}:
            return
        if isinstance(base, ast.Name) and base.id in {"asyncio", "logger", "logging", "json", "os", "re"}:
            return
        attr = func.attr
        first = call.args[0] if call.args else None
        if "nats" in libs and attr in NATS_CALLS:
            if attr == "add_stream":
                subj = self.subject(self.kwarg(call, "subjects") or self.kwarg(call, "name") or first, scope)
                action = "stream"
            else:
                subj = self.subject(first if first is not None else self.kwarg(call, "subject"), scope)
                action = "send" if attr in {"publish", "request"} else "receive"
            self.add_site(scope, call, "nats", attr, action, subj)
        elif "kafka" in libs and attr in KAFKA_CALLS:
            arg = first if first is not None else self.kwarg(call, "topic") or self.kwarg(call, "topics")
            self.add_site(scope, call, "kafka", attr, "receive" if attr == "subscribe" else "send",
                          self.subject(arg, scope))
        elif "rabbit" in libs and attr in RABBIT_CALLS:
            if attr in {"publish", "basic_publish"}:
                rk = self.kwarg(call, "routing_key")
                if rk is None and len(call.args) > 1:
                    rk = call.args[1]
                self.add_site(scope, call, "rabbitmq", attr, "send", self.subject(rk, scope))
            else:
                q = self.kwarg(call, "queue")
                self.add_site(scope, call, "rabbitmq", attr, "receive", self.subject(q, scope) if q else None)
        elif "sqs" in libs and attr in SQS_CALLS:
            q = self.kwarg(call, "QueueUrl")
            self.add_site(scope, call, "sqs", attr, "send" if attr.startswith("send") else "receive",
                          self.subject(q, scope) if q is not None else None)

    def broker_decorator(self, dec, fdef, scope: Scope):
        """FastStream handlers: `@broker.subscriber("subject")` (NATS, Kafka or RabbitMQ broker)."""
        if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "subscriber"):
            return
        libs = scope.mod.broker_libs
        if not libs:
            return
        arg = dec.args[0] if dec.args else (self.kwarg(dec, "subject") or self.kwarg(dec, "queue")
                                            or self.kwarg(dec, "topic"))
        broker = "nats" if "nats" in libs else sorted(libs)[0]
        inner = Scope(scope.mod, local_bindings(fdef.body), scope, fdef, scope.cls)
        self.add_site(inner, dec, broker, "subscriber", "receive", self.subject(arg, scope))

    def subject(self, expr, scope: Scope):
        if expr is None:
            return None
        val = self.eval(expr, scope)
        if isinstance(val, list) and val:
            val = self.deref(val[0])
        if isinstance(val, str):
            # unresolved f-string parts become a {param} pattern
            return re.sub(UNRESOLVED + r"\{([^{}]*)\}", lambda m: "{" + m.group(1).split(".")[-1] + "}", val)
        return None

    def add_site(self, scope: Scope, call: ast.Call, broker: str, api: str, action: str, subject):
        func = ""
        s = scope
        while s is not None and s.func is None:
            s = s.parent
        if s is not None and s.func is not None:
            func = f"{s.func.name}@{s.func.lineno}"
        self.broker_sites.append({"site": f"{scope.mod.rel}:{call.lineno}", "broker": broker, "call": api,
                                  "action": action, "subject": subject, "function": func})

    # --------------------------------------------------------------------------------------------- results
    def flatten(self, node: Node, prefix: str, stack: tuple, out: set, unresolved: list, depth=0):
        if node.id in stack or depth > 30 or node.hidden:
            return
        stack = stack + (node.id,)
        own = prefix + node.prefix
        for m, p, where in self.all_routes(node):
            full = own + p
            if UNRESOLVED in full:
                unresolved.append(f"{m} {full.replace(UNRESOLVED, '')}  ({where})")
                full = full.replace(UNRESOLVED, "")
            out.add(f"{m} {norm_path(full)}")
        for child, pre, _where in self.all_includes(node):
            self.flatten(child, own + pre, stack, out, unresolved, depth + 1)

    def all_routes(self, node: Node, seen=None):
        seen = seen or set()
        if node.id in seen:
            return []
        seen.add(node.id)
        out = list(node.routes)
        for t in node.inherits:
            out += self.all_routes(t, seen)
        return out

    def all_includes(self, node: Node, seen=None):
        seen = seen or set()
        if node.id in seen:
            return []
        seen.add(node.id)
        out = list(node.includes)
        for t in node.inherits:
            out += self.all_includes(t, seen)
        return out

    def terraform(self):
        total, by_file = 0, Counter()
        pat = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"', re.M)
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d != ".terraform")
            for fn in filenames:
                full = Path(dirpath) / fn
                rel = full.relative_to(self.root).as_posix()
                if fn.endswith(".tf"):
                    text = full.read_text(encoding="utf-8", errors="replace")
                    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
                    n = len(pat.findall(text))
                elif fn.endswith(".tf.json"):
                    try:
                        data = json.loads(full.read_text(encoding="utf-8"))
                    except (ValueError, OSError):
                        continue
                    n = 0
                    res = data.get("resource", {}) if isinstance(data, dict) else {}
                    blocks = res if isinstance(res, list) else [res]
                    for b in blocks:
                        for _t, named in (b or {}).items():
                            items = named if isinstance(named, list) else [named]
                            for it in items:
                                n += len(it) if isinstance(it, dict) else 0
                else:
                    continue
                if n:
                    by_file[rel] += n
                    total += n
        return total, dict(sorted(by_file.items()))

    def run(self) -> dict:
        self.load()
        self.walk_scopes()
        # second pass: helper functions taking an app/router get their call sites bound; broker call sites
        self.mode = "bind"
        self.walk_scopes()
        children = {id(c) for n in self.nodes.values() for c, _p, _w in n.includes}
        inherited = {id(t) for n in self.nodes.values() for t in n.inherits}
        apps, routes_all, unresolved = [], Counter(), []
        for node in sorted(self.nodes.values(), key=lambda n: (n.file, n.line)):
            if node.kind != "app" or id(node) in children or id(node) in inherited:
                continue
            out: set[str] = set()
            self.flatten(node, "", (), out, unresolved)
            apps.append({"app": f"{node.file}:{node.line}", "made_by": node.cls, "routes": len(out)})
            routes_all.update(out)
        mounted = [f"{n.file}:{n.line}" for n in self.nodes.values() if id(n) in self.mounted]
        orphans = []
        for node in self.nodes.values():
            if node.kind == "router" and id(node) not in children and id(node) not in inherited and node.routes:
                orphans.append(f"{node.file}:{node.line} ({len(node.routes)} routes)")
        total, by_file = self.terraform()
        sites = sorted(self.broker_sites, key=lambda s: (s["site"].split(":")[0], int(s["site"].split(":")[1])))
        return {
            "apps": apps,
            "mounted_apps": sorted(mounted),
            "routes": sorted(routes_all.elements()),
            "broker_sites": sites,
            "subjects": sorted({s["subject"] for s in sites if s["subject"]}),
            "terraform_resources": total,
            "terraform_by_file": by_file,
            "check": {"unresolved_paths": sorted(set(unresolved)), "orphan_routers": sorted(orphans),
                      "unparsed": self.unparsed, "notes": sorted(set(self.notes))},
        }


def count(root: Path) -> dict:
    sys.setrecursionlimit(10000)
    return Counter_(root).run()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkout", type=Path)
    ap.add_argument("--json", type=Path, help="write the counts here")
    args = ap.parse_args()
    result = count(args.checkout)
    text = json.dumps(result, indent=1, sort_keys=True)
    if args.json:
        args.json.write_text(text + "\n")
    chk = result["check"]
    print(f"apps {len(result['apps'])}  routes {len(result['routes'])}  broker sites {len(result['broker_sites'])}  "
          f"terraform resources {result['terraform_resources']}")
    for a in result["apps"]:
        print(f"  app {a['app']} ({a['made_by']}): {a['routes']} routes")
    for k in ("unresolved_paths", "orphan_routers", "unparsed", "notes"):
        for line in chk[k]:
            print(f"  {k}: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
