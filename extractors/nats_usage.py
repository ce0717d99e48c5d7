"""Per-service extraction into ``EventModel`` (see ``arrakis_docs.model.events``): NATS usage read from the AST.

Two kinds of call sites are recognised:

* our bus (``arrakis_common.events.EventBus``): ``bus.publish(session, Event(...))``, ``bus.publish_envelope``,
  ``bus.subscribe(subject, durable=..., handler=...)`` and ``bus.declare(*events)``;
* raw nats-py: ``nc.publish/subscribe/request`` and ``js.publish/subscribe/pull_subscribe/add_stream``, reached through
  aliases (``self.js``, injected clients, attributes), and through wrapper functions whose parameter becomes the
  subject (followed up to three levels of callers).

Subjects come from literals, module constants, class attributes, ``Event.subject`` class variables, settings field
defaults and f-strings (whose unknown parts become ``{param}``); what is left is reported as only known at run time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from arrakis_docs.extractors.amqp_usage import amqp_call
from arrakis_docs.extractors.env_values import service_environment
from arrakis_docs.extractors.event_sites import Module, Site
from arrakis_docs.extractors.faststream_usage import faststream_call
from arrakis_docs.extractors.import_session import session_or_own
from arrakis_docs.extractors.kafka_usage import kafka_call
from arrakis_docs.extractors.pydantic_constraints import CONSTRAINED_TYPES, constrained_schema
from arrakis_docs.extractors.python_modules import call_name, dotted, keyword, literal
from arrakis_docs.extractors.source_tree import module_nodes
from arrakis_docs.extractors.sqs_usage import sqs_call
from arrakis_docs.model.architecture import Coverage
from arrakis_docs.model.events import RECEIVE, SEND, EventMessage, EventModel, EventStream, EventUsage
from arrakis_docs.model.refs import Diagnostic, Severity, SourceRef

if TYPE_CHECKING:
    from arrakis_docs.extractors.import_session import ImportSession
    from arrakis_docs.extractors.options import ExtractOptions
    from arrakis_docs.extractors.source_tree import SourceFile
    from arrakis_docs.model.architecture import Service

_MODEL_BASES = {"BaseModel", "Event", "BaseSettings"}
_CORE_TYPES = {"NATS", "Client"}
_JS_TYPES = {"JetStreamContext"}
_BUS_TYPES = {"EventBus"}
_CORE_NAMES = {"nc", "nats_client", "conn", "connection", "client"}
_JS_NAMES = {"js", "jetstream"}
_BUS_NAMES = {"bus", "event_bus"}
_SCALARS: dict[str, dict[str, str]] = {
    "int": {"type": "integer"}, "float": {"type": "number"}, "Decimal": {"type": "number"},
    "str": {"type": "string"}, "bool": {"type": "boolean"}, "UUID": {"type": "string", "format": "uuid"},
    "datetime": {"type": "string", "format": "date-time"}, "date": {"type": "string", "format": "date"},
    "bytes": {"type": "string"}, "dict": {"type": "object"}, "list": {"type": "array"}, "Any": {},
}


_HTTP_HINTS = ("http", "session", "requests", "api_client", "rest", "web", "redis", "kafka", "sqs", "s3")
# Constructors and modules whose objects have publish/request-looking methods but are not NATS connections.
_NOT_NATS = ("httpx", "requests", "aiohttp", "urllib3", "redis", "aioredis", "aiokafka", "kafka", "boto3",
             "aioboto3", "aio_pika", "pika", "websockets", "google", "paho", "grpc")
# Readers of other brokers (and of FastStream's API over NATS), asked first about every call.
TRANSPORTS = (faststream_call, kafka_call, amqp_call, sqs_call)
# Calls that run a function given as an argument later, and the index of that argument.
_DEFERRING = {"add_task": 0, "partial": 0, "to_thread": 0, "submit": 0, "start_soon": 0, "call_soon": 0,
              "run_in_executor": 1, "run_sync": 0}
NATS_METHODS = ("publish", "publish_envelope", "subscribe", "pull_subscribe", "request", "declare", "add_stream")


def _token(text: str) -> str:
    """A ``{param}`` token name for an unresolved expression."""
    name = re.sub(r"\W+", "_", text.split(".")[-1]).strip("_")
    return name or "param"


def imported_roots(tree: ast.Module) -> set[str]:
    """Top-level packages the module imports anywhere (lazy imports included), read in one walk."""
    roots: set[str] = set()
    for node in module_nodes(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@dataclass(frozen=True)
class Subject:
    """An evaluated subject: an address, or the run-time expression, or the wrapper parameter it came from."""

    address: str = ""
    dynamic: str = ""
    param: str = ""
    # How a caller's argument for ``param`` is read; None: as a subject expression. A FastStream publisher passed
    # in is read as the subject it was made with.
    argument: Callable[[ast.expr, Site], Subject] | None = field(default=None, compare=False)


@dataclass
class Wrapper:
    """A function whose parameter becomes the subject of a NATS call inside it."""

    name: str
    param: str
    index: int
    template: EventUsage
    method: bool = False  # defined in a class: called as ``obj.name(...)``
    func: ast.AST | None = None  # its definition, so a same-named function elsewhere is not taken for it
    argument: Callable[[ast.expr, Site], Subject] | None = None  # see Subject.argument


def module_names(files: list[SourceFile]) -> dict[str, str]:
    """Dotted module name per file path: packages are the folders holding ``__init__.py``."""
    paths = {f.path for f in files}
    names = {}
    for path in paths:
        parts = list(PurePosixPath(path).with_suffix("").parts)
        start = len(parts) - 1
        while start > 0 and str(PurePosixPath(*parts[:start], "__init__.py")) in paths:
            start -= 1
        dotted_parts = parts[start:]
        if dotted_parts[-1] == "__init__":
            dotted_parts.pop()
        if dotted_parts:
            names[path] = ".".join(dotted_parts)
    return names


def import_root(path: str, module: str) -> str:
    """The folder that must be on ``sys.path`` for ``module`` (defined in ``path``) to import."""
    depth = module.count(".") + (2 if path.endswith("__init__.py") else 1)
    parts = PurePosixPath(path).parts
    return str(PurePosixPath(*parts[: len(parts) - depth])) if len(parts) > depth else ""


class EventReader:
    """Reads one service's modules into usages, messages and streams."""

    def __init__(self, service: str, files: list[SourceFile], diagnostics: list[Diagnostic]) -> None:
        self.service = service
        self.diagnostics = diagnostics
        # Keyed by repo-relative path: many services' files share a module name (``main``) and must not shadow.
        self.modules: dict[str, Module] = {}
        self.by_suffix: dict[str, list[Module]] = {}  # every dotted tail of a file's path -> the modules it names
        names = module_names(files)
        for f in sorted(files, key=lambda f: f.path):
            parsed = f.parsed
            if isinstance(parsed, ast.Module) and f.path in names:
                self.modules[f.path] = self._index(Module(names[f.path], f.path, parsed))
        for module in self.modules.values():
            parts = list(PurePosixPath(module.path).with_suffix("").parts)
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            for start in range(len(parts)):
                self.by_suffix.setdefault(".".join(parts[start:]), []).append(module)
        self.env: dict[str, str] = {}  # deployment values (dotenv, compose environment) for settings without defaults
        # One walk per module answers "does it import nats / aiokafka / ..." for every broker reader.
        self.imported = {m.path: imported_roots(m.tree) for m in self.modules.values()}
        self.nats_modules = {path for path, roots in self.imported.items() if "nats" in roots}
        self.unknown: list[Site] = []  # broker-like calls on objects not known to be a broker client
        self.param_clients: list[Site] = []  # broker-like calls on a parameter: its callers decide
        self.stream_params: list[Site] = []  # add_stream(config=<a parameter>): its callers name the stream
        self.recognised: set[int] = set()  # ids of the call nodes recorded as broker calls
        self.usages: list[EventUsage] = []
        self.streams: dict[str, EventStream] = {}
        self.message_classes: dict[str, tuple[Module, ast.ClassDef]] = {}
        self.declared: set[str] = set()
        self.wrappers: list[Wrapper] = []
        self.client_attrs: dict[tuple[str, str], str] = {}  # (class name, "self.x") -> core | jetstream | bus
        self._outer_functions: dict[str, dict[int, ast.FunctionDef | ast.AsyncFunctionDef]] = {}

    # ------------------------------------------------------------ indexing

    def module_named(self, name: str, near: Module) -> Module | None:
        """The module an import of ``name`` in ``near`` means: exact dotted names first, then a file whose path ends
        so (Docker-style roots without ``__init__.py``), the one sharing most folders with ``near``."""
        candidates = self.by_suffix.get(name, [])
        if not candidates:
            return None
        near_parts = PurePosixPath(near.path).parts

        def shared(module: Module) -> int:
            count = 0
            for a, b in zip(PurePosixPath(module.path).parts, near_parts, strict=False):
                if a != b:
                    break
                count += 1
            return count

        return min(candidates, key=lambda m: (m.name != name, -shared(m), m.path))

    def _index(self, module: Module) -> Module:
        for stmt in module.tree.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:  # ``import a.b as c`` binds c to module a.b; ``import a.b`` binds a
                    local = alias.asname or alias.name.split(".")[0]
                    module.imports[local] = (alias.name if alias.asname else local, "")
            elif isinstance(stmt, ast.ImportFrom):
                base = self._absolute(module, stmt)
                for alias in stmt.names:
                    module.imports[alias.asname or alias.name] = (base, alias.name)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                module.constants[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                module.constants[stmt.target.id] = stmt.value
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                module.functions[stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef):
                module.classes[stmt.name] = stmt
        return module

    def _absolute(self, module: Module, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        is_package = module.path.endswith("__init__.py")
        base = module.name.split(".") if is_package else module.name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
        return ".".join([*base, node.module] if node.module else base)

    def lookup(self, module: Module, name: str, depth: int = 0) -> tuple[Module, Any] | None:
        """What ``name`` means in ``module``: (defining module, class/function/constant node)."""
        for table in (module.classes, module.functions, module.constants):
            if name in table:
                return module, table[name]
        if name in module.imports and depth < 5:
            source, original = module.imports[name]
            if not original:  # a plain ``import x``: the name is the module itself
                whole = self.module_named(source, module)
                return (whole, whole.tree) if whole is not None else None
            sub = self.module_named(f"{source}.{original}", module)
            if sub is not None and sub.name.endswith(original):
                return sub, sub.tree
            target = self.module_named(source, module)
            if target is not None and target is not module:
                return self.lookup(target, original, depth + 1)
        return None

    def resolve_dotted(self, module: Module, text: str) -> tuple[Module, Any] | None:
        """What ``a.b.c`` means in ``module`` when ``a`` (and ``a.b``) are modules or names: the node it ends at."""
        head, *rest = text.split(".")
        found = self.lookup(module, head)
        for part in rest:
            if found is None or not isinstance(found[1], ast.Module):
                return None
            found = self.lookup(found[0], part)
        return found

    def find_class(self, module: Module, name: str) -> tuple[Module, ast.ClassDef] | None:
        """The class ``name`` refers to in ``module``, if it is defined in the scanned files."""
        found = self.lookup(module, name)
        if found and isinstance(found[1], ast.ClassDef):
            return found[0], found[1]
        return None

    def bases(self, module: Module, cls: ast.ClassDef) -> list[tuple[Module, ast.ClassDef]]:
        """The class and its ancestors defined in the scanned files, nearest first."""
        chain, queue, seen = [], [(module, cls)], set()
        while queue:
            mod, node = queue.pop(0)
            if (mod.name, node.name) in seen:
                continue
            seen.add((mod.name, node.name))
            chain.append((mod, node))
            for base in node.bases:
                found = self.find_class(mod, dotted(base).split(".")[-1]) if dotted(base) else None
                if found:
                    queue.append(found)
        return chain

    def is_model(self, module: Module, cls: ast.ClassDef) -> bool:
        """Whether the class is a pydantic model (by its bases' names)."""
        return any(dotted(b).split(".")[-1] in _MODEL_BASES for _, c in self.bases(module, cls) for b in c.bases)

    def class_constant(self, module: Module, cls: ast.ClassDef, name: str) -> tuple[Module, ast.expr] | None:
        """A class attribute's value (``subject: ClassVar[str] = "..."``), inherited ones included."""
        for mod, node in self.bases(module, cls):
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                    if stmt.value is not None:
                        return mod, stmt.value
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                    return mod, stmt.value
        return None

    def settings_default(self, name: str) -> str | None:
        """The default of settings field ``name`` in a pydantic settings class (the service's own first)."""
        ordered = sorted(self.modules.values(), key=lambda m: (not m.path.startswith(self.own_root), m.path))
        for module in ordered:
            for cls in module.classes.values():
                if not (cls.name.endswith("Settings") or self._has_settings_base(module, cls)):
                    continue
                for stmt in cls.body:
                    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                        value = stmt.value
                        if isinstance(value, ast.Call) and call_name(value) == "Field":
                            value = value.args[0] if value.args else keyword(value, "default")
                        text = literal(value)
                        if isinstance(text, str | list | tuple) and text:  # "" means: set at deployment
                            return text if isinstance(text, str) else ",".join(map(str, text))
        return self.env_value(name)

    def env_value(self, name: str) -> str | None:
        """The value the deployment files give the environment variable ``name`` (case-insensitive, as pydantic)."""
        if name in self.env:
            return self.env[name]
        folded = {k.lower(): v for k, v in self.env.items()}
        return folded.get(name.lower())

    def _has_settings_base(self, module: Module, cls: ast.ClassDef) -> bool:
        return any(dotted(b).split(".")[-1].endswith("Settings") for _, c in self.bases(module, cls) for b in c.bases)

    own_root = ""
    _tracing = 0

    # ------------------------------------------------------------ evaluation

    def assigned(self, site: Site, name: str) -> ast.expr | None:
        """The last value assigned to local ``name`` before the call, in the enclosing function."""
        if site.func is None:
            return None
        best: ast.expr | None = None
        for node in ast.walk(site.func):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.lineno < site.node.lineno:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value is not None:
                    if best is None or node.lineno > getattr(best, "lineno", 0):
                        best = node.value
        args = site.func.args
        if best is None and name not in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}:
            outer = self._enclosing(site.module).get(id(site.func))  # a closure: the name of the function around
            if outer is not None:
                return self.assigned(Site(site.module, site.cls, outer, site.node), name)
        return best

    def _enclosing(self, module: Module) -> dict[int, ast.FunctionDef | ast.AsyncFunctionDef]:
        """The function each nested function is defined in (by the inner one's id), per module, read once."""
        table = self._outer_functions.get(module.path)
        if table is None:
            table = {}
            for outer in module_nodes(module.tree):  # ast.walk order: an outer function before the ones in it
                if isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef):
                    for inner in ast.walk(outer):
                        if inner is not outer and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                            table[id(inner)] = outer
            self._outer_functions[module.path] = table
        return table

    def params(self, site: Site) -> list[str]:
        """Parameter names of the enclosing function, ``self`` dropped."""
        if site.func is None:
            return []
        args = site.func.args
        names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        return names[1:] if names[:1] in (["self"], ["cls"]) else names

    def subject(self, node: ast.expr | None, site: Site, module: Module | None = None, depth: int = 0) -> Subject:
        """Evaluate a subject expression statically."""
        module = module or site.module
        if node is None or depth > 8:
            return Subject(dynamic="?")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return Subject(node.value)
        if isinstance(node, ast.JoinedStr):
            return Subject("".join(self._fstring_part(v, site, module, depth) for v in node.values))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.subject(node.left, site, module, depth + 1), self.subject(node.right, site, module,
                                                                                           depth + 1)
            if left.address and right.address:
                return Subject(left.address + right.address)
        if isinstance(node, ast.Name):
            if module is site.module and (local := self.assigned(site, node.id)) is not None:
                return self.subject(local, site, module, depth + 1)
            if module is site.module and node.id in self.params(site):
                return Subject(dynamic=node.id, param=node.id)
            found = self.lookup(module, node.id)
            if found and isinstance(found[1], ast.expr):
                return self.subject(found[1], site, found[0], depth + 1)
        if isinstance(node, ast.Attribute):
            text = self._attribute_subject(node, site, module, depth)
            if text:
                return Subject(text)
        if (env := self._environment_read(node)) is not None:
            name, default = env
            value = self.env_value(name) if name else None
            if value is not None:
                return Subject(value)
            if default is not None:
                return self.subject(default, site, module, depth + 1)
            return Subject(dynamic=ast.unparse(node))
        if isinstance(node, ast.Call) and call_name(node) == "format" and isinstance(node.func, ast.Attribute):
            return self._format_subject(node, site, module, depth)
        if isinstance(node, ast.Call) and call_name(node) == "join" and isinstance(node.func, ast.Attribute):
            glue = literal(node.func.value)
            items = node.args[0] if node.args else None
            if isinstance(glue, str) and isinstance(items, ast.List | ast.Tuple):
                parts = [self.subject(e, site, module, depth + 1) for e in items.elts]
                return Subject(glue.join(p.address or "{" + _token(p.dynamic) + "}" for p in parts))
        return Subject(dynamic=ast.unparse(node))

    def _format_subject(self, node: ast.Call, site: Site, module: Module, depth: int) -> Subject:
        """``"a.{}.{name}".format(x, name=y)``: known arguments filled in, unknown ones as ``{param}``."""
        template = self.subject(node.func.value, site, module, depth + 1)  # type: ignore[attr-defined]
        if not template.address:
            return Subject(dynamic=ast.unparse(node))
        positional = iter(node.args)

        def fill(match: re.Match[str]) -> str:
            key = match.group(1)
            value = keyword(node, key) if key and not key.isdigit() else (
                node.args[int(key)] if key.isdigit() and int(key) < len(node.args) else next(positional, None))
            resolved = self.subject(value, site, module, depth + 1) if value is not None else Subject(dynamic=key)
            return resolved.address or "{" + _token(key or resolved.dynamic) + "}"

        return Subject(re.sub(r"{([A-Za-z_0-9]*)(?:[:!][^}]*)?}", fill, template.address))

    def _environment_read(self, node: ast.expr) -> tuple[str, ast.expr | None] | None:
        """``os.getenv("X", d)``, ``os.environ.get("X", d)``, ``os.environ["X"]``: (variable, default node)."""
        if isinstance(node, ast.Subscript) and dotted(node.value).endswith("environ"):
            name = literal(node.slice)
            return (name if isinstance(name, str) else "", None)
        if isinstance(node, ast.Call) and (dotted(node.func).endswith(("getenv", "environ.get"))
                                           or dotted(node.func) in ("env", "config")):
            name = literal(node.args[0]) if node.args else literal(keyword(node, "key"))
            default = node.args[1] if len(node.args) > 1 else keyword(node, "default")
            return (name if isinstance(name, str) else "", default)
        return None

    def _attribute_subject(self, node: ast.Attribute, site: Site, module: Module, depth: int) -> str | None:
        owner = dotted(node.value)
        if owner and (target := self.resolve_dotted(module, owner)) is not None and isinstance(target[1], ast.Module):
            found_value = self.lookup(target[0], node.attr)  # ``config.TOPIC`` with ``from app import config``
            if found_value and isinstance(found_value[1], ast.expr):
                result = self.subject(found_value[1], site, found_value[0], depth + 1)
                return result.address or None
        if owner:
            found = self.find_class(module, owner.split(".")[-1])
            if found:
                value = self.class_constant(found[0], found[1], node.attr)
                if value is not None:
                    result = self.subject(value[1], site, value[0], depth + 1)
                    return result.address or None
        base_text = ast.unparse(node.value).lower()
        if "settings" in base_text or "config" in base_text or base_text.endswith(("env", "conf", "cfg")):
            return self.settings_default(node.attr)
        return None

    def _fstring_part(self, value: ast.expr, site: Site, module: Module, depth: int) -> str:
        if isinstance(value, ast.Constant):
            return str(value.value)
        inner = value.value if isinstance(value, ast.FormattedValue) else value
        resolved = self.subject(inner, site, module, depth + 1)
        if resolved.address:
            return resolved.address
        name = dotted(inner).split(".")[-1] if dotted(inner) else call_name(inner) or "param"
        return "{" + _token(name) + "}"

    def model_class(self, node: ast.expr | None, site: Site, depth: int = 0) -> tuple[Module, ast.ClassDef] | None:
        """The pydantic model a payload expression is built from (``Model(...)``, ``event.model_dump_json()``...)."""
        if node is None or depth > 6:
            return None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name | ast.Attribute) and dotted(func):
                found = self.find_class(site.module, dotted(func).split(".")[-1])
                if found and self.is_model(*found):
                    return found
            if isinstance(func, ast.Attribute):  # a method call: event.model_dump_json().encode() and the like
                if (inner := self.model_class(func.value, site, depth + 1)) is not None:
                    return inner
            for arg in [*node.args, *(k.value for k in node.keywords)]:  # a factory given the event class
                if isinstance(arg, ast.Name):
                    found = self.find_class(site.module, arg.id)
                    if found and self.is_model(*found):
                        return found
            return None
        if isinstance(node, ast.Attribute):
            return self.model_class(node.value, site, depth + 1)
        if isinstance(node, ast.Name):
            local = self.assigned(site, node.id)
            if local is not None:
                return self.model_class(local, site, depth + 1)
            if site.func is not None:
                for arg in [*site.func.args.args, *site.func.args.kwonlyargs]:
                    if arg.arg == node.id and arg.annotation is not None and dotted(arg.annotation):
                        found = self.find_class(site.module, dotted(arg.annotation).split(".")[-1])
                        if found and self.is_model(*found):
                            return found
        return None

    def handler_model(self, node: ast.expr | None, site: Site) -> tuple[str, tuple[Module, ast.ClassDef] | None]:
        """A handler's name and the model it expects (a parameter hint, or ``Model.model_validate_json(...)``)."""
        if node is None:
            return "", None
        name = ast.unparse(node)
        target = node.func if isinstance(node, ast.Call) else node
        fn: ast.FunctionDef | ast.AsyncFunctionDef | None = None
        module = site.module
        if isinstance(target, ast.Attribute) and site.cls is not None:
            fn = next((s for s in site.cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                       and s.name == target.attr), None)
        elif isinstance(target, ast.Name):
            found = self.lookup(site.module, target.id)
            if found and isinstance(found[1], ast.FunctionDef | ast.AsyncFunctionDef):
                module, fn = found
        if fn is None:
            return name, None
        for arg in fn.args.args:
            hint = dotted(arg.annotation) if arg.annotation is not None else ""
            found_cls = self.find_class(module, hint.split(".")[-1]) if hint else None
            if found_cls and self.is_model(*found_cls) and found_cls[1].name != "Envelope":
                return name, found_cls
        for inner in ast.walk(fn):
            if isinstance(inner, ast.Call) and call_name(inner) in ("model_validate_json", "model_validate",
                                                                    "parse_raw", "parse_obj"):
                owner = dotted(inner.func.value) if isinstance(inner.func, ast.Attribute) else ""
                found_cls = self.find_class(module, owner.split(".")[-1]) if owner else None
                if found_cls and self.is_model(*found_cls) and found_cls[1].name != "Envelope":
                    return name, found_cls
        return name, None

    # ------------------------------------------------------------ clients

    def client_kind(self, receiver: ast.expr, site: Site) -> str:
        """``core``, ``jetstream``, ``bus`` or "" for the object a method is called on: its traced type first
        (constructor, annotation, ``self.x`` assignment, module-level client), its name only when that is unknown."""
        if isinstance(receiver, ast.Call) and call_name(receiver) == "jetstream":
            return "jetstream"
        if isinstance(receiver, ast.Await):
            return self.client_kind(receiver.value, site)
        text = dotted(receiver)
        if not text:
            return ""
        kind = self.traced_kind(receiver, site)
        if kind:
            return "" if kind == "other" else kind
        lowered = text.lower()
        if any(hint in lowered for hint in _HTTP_HINTS):
            return ""  # an HTTP (or other) client by its name: its request/publish are not NATS
        last = text.split(".")[-1].lstrip("_").lower()
        if last in _BUS_NAMES:
            return "bus"
        if last in _JS_NAMES or last.endswith(("_js", "jetstream")):
            return "jetstream"
        if last in ("nc", "nats") or last.startswith("nats_") or last.endswith("_nc"):
            return "core"
        if last in _CORE_NAMES and site.module.path in self.nats_modules:
            return "core"  # a generic name (client, conn) counts only where the module uses nats
        return ""

    def traced_kind(self, receiver: ast.expr, site: Site) -> str:
        """The receiver's kind from where it was made or declared: core/jetstream/bus, "other" for a known
        non-NATS object, "" when nothing says."""
        text = dotted(receiver)
        if site.cls is not None and (kind := self.client_attrs.get((site.cls.name, text))):
            return kind
        if not isinstance(receiver, ast.Name):
            return ""
        local = self.assigned(site, receiver.id)
        local = local if local is not None else self._with_bound(site, receiver.id)
        if local is not None and (kind := self._made_kind(local, site)):
            return kind
        if site.func is not None:
            for arg in [*site.func.args.posonlyargs, *site.func.args.args, *site.func.args.kwonlyargs]:
                if arg.arg == receiver.id and arg.annotation is not None:
                    if kind := self._type_kind(arg.annotation, site.module):
                        return kind
        if site.func is None or receiver.id not in self.params(site):
            found = self.lookup(site.module, receiver.id)  # a module-level client, here or imported
            if found and isinstance(found[1], ast.expr):
                return self._made_kind(found[1], Site(found[0], None, None, site.node))
        return ""

    def _with_bound(self, site: Site, name: str) -> ast.expr | None:
        """``async with X(...) as name`` in the enclosing function: the context expression."""
        for node in ast.walk(site.func) if site.func is not None else []:
            if isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name:
                        return item.context_expr
        return None

    def _foreign(self, node: ast.expr, module: Module) -> bool:
        """Whether a type or constructor expression comes from a non-NATS library (httpx, requests, aiokafka...)."""
        head = dotted(node).split(".")[0] if dotted(node) else ""
        if head in _NOT_NATS:
            return True
        source = module.imports.get(head, ("", ""))[0]
        return source.split(".")[0] in _NOT_NATS

    def _type_kind(self, annotation: ast.expr, module: Module | None = None) -> str:
        names = {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)} | {
            n.attr for n in ast.walk(annotation) if isinstance(n, ast.Attribute)}
        if names & _BUS_TYPES:
            return "bus"
        if names & _JS_TYPES:
            return "jetstream"
        parts = [n for n in ast.walk(annotation) if isinstance(n, ast.Name | ast.Attribute)]
        if module is not None and any(self._foreign(n, module) for n in parts):
            return "other"
        if names & _CORE_TYPES:
            return "core"
        return ""

    def _made_kind(self, value: ast.expr, site: Site, depth: int = 0) -> str:
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            if isinstance(value, ast.Name | ast.Attribute) and self._tracing < 4:
                self._tracing += 1  # ``a = b`` chains (and ``a = a``) are followed a bounded number of times
                try:
                    return self.traced_kind(value, site) or self.client_kind(value, site)
                finally:
                    self._tracing -= 1
            return ""
        name = call_name(value)
        if name == "jetstream":
            return "jetstream"
        if dotted(value.func) in ("nats.connect", "connect") or name in _CORE_TYPES:
            return "other" if self._foreign(value.func, site.module) else "core"
        if name in _BUS_TYPES:
            return "bus"
        if self._foreign(value.func, site.module):
            return "other"
        if isinstance(value.func, ast.Name) and depth < 3:  # a factory of ours: what it returns
            found = self.lookup(site.module, value.func.id)
            if found and isinstance(found[1], ast.FunctionDef | ast.AsyncFunctionDef):
                fn = found[1]
                if fn.returns is not None and (kind := self._type_kind(fn.returns, found[0])):
                    return kind
                inner = Site(found[0], None, fn, value)
                for node in ast.walk(fn):
                    if isinstance(node, ast.Return) and node.value is not None:
                        if kind := self._made_kind(node.value, inner, depth + 1):
                            return kind
        return ""

    def _collect_attributes(self) -> None:
        """``self.x = <client>`` anywhere in a class makes ``self.x`` a client in every method of it."""
        for module in self.modules.values():
            for cls in [n for n in module_nodes(module.tree) if isinstance(n, ast.ClassDef)]:
                for stmt in cls.body:  # ``js: JetStreamContext`` declared on the class
                    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                        if kind := self._type_kind(stmt.annotation, module):
                            self.client_attrs.setdefault((cls.name, f"self.{stmt.target.id}"), kind)
                for fn in [s for s in cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]:
                    for node in ast.walk(fn):
                        targets = node.targets if isinstance(node, ast.Assign) else (
                            [node.target] if isinstance(node, ast.AnnAssign) else [])
                        for target in targets:
                            if isinstance(target, ast.Attribute) and dotted(target).startswith("self."):
                                site = Site(module, cls, fn, ast.Call(ast.Name("_"), [], [], lineno=node.lineno))
                                kind = self._made_kind(node.value, site) if node.value is not None else ""
                                if not kind and isinstance(node, ast.AnnAssign):
                                    kind = self._type_kind(node.annotation, module)
                                if kind:
                                    self.client_attrs[(cls.name, dotted(target))] = kind

    # ------------------------------------------------------------ the walk

    def read(self) -> None:
        """Walk every module; then resolve wrappers through their callers."""
        self._collect_attributes()
        calls: list[Site] = []
        for module in self.modules.values():
            self._walk(module, module.tree, None, None, calls)
        for site in calls:
            self._call(site)
        self._param_clients(calls)
        self._resolve_wrappers(calls)
        self._streams_passed_in(calls)

    def _param_clients(self, calls: list[Site]) -> None:
        """``async def send(client, subject, data): await client.publish(...)``: a NATS call when a caller passes a
        NATS connection (or JetStream context) for ``client``."""
        for site in self.param_clients:
            name = site.node.func.value.id  # type: ignore[union-attr]
            probe = Wrapper(site.func.name if site.func else "", name, self.params(site).index(name),
                            EventUsage("", "", "", "", "", site.ref), self._is_method(site), site.func)
            kinds = set()
            for caller in self._callers(probe, calls):
                arg = keyword(caller.node, name)
                if arg is None and len(caller.node.args) > probe.index:
                    arg = caller.node.args[probe.index]
                if arg is not None and (kind := self.client_kind(arg, caller)):
                    kinds.add(kind)
            method = site.node.func.attr  # type: ignore[union-attr]
            if kinds - {"bus"}:
                if method == "add_stream":
                    self._stream(site)
                elif method != "declare" and not (method == "request" and self._looks_http(site)):
                    self._raw_call(site, method, sorted(kinds - {"bus"})[0])
            elif "bus" in kinds:
                self._bus_call(site, method)
            elif site.module.path in self.nats_modules and method != "declare":
                self.unknown.append(site)

    def _walk(self, module: Module, node: ast.AST, cls: ast.ClassDef | None,
              func: ast.FunctionDef | ast.AsyncFunctionDef | None, calls: list[Site]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                self._walk(module, child, child, func, calls)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                self._walk(module, child, cls, child, calls)
            else:
                if isinstance(child, ast.Call):
                    calls.append(Site(module, cls, func, child))
                self._walk(module, child, cls, func, calls)

    def _is_bus_implementation(self, cls: ast.ClassDef | None) -> bool:
        # The bus's own transport calls are documented through the bus API its callers use.
        methods = {s.name for s in cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)} if cls else set()
        return {"publish", "subscribe", "declare"} <= methods

    def _call(self, site: Site) -> None:
        for transport in TRANSPORTS:  # other brokers' clients are told apart by their constructors
            if transport(self, site):
                return
        if not isinstance(site.node.func, ast.Attribute):
            return
        method = site.node.func.attr
        if method not in NATS_METHODS:
            return
        receiver = site.node.func.value
        kind = self.client_kind(receiver, site)
        if method == "add_stream" and kind in ("jetstream", "") and self._mentions_stream(site):
            self._stream(site)
            return
        if method == "request" and self._looks_http(site):
            return
        if self._is_bus_implementation(site.cls):
            return
        if not kind and isinstance(receiver, ast.Name) and receiver.id in self.params(site):
            self.param_clients.append(site)  # decided by what the callers pass in (see _param_clients)
            return
        if not kind:
            if (method != "declare" and site.module.path in self.nats_modules and dotted(receiver) not in
                    ("self", "cls") and not isinstance(receiver, ast.Call) and self.traced_kind(receiver, site) == ""
                    and not any(h in dotted(receiver).lower() for h in _HTTP_HINTS)):
                self.unknown.append(site)
            return
        if kind == "bus":
            self._bus_call(site, method)
        elif method != "declare":
            self._raw_call(site, method, kind)

    def _looks_http(self, site: Site) -> bool:
        """``client.request("GET", url)`` / ``request(method, url=...)``: an HTTP request, not a NATS one."""
        first = self._arg(site, 0, "method")
        text = literal(first) if first is not None else None
        if isinstance(text, str) and text.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            return True
        return bool(keyword(site.node, "url") or keyword(site.node, "method")) or (
            isinstance(first, ast.Name) and first.id in ("method", "http_method"))

    def _mentions_stream(self, site: Site) -> bool:
        return bool(site.node.args or keyword(site.node, "subjects") or keyword(site.node, "config"))

    def _arg(self, site: Site, index: int, name: str) -> ast.expr | None:
        value = keyword(site.node, name)
        if value is None and len(site.node.args) > index and not isinstance(site.node.args[index], ast.Starred):
            value = site.node.args[index]
        return value

    def _text(self, node: ast.expr | None, site: Site) -> str:
        if node is None:
            return ""
        resolved = self.subject(node, site)
        return resolved.address or ast.unparse(node)

    def _add(self, site: Site, action: str, subject: Subject, api: str, call: str, **extra: str) -> None:
        self.recognised.add(id(site.node))  # a broker call itself is never also a wrapper's caller
        usage = EventUsage(self.service, action, subject.address, api, call, site.ref,
                           dynamic="" if subject.address else subject.dynamic, **extra)
        if subject.param and site.func is not None:
            index = self.params(site).index(subject.param)
            self.wrappers.append(Wrapper(site.func.name, subject.param, index, usage, self._is_method(site),
                                         site.func, subject.argument))
            return
        self.usages.append(usage)

    def _is_method(self, site: Site) -> bool:
        return site.cls is not None and site.func is not None and site.func in site.cls.body

    def _note_message(self, found: tuple[Module, ast.ClassDef] | None) -> str:
        if found is None:
            return ""
        self.message_classes.setdefault(found[1].name, found)
        return found[1].name

    def _raw_call(self, site: Site, method: str, kind: str) -> None:
        subject = self.subject(self._arg(site, 0, "subject"), site)
        if method in ("publish", "request"):
            payload = self._arg(site, 1, "payload") or self._arg(site, 1, "data")
            message = self._note_message(self.model_class(payload, site))
            stream = self._text(keyword(site.node, "stream"), site) if kind == "jetstream" else ""
            self._add(site, SEND, subject, kind, method, message=message, stream=stream)
            return
        queue = self._text(self._arg(site, 1, "queue") if method == "subscribe" else keyword(site.node, "queue"), site)
        durable_node = keyword(site.node, "durable") or (self._arg(site, 1, "durable") if method == "pull_subscribe"
                                                          else None)
        handler, model = self.handler_model(keyword(site.node, "cb"), site)
        self._add(site, RECEIVE, subject, kind, method, message=self._note_message(model), queue=queue,
                  durable=self._text(durable_node, site), stream=self._text(keyword(site.node, "stream"), site),
                  handler=handler)

    def _bus_call(self, site: Site, method: str) -> None:
        # What our bus puts on the wire is the envelope; its schema wraps every bus message.
        for module in self.modules.values():
            if "Envelope" in module.classes and self.is_model(module, module.classes["Envelope"]):
                self._note_message((module, module.classes["Envelope"]))
        if method == "declare":
            for arg in site.node.args:
                for found in self._event_classes(arg.value if isinstance(arg, ast.Starred) else arg, site):
                    self.declared.add(self._note_message(found))
            return
        if method == "subscribe":
            subject_node = self._arg(site, 0, "subject")
            subject = self.subject(subject_node, site)
            message = ""
            if isinstance(subject_node, ast.Attribute) and dotted(subject_node.value):
                found = self.find_class(site.module, dotted(subject_node.value).split(".")[-1])
                message = self._note_message(found) if found and self.is_model(*found) else ""
            handler = self._arg(site, 2, "handler")
            self._add(site, RECEIVE, subject, "bus", method, message=message,
                      durable=self._text(self._arg(site, 1, "durable"), site),
                      handler=ast.unparse(handler) if handler is not None else "")
            return
        if method == "publish":
            found = self.model_class(self._arg(site, 1, "event"), site)
            subject_node = keyword(site.node, "subject")
            subject = self.subject(subject_node, site) if subject_node is not None else self._class_subject(found)
            self._add(site, SEND, subject, "bus", method, message=self._note_message(found))
        elif method == "publish_envelope":
            subject, found = self._envelope(self._arg(site, 1, "envelope"), site)
            self._add(site, SEND, subject, "bus", method, message=self._note_message(found) if subject.address else "")

    def _class_subject(self, found: tuple[Module, ast.ClassDef] | None) -> Subject:
        if found is None:
            return Subject(dynamic="the event's class is not known statically")
        value = self.class_constant(found[0], found[1], "subject")
        if value is None:
            return Subject(dynamic=f"{found[1].name}.subject")
        text = literal(value[1])
        return Subject(text) if isinstance(text, str) and text else Subject(dynamic=f"{found[1].name}.subject")

    def _envelope(self, node: ast.expr | None, site: Site, depth: int = 0) -> tuple[Subject, Any]:
        """Subject and event class of an envelope expression (``Envelope.wrap(event, subject=...)``...)."""
        if depth > 6 or node is None:
            return Subject(dynamic="?"), None
        if isinstance(node, ast.Name) and (local := self.assigned(site, node.id)) is not None:
            return self._envelope(local, site, depth + 1)
        if isinstance(node, ast.Call):
            name = call_name(node)
            if name == "wrap":
                found = self.model_class(node.args[0] if node.args else keyword(node, "event"), site)
                given = keyword(node, "subject")
                return (self.subject(given, site) if given is not None else self._class_subject(found)), found
            if name == "Envelope" or (isinstance(node.func, ast.Name) and keyword(node, "subject") is not None):
                return self.subject(keyword(node, "subject"), site), None
            if isinstance(node.func, ast.Attribute):  # .model_copy(update=...) keeps the subject
                return self._envelope(node.func.value, site, depth + 1)
        return Subject(dynamic=ast.unparse(node)), None

    def _event_classes(self, node: ast.expr, site: Site) -> list[tuple[Module, ast.ClassDef]]:
        if isinstance(node, ast.Name):
            found = self.lookup(site.module, node.id)
            if found and isinstance(found[1], ast.ClassDef):
                return [(found[0], found[1])]
            if found and isinstance(found[1], ast.Tuple | ast.List):
                inner = Site(found[0], None, None, site.node)
                return [c for e in found[1].elts for c in self._event_classes(e, inner)]
        if isinstance(node, ast.Tuple | ast.List):
            return [c for e in node.elts for c in self._event_classes(e, site)]
        return []

    def _stream(self, site: Site) -> None:
        config = self._arg(site, 0, "config")
        module = site.module
        if isinstance(config, ast.Name) and (local := self.assigned(site, config.id)) is not None:
            config = local
        elif isinstance(config, ast.Name) and config.id in self.params(site):
            self.stream_params.append(site)  # a config passed in: named by the callers (see _streams_passed_in)
            return
        elif isinstance(config, ast.Name) and (found := self.lookup(site.module, config.id)) and isinstance(
                found[1], ast.Call):
            module, config = found
        self._declare_stream(config if isinstance(config, ast.Call) else site.node, site, module, [site.ref])

    def _declare_stream(self, source: ast.Call, site: Site, module: Module, evidence: list[SourceRef]) -> None:
        """Record the stream a ``StreamConfig(...)`` / ``add_stream(...)`` call names, read in ``module``."""
        name = self.subject(keyword(source, "name"), site, module)
        subjects_node = keyword(source, "subjects")
        subjects: list[str] = []
        if isinstance(subjects_node, ast.Name):
            found = self.lookup(module, subjects_node.id)
            subjects_node = found[1] if found and isinstance(found[1], ast.expr) else subjects_node
        for element in subjects_node.elts if isinstance(subjects_node, ast.List | ast.Tuple) else []:
            resolved = self.subject(element, site, module)
            subjects.append(resolved.address or "{" + resolved.dynamic + "}")
        if not name.address and not subjects:
            return  # a config passed in from elsewhere: nothing known about the stream here
        stream_name = name.address or f"{{{_token(name.dynamic)}}}"
        stream = self.streams.setdefault(stream_name, EventStream(stream_name))
        stream.subjects = sorted(set(stream.subjects) | set(subjects))
        stream.evidence = sorted({*stream.evidence, *evidence})

    def _streams_passed_in(self, calls: list[Site]) -> None:
        """``async def ensure(cfg, js): await js.add_stream(config=cfg)``: each caller's config (a local or module
        constant ``StreamConfig(...)``) is a stream, its evidence the caller and the ``add_stream`` call."""
        for site in self.stream_params:
            config = self._arg(site, 0, "config")
            name = config.id  # type: ignore[union-attr]
            probe = Wrapper(site.func.name if site.func else "", name, self.params(site).index(name),
                            EventUsage("", "", "", "", "", site.ref), self._is_method(site), site.func)
            for caller in self._callers(probe, calls):
                arg = keyword(caller.node, name)
                if arg is None and len(caller.node.args) > probe.index:
                    arg = caller.node.args[probe.index]
                module = caller.module
                if isinstance(arg, ast.Name) and (local := self.assigned(caller, arg.id)) is not None:
                    arg = local
                elif isinstance(arg, ast.Name) and (found := self.lookup(caller.module, arg.id)) and isinstance(
                        found[1], ast.Call):
                    module, arg = found
                if isinstance(arg, ast.Call):
                    self._declare_stream(arg, caller, module, [site.ref, caller.ref])

    def _callers(self, wrapper: Wrapper, calls: list[Site]) -> list[Site]:
        """Calls of a wrapper: ``name(...)`` anywhere (imports and aliases included, by the name it was defined
        with), or ``obj.name(...)`` for a method or a function reached through its module."""
        found: list[Site] = []
        for site in calls:
            if id(site.node) in self.recognised:
                continue
            site = self._deferred(site) or site
            func = site.node.func
            if isinstance(func, ast.Name):
                target = func.id
                if func.id in site.module.imports and site.module.imports[func.id][1]:
                    target = site.module.imports[func.id][1]  # ``from x import publish as emit``
                defined = self.lookup(site.module, func.id)
                if defined is not None and isinstance(defined[1], ast.FunctionDef | ast.AsyncFunctionDef):
                    if defined[1] is wrapper.func:  # the name resolves: it is this wrapper or another function
                        found.append(site)
                elif target == wrapper.name and (defined is None or wrapper.func is None):
                    found.append(site)
            elif isinstance(func, ast.Attribute) and func.attr == wrapper.name:
                owner = self.resolve_dotted(site.module, dotted(func.value)) if dotted(func.value) else None
                if wrapper.method and self._other_class(func.value, site, wrapper):
                    continue
                if wrapper.method or (owner is not None and isinstance(owner[1], ast.Module)):
                    found.append(site)
        return found

    def _other_class(self, receiver: ast.expr, site: Site, wrapper: Wrapper) -> bool:
        """Whether ``receiver`` is known to be an instance of a class (``x = Cls(...)`` in the function or the
        module it comes from) that neither defines nor inherits the method ``wrapper`` is."""
        if not isinstance(receiver, ast.Name) or receiver.id in self.params(site):
            return False
        made = self.assigned(site, receiver.id)
        where = site.module
        if made is None and (bound := self.lookup(site.module, receiver.id)) and isinstance(bound[1], ast.expr):
            where, made = bound
        made = made.value if isinstance(made, ast.Await) else made
        if not isinstance(made, ast.Call) or not isinstance(made.func, ast.Name):
            return False
        cls = self.find_class(where, made.func.id)
        if cls is None:
            return False
        return not any(wrapper.func in node.body for _, node in self.bases(*cls))

    def _deferred(self, site: Site) -> Site | None:
        """``background_tasks.add_task(fn, a, b)``, ``partial(fn, a)``, ``loop.run_in_executor(None, fn, a)``: the
        call of ``fn(a, b)`` they stand for, at the same line."""
        skip = _DEFERRING.get(call_name(site.node))
        if skip is None or len(site.node.args) <= skip:
            return None
        target = site.node.args[skip]
        if not isinstance(target, ast.Name | ast.Attribute):
            return None
        call = ast.Call(target, site.node.args[skip + 1:], site.node.keywords)
        ast.copy_location(call, site.node)
        return Site(site.module, site.cls, site.func, call)

    def _resolve_wrappers(self, calls: list[Site]) -> None:
        pending = list(self.wrappers)
        for _level in range(6):  # wrappers of wrappers: the subject passed down a call chain
            later: list[Wrapper] = []
            for wrapper in pending:
                callers = self._callers(wrapper, calls)
                resolved = False
                for site in callers:
                    arg = keyword(site.node, wrapper.param)
                    if arg is None and len(site.node.args) > wrapper.index:
                        arg = site.node.args[wrapper.index]
                    if arg is None:
                        continue
                    subject = wrapper.argument(arg, site) if wrapper.argument else self.subject(arg, site)
                    usage = replace(wrapper.template, address=subject.address, location=site.ref,
                                    via=f"{wrapper.name} ({wrapper.template.location})",
                                    dynamic="" if subject.address else subject.dynamic)
                    if subject.param and site.func is not None:
                        later.append(Wrapper(site.func.name, subject.param, self.params(site).index(subject.param),
                                             usage, self._is_method(site), site.func, subject.argument))
                    else:
                        self.usages.append(usage)
                    resolved = True
                if not resolved:
                    self.usages.append(replace(wrapper.template, dynamic=wrapper.param))
            pending = later
        self.usages.extend(replace(w.template, dynamic=w.param) for w in pending)

    # ------------------------------------------------------------ messages

    def static_schema(self, module: Module, cls: ast.ClassDef) -> dict[str, Any]:
        """A JSON Schema of a pydantic model from its annotated fields (aliases honoured)."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for mod, node in reversed(self.bases(module, cls)):
            for stmt in node.body:
                if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                    continue
                if "ClassVar" in ast.unparse(stmt.annotation) or stmt.target.id == "model_config":
                    continue
                name, value = stmt.target.id, stmt.value
                if isinstance(value, ast.Call) and call_name(value) == "Field":
                    alias = literal(keyword(value, "alias"))
                    name = alias if isinstance(alias, str) else name
                    has_default = bool(value.args) or any(k.arg in ("default", "default_factory")
                                                          for k in value.keywords)
                else:
                    has_default = value is not None
                schema = constrained_schema(stmt.annotation, value, partial(self._type_schema, module=mod))
                schema["title"] = name.replace("_", " ").title()
                properties[name] = schema
                if has_default:
                    required = [r for r in required if r != name]
                elif name not in required:
                    required.append(name)
        schema: dict[str, Any] = {"title": cls.name, "type": "object", "properties": properties}
        if required:
            schema["required"] = required
        if (doc := ast.get_docstring(cls)) is not None:
            schema["description"] = doc
        return schema

    def _type_schema(self, annotation: ast.expr, module: Module) -> dict[str, Any]:
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            options = [self._type_schema(s, module) for s in (annotation.left, annotation.right)]
            return {"anyOf": options}
        if isinstance(annotation, ast.Constant) and annotation.value is None:
            return {"type": "null"}
        if isinstance(annotation, ast.Call):
            if call_name(annotation) not in CONSTRAINED_TYPES:
                return {}
            return constrained_schema(annotation, None, partial(self._type_schema, module=module))
        if isinstance(annotation, ast.Subscript):
            outer = dotted(annotation.value).split(".")[-1]
            items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            if outer == "Annotated":
                return constrained_schema(annotation, None, partial(self._type_schema, module=module))
            if outer in ("list", "List", "tuple", "set", "Sequence"):
                return {"type": "array", "items": self._type_schema(items[0], module)}
            if outer in ("dict", "Dict", "Mapping"):
                return {"type": "object"}
            if outer == "Optional":
                return {"anyOf": [self._type_schema(items[0], module), {"type": "null"}]}
            if outer == "Literal":
                return {"enum": [literal(i) for i in items]}
            return self._type_schema(items[0], module)
        name = dotted(annotation).split(".")[-1] if dotted(annotation) else ""
        if name in _SCALARS:
            return dict(_SCALARS[name])
        found = self.find_class(module, name) if name else None
        if found and self.is_model(*found):
            return self.static_schema(*found)
        return {"type": "object"} if name else {}

    def messages(self, options: ExtractOptions, repo: Path, imports: ImportSession) -> list[EventMessage]:
        """Every message class seen, with its JSON Schema (imported unless static-only, else from the AST)."""
        imported: dict[str, dict[str, Any]] = {}
        if not options.static_only and self.message_classes:
            imported = self._import_schemas(repo, imports)
        out = []
        for name, (module, cls) in sorted(self.message_classes.items()):
            subject = self.class_constant(module, cls, "subject")
            version = self.class_constant(module, cls, "version")
            subject_text = literal(subject[1]) if subject else ""
            version_value = literal(version[1]) if version else 1
            schema = imported.get(f"{module.name}:{name}")
            out.append(EventMessage(
                name=name,
                schema=schema if schema is not None else self.static_schema(module, cls),
                schema_source="import" if schema is not None else "static",
                subject=subject_text if isinstance(subject_text, str) else "",
                version=version_value if isinstance(version_value, int) else 1,
                description=ast.get_docstring(cls) or "",
                module=module.name,
                location=SourceRef(module.path, cls.lineno),
                declared_by=[self.service] if name in self.declared else [],
            ))
        return out

    def _import_schemas(self, repo: Path, imports: ImportSession) -> dict[str, dict[str, Any]]:
        targets = sorted({f"{m.name}:{c.name}" for m, c in self.message_classes.values()})
        roots = sorted({str(repo / import_root(m.path, m.name)) for m, _ in self.message_classes.values()})
        first = next(iter(sorted(self.message_classes.values(), key=lambda x: x[0].path)))
        where = SourceRef(first[0].path, first[1].lineno)
        done = imports.run("event_schemas", roots, targets=targets)
        if not done.ok:
            self.diagnostics.append(Diagnostic(where.path, where.line, f"event schemas read statically: {done.error}",
                                               Severity.WARNING))
            return {}
        for target, problem in sorted(done.result.get("errors", {}).items()):
            self.diagnostics.append(Diagnostic(where.path, where.line, f"schema of {target} read statically: {problem}",
                                               Severity.WARNING))
        return done.result.get("schemas", {})


def service_events(repo: Path, service: Service, files: list[SourceFile], options: ExtractOptions,
                   diagnostics: list[Diagnostic], imports: ImportSession | None = None) -> EventModel:
    """What this service's Python files (its own and its libraries') say; problems go to ``diagnostics``. Event
    schemas are imported through ``imports`` (the service's shared session; one of its own when None)."""
    # Test code and test helpers (arrakis_common.testing, conftest) are not the service's runtime behaviour.
    own = [f for f in files if "/tests/" not in f.path and not PurePosixPath(f.path).name.startswith("test_")
           and PurePosixPath(f.path).name not in ("testing.py", "conftest.py")]
    reader = EventReader(service.name, own, diagnostics)
    reader.own_root = f"{service.root}/" if service.root else ""
    reader.env = service_environment(repo, service.root, service.name)
    reader.read()
    for usage in reader.usages:
        if not usage.address:
            diagnostics.append(Diagnostic(usage.location.path, usage.location.line,
                                          f"{usage.action} subject only known at run time: {usage.dynamic}; a "
                                          "literal, module constant or settings default there would document it",
                                          Severity.INFO))
    for site in sorted(reader.unknown, key=lambda s: (s.module.path, s.node.lineno)):
        diagnostics.append(Diagnostic(site.module.path, site.node.lineno,
                                      f"broker-like call {ast.unparse(site.node.func)}(...) on an object not known "
                                      "to be a NATS connection; annotate it (NATS, JetStreamContext) or assign it "
                                      "from nats.connect() / nc.jetstream()", Severity.WARNING))
    seen = {(u.location, u.action, u.call) for u in reader.usages}
    resolved = {(u.location, u.action, u.call) for u in reader.usages if u.address}
    service.coverage["events"] = Coverage(len(resolved), len(seen) + len(reader.unknown))
    with session_or_own(imports, options.python, options.import_timeout) as session:
        messages = reader.messages(options, repo, session)
    return EventModel(usages=reader.usages, messages=messages, streams=list(reader.streams.values())).normalise()
