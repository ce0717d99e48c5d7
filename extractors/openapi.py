"""OpenAPI documents per service: by importing the app in a sandboxed subprocess, from the AST, or from a URL."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from arrakis_docs.extractors.fastapi_routes import AppFacts, RouteReader, StaticRoute, docstring, route_sites, unique_id
from arrakis_docs.extractors.import_session import ImportSession
from arrakis_docs.extractors.pydantic_constraints import CONSTRAINED_TYPES, constrained_schema
from arrakis_docs.extractors.pydantic_models import ModelSchemas
from arrakis_docs.extractors.python_modules import ModuleIndex, annotation_names, call_name, literal
from arrakis_docs.extractors.source_tree import SourceFile
from arrakis_docs.extractors.symbols import SymbolResolver
from arrakis_docs.model.architecture import Coverage, Diagnostic, Service, Severity

OPENAPI_VERSION = "3.1.0"
_SCALARS: dict[str, dict[str, str]] = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "Decimal": {"type": "number"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "UUID": {"type": "string", "format": "uuid"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "EmailStr": {"type": "string", "format": "email"},
}
# Parameters FastAPI fills itself; they never appear in the schema.
_FRAMEWORK_TYPES = {"Request", "Response", "WebSocket", "BackgroundTasks", "HTTPConnection", "SecurityScopes",
                    "Session", "AsyncSession"}
_PARAM_MARKERS = {"Query": "query", "Header": "header", "Cookie": "cookie", "Path": "path"}
_BODY_MARKERS = {"Body", "Form", "File"}
_DEPENDENCY_MARKERS = {"Depends", "Security"}
_VALIDATION_SCHEMAS: dict[str, Any] = {
    "HTTPValidationError": {
        "properties": {"detail": {"items": {"$ref": "#/components/schemas/ValidationError"}, "title": "Detail",
                                  "type": "array"}},
        "title": "HTTPValidationError",
        "type": "object",
    },
    "ValidationError": {
        "properties": {
            "loc": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "title": "Location",
                    "type": "array"},
            "msg": {"title": "Message", "type": "string"},
            "type": {"title": "Error Type", "type": "string"},
        },
        "required": ["loc", "msg", "type"],
        "title": "ValidationError",
        "type": "object",
    },
}


# ---------------------------------------------------------------- import mode


def import_spec(service: Service, repo: Path, library_roots: list[str],
                imports: ImportSession) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """Import the app in the service's sandboxed interpreter (no network, ``ARRAKIS_DOCS_IMPORT=1``) and return
    ``app.openapi()``; on failure, None and a warning at the innermost frame of the repository that failed."""
    roots = [str(repo / r) if r else str(repo) for r in [service.app.import_root, *library_roots]]
    location = service.app.location
    done = imports.run("openapi", roots, module=service.app.module, attribute=service.app.attribute,
                       kind=service.app.kind)
    if not done.ok:
        path, line = _innermost_repo_frame(done.traceback, repo) or (location.path, location.line)
        # One line with what to do: the import mode needs the service's dependencies and an app that imports cleanly.
        return None, [Diagnostic(path, line, f"import failed, static extraction used instead: {done.error}; install "
                                 "the service's dependencies for the imported spec, or pass --static-only",
                                 Severity.WARNING)]
    document = done.result
    if not isinstance(document, dict):
        return None, [Diagnostic(location.path, location.line, "app.openapi() returned no JSON object",
                                 Severity.WARNING)]
    return document, unique_operation_ids(document, location.path, location.line)


def unique_operation_ids(document: dict[str, Any], path: str, line: int) -> list[Diagnostic]:
    """Give every operation its own id: FastAPI repeats one id for each method of ``api_route(methods=[...])``."""
    seen: dict[str, int] = {}
    for item in document.get("paths", {}).values():
        for operation in item.values() if isinstance(item, dict) else []:
            if isinstance(operation, dict) and isinstance(operation.get("operationId"), str):
                seen[operation["operationId"]] = seen.get(operation["operationId"], 0) + 1
    diagnostics = []
    for route, item in sorted(document.get("paths", {}).items()):
        for method, operation in sorted(item.items()) if isinstance(item, dict) else []:
            op_id = operation.get("operationId") if isinstance(operation, dict) else None
            if isinstance(op_id, str) and seen[op_id] > 1:
                # FastAPI's default ids end in one of the route's methods; swap it rather than stacking another.
                stem = re.sub(r"_(get|put|post|delete|options|head|patch|trace)$", "", op_id)
                operation["operationId"] = f"{stem}_{method}"
                diagnostics.append(Diagnostic(path, line, f"operationId {op_id!r} is shared by several operations; "
                                              f"{method.upper()} {route} written as {stem}_{method}", Severity.INFO))
    return diagnostics


def _innermost_repo_frame(traceback: str, repo: Path) -> tuple[str, int] | None:
    root = str(repo.resolve())
    inside = [(p, int(n)) for p, n in re.findall(r'File "([^"]+)", line (\d+)', traceback) if p.startswith(root)]
    if not inside:
        return None
    path, line = inside[-1]
    return Path(path).relative_to(root).as_posix(), line


# ---------------------------------------------------------------- URL mode


def url_spec(url: str, timeout: float = 10.0) -> dict[str, Any]:
    """The OpenAPI document a running service serves (``URL`` or ``URL/openapi.json``)."""
    import urllib.request  # only --from-url needs it; keeps every other run's start-up short

    if not url.rstrip("/").endswith(".json"):
        url = url.rstrip("/") + "/openapi.json"
    # the URL the user gave --from-url, whatever its scheme
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  # nosec B310
        return json.loads(response.read().decode("utf-8"))


# ---------------------------------------------------------------- static mode


def static_spec(service: Service, index: ModuleIndex, app_classes: set[str], app_functions: set[str],
                resolver: SymbolResolver | None = None,
                router_classes: set[str] | None = None) -> tuple[dict[str, Any], list[Diagnostic]]:
    """An OpenAPI document rebuilt from the AST: paths, methods, ids, summaries, tags and parameters.

    Also fills ``service.coverage["routes"]``: the routes resolved of the route-like sites seen in the service's
    folder; each site not understood becomes a warning at its line."""
    resolver = resolver or SymbolResolver(index)
    reader = RouteReader(index, app_classes, app_functions, resolver, router_classes)
    facts = reader.read_app(service.app.location.path, service.app.attribute, service.app.kind)
    paths: dict[str, dict[str, Any]] = {}
    uses_validation = False
    models = ModelSchemas(resolver, _SCALARS)
    for route in facts.routes:
        for method in route.methods:
            operation = _operation(route, method, unique=len(route.methods) > 1, resolver=resolver, models=models,
                                   route_file=index.by_path.get(route.location.path))
            uses_validation |= "422" in operation["responses"]
            paths.setdefault(route.path, {})[method.lower()] = operation
    info: dict[str, Any] = {
        "title": str(facts.info.get("title") or service.name),
        "version": str(facts.info.get("version") or service.version),
    }
    if facts.info.get("description"):
        info["description"] = facts.info["description"]
    document: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": info, "paths": paths}
    schemas = dict(models.components)
    if uses_validation:
        schemas |= _VALIDATION_SCHEMAS
    if schemas:
        document["components"] = {"schemas": dict(sorted(schemas.items()))}
    diagnostics = list(facts.diagnostics)
    diagnostics += _coverage(service, index, resolver, app_classes, router_classes or {"APIRouter"}, facts)
    return document, diagnostics


def _coverage(service: Service, index: ModuleIndex, resolver: SymbolResolver, app_classes: set[str],
              router_classes: set[str], facts: AppFacts) -> list[Diagnostic]:
    """Route-like sites in the service's own folder against those the reader understood."""
    prefix = f"{service.root}/" if service.root else ""
    seen: set[tuple[str, int]] = set()
    diagnostics = []
    warned = {(d.path, d.line) for d in facts.diagnostics}
    for path, f in sorted(index.by_path.items()):
        if not path.startswith(prefix):
            continue
        for line, text in route_sites(f, resolver, app_classes, router_classes):
            seen.add((path, line))
            if (path, line) not in facts.sites and (path, line) not in warned:
                diagnostics.append(Diagnostic(path, line, f"route-like {text} not reached from the app "
                                              f"{service.app.module}:{service.app.attribute}; its route is left "
                                              "out (include its router in the app, or ignore if it is not one)",
                                              Severity.WARNING))
    resolved = {(r.location.path, r.location.line) for r in facts.routes}
    candidates = seen | resolved
    service.coverage["routes"] = Coverage(len(candidates & (facts.sites | resolved)), len(candidates))
    return diagnostics


def _operation(route: StaticRoute, method: str, unique: bool, resolver: SymbolResolver, models: ModelSchemas,
               route_file: SourceFile | None) -> dict[str, Any]:
    options = route.options
    explicit_id = options.get("operation_id")
    operation_id = explicit_id if isinstance(explicit_id, str) else unique_id(route.name, route.path, method)
    if isinstance(explicit_id, str) and unique:
        operation_id = f"{explicit_id}_{method.lower()}"
    summary = options.get("summary")
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary if isinstance(summary, str) else route.name.replace("_", " ").title(),
    }
    description = options.get("description")
    text = description if isinstance(description, str) else docstring(route.endpoint)
    if text:
        operation["description"] = text
    if route.tags:
        operation["tags"] = route.tags
    if route.deprecated:
        operation["deprecated"] = True
    parameters, body = _parameters(route, method, resolver, models)
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"content": {"application/json": {"schema": body}}, "required": True}
    status = _status_code(options.get("status_code"))
    success: dict[str, Any] = {"description": "Successful Response"}
    if status not in ("204", "304"):
        success["content"] = {"application/json": {"schema": _response_schema(route, models,
                                                                               route_file or route.endpoint_file)}}
    operation["responses"] = {status: success}
    if parameters or body is not None:
        operation["responses"]["422"] = {
            "description": "Validation Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
        }
    return operation


def _status_code(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    match = re.search(r"HTTP_(\d{3})", ast.unparse(value) if isinstance(value, ast.AST) else str(value or ""))
    return match.group(1) if match else "200"


def _response_schema(route: StaticRoute, models: ModelSchemas, route_file: SourceFile | None) -> dict[str, Any]:
    """The success body: ``response_model=`` (read where the route is declared), else the endpoint's return
    annotation as FastAPI reads it (a ``Response`` class or ``None`` declares no model)."""
    if "response_model" in route.options:
        model = route.options["response_model"]
        return models.schema(route_file, model) if isinstance(model, ast.AST) else {}
    returns = route.endpoint.returns if route.endpoint is not None else None
    if returns is None or "Response" in ast.unparse(returns) or annotation_names(returns) <= {"None"}:
        return {}
    return models.schema(route.endpoint_file, returns)


def _parameters(route: StaticRoute, method: str, resolver: SymbolResolver,
                models: ModelSchemas) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    path_names = re.findall(r"{([^}:]+)(?::[^}]*)?}", route.path)
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for name in path_names:
        params[("path", name)] = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    body: dict[str, Any] | None = None
    fn = route.endpoint
    if fn is None:
        return list(params.values()), None
    positional = fn.args.posonlyargs + fn.args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(fn.args.defaults)) + list(fn.args.defaults)
    arguments = list(zip(positional, defaults, strict=True)) + list(
        zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True)
    )
    # FastAPI reads no JSON body on these methods unless a parameter says Body() itself.
    bodiless = method.upper() in ("GET", "HEAD", "DELETE", "OPTIONS")
    for arg, default in arguments:
        declared = _alias(route, arg.annotation, resolver)
        annotation, marker = _unwrap(declared, default)
        names = annotation_names(annotation)
        if marker in _DEPENDENCY_MARKERS or names & _FRAMEWORK_TYPES or arg.arg in ("self", "cls"):
            continue
        schema = constrained_schema(declared, default, lambda a: _without_null(models.schema(route.endpoint_file, a)))
        if arg.arg in path_names:
            params[("path", arg.arg)]["schema"] = schema
            continue
        location = _PARAM_MARKERS.get(marker or "")
        if location is None and marker not in _BODY_MARKERS and _is_scalar(annotation):
            location = "query"
        if location is None:
            if bodiless and marker not in _BODY_MARKERS:
                continue
            # The body: its models (fields and their constraints) become components, as FastAPI writes them.
            body = constrained_schema(declared, default, lambda a: models.schema(route.endpoint_file, a))
            continue
        name = arg.arg.replace("_", "-") if location == "header" else arg.arg
        required = default is None or (isinstance(default, ast.Call) and _marker_required(default))
        params[(location, name)] = {"name": name, "in": location, "required": required, "schema": schema}
    return list(params.values()), body


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without its ``None`` option (an omitted parameter is how a client says none)."""
    options = schema.get("anyOf")
    if not isinstance(options, list) or {"type": "null"} not in options:
        return schema
    rest = [o for o in options if o != {"type": "null"}]
    return {**{k: v for k, v in schema.items() if k != "anyOf"}, **rest[0]} if len(rest) == 1 else {**schema,
                                                                                                    "anyOf": rest}


def _alias(route: StaticRoute, annotation: ast.expr | None, resolver: SymbolResolver) -> ast.expr | None:
    """A module-level alias (``SessionDep = Annotated[Session, Depends(get_session)]``) replaced by what it names."""
    for _ in range(4):
        if route.endpoint_file is None or not isinstance(annotation, ast.Name | ast.Attribute):
            return annotation
        found = resolver.resolve(route.endpoint_file, annotation)
        if found is None or found.kind != "value" or not isinstance(found.node, ast.Subscript | ast.Name |
                                                                     ast.Attribute):
            return annotation
        annotation = found.node
    return annotation


def _unwrap(annotation: ast.expr | None, default: ast.expr | None) -> tuple[ast.expr | None, str | None]:
    """The bare type and the FastAPI marker (Query, Depends, ...) from ``Annotated[...]`` or the default value."""
    marker = call_name(default) if isinstance(default, ast.Call) else None
    if isinstance(annotation, ast.Subscript) and call_name(annotation.value) == "Annotated":
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        for extra in items[1:]:
            if isinstance(extra, ast.Call):
                marker = call_name(extra)
        return items[0], marker
    return annotation, marker


def _marker_required(call: ast.Call) -> bool:
    first = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "default"), None)
    return first is None or (isinstance(first, ast.Constant) and first.value is Ellipsis)


def _is_scalar(annotation: ast.expr | None) -> bool:
    names = annotation_names(annotation) - {"None", "Optional", "list", "List", "Union", "Literal", "Annotated"}
    if annotation is None:
        return True
    if isinstance(annotation, ast.Call):  # constr(...), conint(...): a constrained scalar; conlist is not one
        return CONSTRAINED_TYPES.get(call_name(annotation), {"type": "array"})["type"] != "array"
    if isinstance(annotation, ast.Subscript) and call_name(annotation.value) == "Literal":
        return True
    return bool(names) and names <= set(_SCALARS)


def _schema_of(annotation: ast.expr | None) -> dict[str, Any]:
    """A JSON schema for a type annotation, as far as the AST can tell (models become titled objects)."""
    if annotation is None:
        return {}
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        options = [_schema_of(side) for side in (annotation.left, annotation.right)]
        options = [o for o in options if o != {"type": "null"}]
        return options[0] if len(options) == 1 else {"anyOf": options}
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return {"type": "null"}
    if isinstance(annotation, ast.Call):
        return constrained_schema(annotation, None, _schema_of) if call_name(annotation) in CONSTRAINED_TYPES else {}
    if isinstance(annotation, ast.Subscript):
        outer = call_name(annotation.value)
        if outer == "Annotated":
            return constrained_schema(annotation, None, _schema_of)
        if outer in ("list", "List", "Sequence", "set", "Set"):
            return {"type": "array", "items": _schema_of(annotation.slice)}
        if outer in ("dict", "Dict", "Mapping"):
            return {"type": "object"}
        if outer == "Optional":
            return _schema_of(annotation.slice)
        if outer == "Literal":
            values = literal(annotation.slice)
            return {"enum": list(values) if isinstance(values, tuple) else [values]}
        return _schema_of(annotation.value)
    name = call_name(annotation) if isinstance(annotation, ast.Name | ast.Attribute) else ""
    if name in _SCALARS:
        return dict(_SCALARS[name])
    if name in ("dict", "Any"):
        return {"type": "object"} if name == "dict" else {}
    return {"title": name, "type": "object"} if name else {}
