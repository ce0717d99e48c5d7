"""Every status a route can answer, declared in its OpenAPI operation with the error model it carries.

Most error answers come from what every service shares rather than from the route: the bearer-token dependency
(401, 403, and 503 when the token keys cannot be fetched), the integrity handler (409), inputs naming a missing
record (404), the request-body guard (413, 422) and the idempotency middleware (409, 422). So they are added here,
from each route's dependencies, path and method, once for all services; a route adds what only it can answer with
``responses=``, and what it declares is kept.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request, Response, routing
from fastapi.dependencies.models import Dependant
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from .auth import current_principal
from .idempotency import HEADER, MAX_KEY_LENGTH

ERROR_SCHEMA = "ErrorResponse"
_ERROR_MODEL = {
    "title": ERROR_SCHEMA,
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"title": "Detail", "description": "What went wrong: a message, or a list of problems "
                                                                 "each with its location (as FastAPI gives them)"}},
}
_DESCRIPTIONS = {
    "400": "Bad request",
    "401": "Missing or invalid bearer token",
    "403": "The caller may not do this",
    "404": "Not found",
    "409": "Conflicts with the current state (an existing record, or a request with this Idempotency-Key in flight)",
    "413": "Request body too large",
    "422": "Invalid input",
    "503": "A dependency (token keys, database, broker) is unavailable",
}
_WRITES = {"post", "put", "patch", "delete"}
_ALL_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _calls(dependant: Dependant) -> set[Any]:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def statuses_for(route: Any, method: str) -> set[str]:
    """The shared error statuses ``route`` can answer for ``method``."""
    codes: set[str] = set()
    calls = _calls(route.dependant)
    if current_principal in calls:
        codes |= {"401", "403", "404", "503"}  # 404: the caller's own record may be gone (GET /users/me)
    takes = route.dependant
    if takes.path_params or takes.query_params or takes.header_params or takes.cookie_params or route.body_field:
        codes |= {"404", "422"}  # any input may name a record that does not exist (a path id, a type in a body)
    if method in _WRITES:
        codes.add("409")
    if method not in {"get", "head", "options", "delete"}:
        codes |= {"400", "413", "422"}  # 400: a body that is not JSON text at all
    return codes


def _error_content(existing: dict[str, Any] | None) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    schema = (existing or {}).get("content", {}).get("application/json", {}).get("schema")
    if schema and schema != ref:
        schema = {"anyOf": [schema, ref]}
    return {"application/json": {"schema": schema or ref}}


def add_error_responses(app: FastAPI, spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the shared error statuses of each of ``app``'s routes declared, and the error model."""
    spec.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA] = _ERROR_MODEL
    for route in routing.iter_route_contexts(app.routes):  # included routers are contexts, not flattened routes
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema or route.dependant is None:
            continue
        for method in sorted(m.lower() for m in route.methods):
            operation = spec.get("paths", {}).get(route.path_format, {}).get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(statuses_for(route, method) | {c for c in responses if c[:1] in "45"}):
                existing = responses.get(code)
                responses[code] = {"description": (existing or {}).get("description") or _DESCRIPTIONS.get(
                    code, "Error"), "content": _error_content(existing)}
            operation["responses"] = dict(sorted(responses.items()))
            if method == "post" and route.status_code == 201:
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == HEADER for p in params):
                    params.append({
                        "name": HEADER, "in": "header", "required": False,
                        "description": "Makes a retry safe: the same key with the same request returns the first "
                                       "answer; with a different request it is 422",
                        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
                                   "pattern": "^[!-~]+$"}})
    return spec


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document declares for the path ``path`` (a request path, not a template)."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path):
            methods |= {m.upper() for m in operations if m in _ALL_METHODS}
    return sorted(methods)


async def method_not_allowed(request: Request, exc: StarletteHTTPException) -> Response:
    """FastAPI's own handler, but ``Allow`` lists every method of the path (the router names only one route's)."""
    response = await http_exception_handler(request, exc)
    if exc.status_code == 405:
        methods = allowed_methods(request.app, request.url.path)
        if methods:
            response.headers["Allow"] = ", ".join(methods)
    return response


def install_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the shared error statuses (computed once, like FastAPI's own)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_error_responses(app, get_openapi(
                title=app.title, version=app.version, openapi_version=app.openapi_version, summary=app.summary,
                description=app.description, routes=app.routes, tags=app.openapi_tags, servers=app.servers,
                separate_input_output_schemas=app.separate_input_output_schemas))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(StarletteHTTPException, method_not_allowed)
