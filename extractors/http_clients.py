"""Synchronous HTTP dependencies between services, read from the settings their clients are built from.

The platform's rule: a client to another service takes its base URL from a setting named ``<service_snake>_url``
(``httpx.Client(base_url=settings.audit_service_url)``). Reading such a setting is a use; declaring it in a settings
class is not. A use inside a shared library counts for every service that depends on that library.

On other repositories (``http_uses``) a use is also: a ``*_URL``/``*_HOST``/``*_BASE_PATH`` setting or environment
read (``settings.USER_SERVICE_URL``, ``os.getenv("ORDERS_URL", "http://orders:8000")``) with the value its settings
default, ``.env.example`` or compose ``environment:`` gives, and an ``http://host:port`` literal (a gateway's table of
downstream services). ``http_service_edges`` matches each to the service whose name, folder or compose service
name the setting or the URL's host names (``http://orders:8000`` -> orders).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from arrakis_docs.extractors.env_values import compose_services, service_environment
from arrakis_docs.extractors.python_modules import dotted
from arrakis_docs.extractors.source_tree import SourceFile, module_nodes
from arrakis_docs.model.architecture import Coverage, Service, SourceRef
from arrakis_docs.model.refs import Diagnostic, Edge, Severity, entity_id

# Setting names that hold another service's address (case-insensitive): ORDERS_URL, users_service_host, DB_API_BASE_PATH
_ADDRESS_SETTING = re.compile(
    r"(?i)^(?P<stem>[a-z0-9_]+?)_?(?:base_?url|url|uri|host|base_path|endpoint|addr|address)$")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"}  # nosec B104
_NOT_SERVICES = {"database", "db", "redis", "nats", "kafka", "rabbitmq", "amqp", "broker", "postgres", "mongo",
                 "mongodb", "sqlalchemy", "cache", "s3", "minio", "sentry", "otel", "otlp", "jaeger", "smtp", "celery",
                 "elasticsearch", "opensearch", "site", "frontend", "server", "app", "api", "public", "callback"}


@dataclass(frozen=True, order=True)
class UrlSettingUse:
    """An address setting or variable (``<something>.<setting>``, ``os.getenv("X")``) or a URL literal, read at
    ``location``."""

    setting: str
    location: SourceRef
    value: str = ""  # the URL the setting holds when files say (default, .env.example, compose), or the literal


def _settings_values(trees: list[tuple[str, ast.Module]]) -> dict[str, str]:
    """String defaults of fields of settings classes (``orders_url: str = "http://orders:8000"``), by field name."""
    values: dict[str, str] = {}
    for _, tree in trees:
        for cls in [n for n in module_nodes(tree) if isinstance(n, ast.ClassDef)]:
            if not _is_settings(cls):
                continue
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                    value = stmt.value
                    if isinstance(value, ast.Call) and dotted(value.func).endswith("Field"):
                        value = value.args[0] if value.args else next(
                            (k.value for k in value.keywords if k.arg == "default"), value)
                    if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                        values.setdefault(stmt.target.id, value.value)
    return values


def _is_settings(cls: ast.ClassDef) -> bool:
    return cls.name.endswith(("Settings", "Config")) or "Settings" in " ".join(dotted(b) for b in cls.bases)


def _env_name(node: ast.AST) -> tuple[str, ast.expr | None] | None:
    """(variable, default) of ``os.getenv("X", d)`` / ``os.environ.get("X", d)`` / ``os.environ["X"]``."""
    if isinstance(node, ast.Subscript) and dotted(node.value).endswith("environ"):
        key = node.slice
        return (key.value, None) if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if isinstance(node, ast.Call) and dotted(node.func).endswith(("getenv", "environ.get")) and node.args:
        key = node.args[0]
        default = node.args[1] if len(node.args) > 1 else None
        return (key.value, default) if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    return None


def _is_url(text: str) -> bool:
    return bool(re.match(r"^https?://[A-Za-z0-9_.\-\[\]:]+(?:/|$)", text))


def http_uses(repo: Path, service: Service, files: list[SourceFile]) -> list[UrlSettingUse]:
    """Every read of an address setting or variable, and every ``http://`` literal, in the service's files, each
    with the value the repository gives it (settings default, dotenv, compose ``environment:``), sorted."""
    trees = [(f.path, f.tree) for f in files if f.tree is not None and "/tests/" not in f"/{f.path}"
             and not PurePosixPath(f.path).name.startswith(("test_", "conftest"))]
    defaults = _settings_values(trees)
    env = service_environment(repo, service.root, service.name)
    folded_env = {k.lower(): v for k, v in env.items()}
    folded_defaults = {k.lower(): v for k, v in defaults.items()}
    uses: set[UrlSettingUse] = set()
    for path, tree in trees:
        in_env_call: set[int] = set()
        for cls in [n for n in module_nodes(tree) if isinstance(n, ast.ClassDef) and _is_settings(n)]:
            in_env_call.update(id(inner) for inner in ast.walk(cls))  # a settings default declares, it is no use
        for node in module_nodes(tree):
            found = _env_name(node)
            if found is not None:
                name, default = found
                for inner in ast.walk(node):
                    in_env_call.add(id(inner))
                value = folded_env.get(name.lower(), "")
                if not value and isinstance(default, ast.Constant) and isinstance(default.value, str):
                    value = default.value
                if _ADDRESS_SETTING.match(name) or _is_url(value):
                    uses.add(UrlSettingUse(name, SourceRef(path, node.lineno), value))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and _ADDRESS_SETTING.match(
                    node.attr) and dotted(node.value):
                key = node.attr.lower()
                value = folded_env.get(key) or folded_defaults.get(key, "")
                uses.add(UrlSettingUse(node.attr, SourceRef(path, node.lineno), value))
        for node in module_nodes(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_env_call
                    and _is_url(node.value)):
                uses.add(UrlSettingUse("", SourceRef(path, node.lineno), node.value))
    return sorted(uses)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def service_aliases(repo: Path, services: list[Service]) -> dict[str, str]:
    """Names by which other services reach each service (normalised): its name with and without ``-service``, its
    folder, and the docker-compose services that build its folder."""
    aliases: dict[str, str] = {}
    compose = compose_services(repo)
    for service in sorted(services, key=lambda s: s.name):
        names = {service.name, PurePosixPath(service.root).name if service.root else ""}
        names |= {c.name for c in compose if c.context and service.root and (
            service.root == c.context or service.root.startswith(f"{c.context}/") or
            c.context.startswith(f"{service.root}/"))}
        for name in {_norm(n) for n in names if n}:
            for variant in (name, name.removesuffix("-service"), f"{name}-service"):
                if variant and variant not in _NOT_SERVICES:
                    aliases.setdefault(variant, service.name)
    return aliases


def use_target(use: UrlSettingUse, aliases: dict[str, str]) -> str:
    """The service a use points to: by the URL's host, else by the setting's name; "" when neither names one."""
    if use.value and _is_url(use.value):
        host = urlsplit(use.value).hostname or ""
        if host and host not in _LOCAL_HOSTS:
            return aliases.get(_norm(host), "") or aliases.get(_norm(host.split(".")[0]), "")
    match = _ADDRESS_SETTING.match(use.setting) if use.setting else None
    return aliases.get(_norm(match.group("stem")), "") if match else ""


def is_candidate(use: UrlSettingUse) -> bool:
    """Whether a use looks like another service's address (not a database, broker or public API)."""
    if use.value and _is_url(use.value):
        host = urlsplit(use.value).hostname or ""
        return bool(host) and host not in _LOCAL_HOSTS and "." not in host  # a compose/k8s name, not the internet
    match = _ADDRESS_SETTING.match(use.setting) if use.setting else None
    return bool(match) and "service" in use.setting.lower() and _norm(match.group("stem")) not in _NOT_SERVICES


def http_service_edges(caller: Service, uses: list[UrlSettingUse], aliases: dict[str, str],
                       diagnostics: list[Diagnostic]) -> list[Edge]:
    """Edges to every service ``caller``'s uses point to; ``Service.coverage["http-clients"]`` counts the uses that
    look like a service's address and how many were matched, and each one not matched becomes a warning."""
    evidence: dict[str, list[SourceRef]] = {}
    candidates = resolved = 0
    for use in uses:
        target = use_target(use, aliases)
        if target == caller.name:
            continue
        if target:
            evidence.setdefault(target, []).append(use.location)
        if is_candidate(use) or target:
            candidates += 1
            resolved += bool(target)
            if not target:
                what = use.setting or use.value
                diagnostics.append(Diagnostic(use.location.path, use.location.line,
                                              f"HTTP address {what} ({use.value or 'no known value'}) names no "
                                              "service found; give its setting a default, or name the service in "
                                              "docker-compose", Severity.WARNING))
    caller.coverage["http-clients"] = Coverage(resolved, candidates)
    edges = []
    for target, refs in sorted(evidence.items()):
        refs = sorted(set(refs))
        edges.append(Edge(caller.id, entity_id("api", target), "consumes-api", tuple(refs)))
        edges.append(Edge(caller.id, entity_id("service", target), "depends-on", tuple(refs)))
    return edges
