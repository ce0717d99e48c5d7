"""Environment values a service is deployed with, read from files only: ``.env.example`` / ``.env.sample`` (and a
committed ``.env``) in the service's folder or above it, and the ``environment:`` of its docker-compose service.

Settings classes often leave a subject, topic or base URL without a default (``KAFKA_TOPIC = os.environ.get(...)``,
``orders_url: str``); these files are where the repository writes the value down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

ENV_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", ".env")
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml",
                 "docker-compose.dev.yml", "docker-compose.override.yml")
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}")
_MAX_BYTES = 512_000  # a deployment file larger than this is not a hand-written one


@dataclass
class ComposeService:
    """One docker-compose service: its name, the code folder it builds (repo-relative) and its environment."""

    name: str
    context: str = ""
    environment: dict[str, str] = field(default_factory=dict)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.stat().st_size <= _MAX_BYTES else ""
    except OSError:
        return ""


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip() if not value.startswith(("'", '"')) else value
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return _DEFAULT.sub(lambda m: m.group(1) or "", value)


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=value`` lines of a dotenv file (quotes stripped, ``${X:-default}`` replaced by its default)."""
    values = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            values[match.group(1)] = _unquote(match.group(2))
    return values


def _ancestors(root: str) -> list[str]:
    """``a/b`` -> ``["a/b", "a", ""]``: the service folder first, the repository root last."""
    parts = PurePosixPath(root).parts if root else ()
    return [str(PurePosixPath(*parts[:i])) if i else "" for i in range(len(parts), -1, -1)]


def compose_services(repo: Path) -> list[ComposeService]:
    """Services of the docker-compose files at the repository root and one level down, sorted by name."""
    found: dict[str, ComposeService] = {}
    candidates = [repo / n for n in COMPOSE_FILES] + sorted(p for n in COMPOSE_FILES for p in repo.glob(f"*/{n}"))
    for path in candidates:
        if not path.is_file():
            continue
        try:
            data = yaml.safe_load(_read(path))
        except yaml.YAMLError:
            continue  # a broken compose file is the manifest reader's to report
        services = data.get("services") if isinstance(data, dict) else None
        for name, spec in sorted(services.items()) if isinstance(services, dict) else []:
            if not isinstance(spec, dict):
                continue
            build = spec.get("build")
            context = build.get("context") if isinstance(build, dict) else build
            rel = ""
            if isinstance(context, str):
                resolved = (path.parent / context).resolve()
                try:
                    rel = resolved.relative_to(repo.resolve()).as_posix()
                except ValueError:
                    rel = ""
                rel = "" if rel == "." else rel
            env = spec.get("environment")
            values: dict[str, str] = {}
            if isinstance(env, dict):
                values = {str(k): _unquote(str(v)) for k, v in env.items() if v is not None}
            elif isinstance(env, list):
                values = parse_env_file("\n".join(str(e) for e in env))
            found.setdefault(str(name), ComposeService(str(name), rel if isinstance(context, str) else "", values))
    return sorted(found.values(), key=lambda s: s.name)


def service_environment(repo: Path, root: str, name: str) -> dict[str, str]:
    """What the service at ``root`` (called ``name``) is configured with: compose ``environment:`` first (it is the
    deployment), then dotenv files from the nearest folder up to the repository root."""
    values: dict[str, str] = {}
    for folder in reversed(_ancestors(root)):  # nearer folders override farther ones
        for file_name in reversed(ENV_FILES):  # an example file overrides a committed .env
            path = repo / folder / file_name if folder else repo / file_name
            if path.is_file():
                values.update(parse_env_file(_read(path)))
    folder_name = PurePosixPath(root).name if root else ""
    for service in compose_services(repo):
        builds_it = bool(root and service.context) and (root == service.context
                                                        or root.startswith(f"{service.context}/"))
        if builds_it or service.name in (name, folder_name):
            values.update(service.environment)
    return values
