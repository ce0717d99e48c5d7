"""A synthetic repository of FastAPI services, deterministic for given sizes, for the scale benchmark and tests.

``write_repo(root, services=N, modules=M, classes=K, ...)`` writes N services under ``services/<name>/``, each its
own project (``pyproject.toml``) with a package holding an app, ``routes`` routers, SQLAlchemy tables, pydantic events
published over NATS, and M modules spread over packages of ``domain/`` (K classes in all, with bases and
annotations pointing at each other, and imports between modules). ``openapi_document(routes)`` is a large valid
OpenAPI 3.1 document. Same arguments, same bytes: nothing random, nothing timed.

With ``linked=True`` the services form a platform: each has a ``service.yaml`` (owner, domain of ``DOMAIN_SIZE``
services, system), calls the next service over HTTP (a client built from a ``<service>_url`` setting) and consumes
the previous service's first subject, so every service has callers, callees, consumers and producers.

Run as a script: ``python bench/synthetic.py OUT --services 50 --modules 4 --classes 8 [--linked]``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

GROUP_SIZE = 25  # modules per domain sub-package
DOMAIN_SIZE = 20  # services per domain of a linked platform


@dataclass(frozen=True)
class Sizes:
    """How big each service is."""

    modules: int = 4  # domain modules
    classes: int = 8  # domain classes, spread over the modules
    routes: int = 6
    events: int = 2
    tables: int = 2
    linked: int = 0  # services of the linked platform (0: independent services)


def service_name(index: int) -> str:
    """``svc-007``: services sort in creation order."""
    return f"svc-{index:03d}"


def package_name(index: int) -> str:
    """The import package of service ``index``."""
    return f"svc_{index:03d}"


def write_repo(root: Path, services: int = 1, modules: int = 4, classes: int = 8, routes: int = 6, events: int = 2,
               tables: int = 2, linked: bool = False) -> list[Path]:
    """Write the repository under ``root``; returns every file written, sorted."""
    sizes = Sizes(modules, classes, routes, events, tables, services if linked and services > 1 else 0)
    files: dict[str, str] = {"pyproject.toml": '[project]\nname = "synthetic-platform"\nversion = "0.1.0"\n',
                             "README.md": "# Synthetic platform\n"}
    for index in range(services):
        files.update(service_files(index, sizes))
    written = []
    for rel, text in sorted(files.items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def service_files(index: int, sizes: Sizes) -> dict[str, str]:
    """Files of one service, by path relative to the repository root."""
    name, pkg = service_name(index), package_name(index)
    base = f"services/{name}"
    files = {
        f"{base}/pyproject.toml": f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = ["fastapi"]\n',
        f"{base}/{pkg}/__init__.py": f'"""{name}."""\n',
        f"{base}/{pkg}/settings.py": _settings(name, service_name((index + 1) % sizes.linked) if sizes.linked
                                               else ""),
        f"{base}/{pkg}/app.py": _app(pkg, name, sizes.routes),
        f"{base}/{pkg}/routes.py": _routes(pkg, sizes.routes, sizes.tables),
        f"{base}/{pkg}/models.py": _models(sizes.tables),
        f"{base}/{pkg}/events.py": _events(pkg, name, sizes.events),
        f"{base}/{pkg}/domain/__init__.py": "",
    }
    for number in range(sizes.modules):
        group = f"g{number // GROUP_SIZE:02d}"
        files.setdefault(f"{base}/{pkg}/domain/{group}/__init__.py", "")
        files[f"{base}/{pkg}/domain/{group}/m{number:03d}.py"] = _domain_module(pkg, number, sizes)
    if sizes.linked:
        files.update(_links(index, sizes.linked, base, pkg))
    return files


def _links(index: int, services: int, base: str, pkg: str) -> dict[str, str]:
    """service.yaml, an HTTP client of the next service and a subscriber to the previous service's first subject."""
    name, callee, producer = service_name(index), service_name((index + 1) % services), (index - 1) % services
    setting = callee.replace("-", "_") + "_url"
    subject = f"arrakis.{service_name(producer).replace('-', '_')}.item0.changed"
    return {
        f"{base}/service.yaml": (f"name: {name}\ndescription: Synthetic service {index}.\nowner: team-{index % 8}\n"
                                 f"lifecycle: production\ntier: {1 + index % 3}\nsystem: synthetic\n"
                                 f"domain: d{index // DOMAIN_SIZE:02d}\ntype: service\n"),
        f"{base}/{pkg}/neighbours.py": (
            '"""Calls the next service over HTTP; consumes the previous service\'s first subject."""\n\n'
            "import httpx\nimport nats\n\n"
            f"from {pkg}.settings import settings\n\n\n"
            "async def fetch_item(item_id: int) -> dict:\n"
            '    """Read an item of the next service."""\n'
            f"    async with httpx.AsyncClient(base_url=settings.{setting}) as client:\n"
            '        return (await client.get(f"/v1/items0/{item_id}")).json()\n\n\n'
            "async def listen() -> None:\n"
            '    """Consume the previous service\'s changes."""\n'
            "    nc = await nats.connect(settings.nats_url)\n"
            f'    await nc.subscribe("{subject}", cb=_changed)\n\n\n'
            "async def _changed(msg) -> None:\n    await fetch_item(0)\n"),
    }


def _settings(name: str, callee: str = "") -> str:
    url = f'    {callee.replace("-", "_")}_url: str = "http://{callee}:8000"\n' if callee else ""
    return ("from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
            f'    service_name: str = "{name}"\n    nats_url: str = "nats://localhost:4222"\n{url}\n\n'
            "settings = Settings()\n")


def _app(pkg: str, name: str, routes: int) -> str:
    return (f"from fastapi import FastAPI\n\nfrom {pkg}.routes import router\n\n"
            f'app = FastAPI(title="{name}", version="1.0.0")\napp.include_router(router, prefix="/v1")\n')


def _routes(pkg: str, routes: int, tables: int) -> str:
    lines = ["from fastapi import APIRouter", "from pydantic import BaseModel", "",
             f"from {pkg}.events import publish_changed", "", 'router = APIRouter(tags=["items"])', "", "",
             "class ItemIn(BaseModel):", "    name: str", "    size: int = 0", "", ""]
    for number in range(routes):
        method = ("get", "post", "put", "delete")[number % 4]
        body = ", item: ItemIn" if method in ("post", "put") else ""
        lines += [f'@router.{method}("/items{number}/{{item_id}}")',
                  f"async def handle_{number}(item_id: int{body}) -> dict:",
                  f'    """Operation {number}."""']
        if method == "post":
            lines.append("    await publish_changed(item_id)")
        lines += ['    return {"id": item_id}', "", ""]
    return "\n".join(lines).rstrip() + "\n"


def _models(tables: int) -> str:
    lines = ["from sqlalchemy import ForeignKey, String", "from sqlalchemy.orm import DeclarativeBase, Mapped, "
             "mapped_column", "", "", "class Base(DeclarativeBase):", "    pass", "", ""]
    for number in range(tables):
        lines += [f"class Table{number}(Base):", f'    __tablename__ = "table_{number}"', "",
                  "    id: Mapped[int] = mapped_column(primary_key=True)",
                  "    name: Mapped[str] = mapped_column(String(80), index=True)"]
        if number:
            lines.append(f'    parent_id: Mapped[int] = mapped_column(ForeignKey("table_{number - 1}.id"))')
        lines += ["", ""]
    return "\n".join(lines).rstrip() + "\n"


def _events(pkg: str, name: str, events: int) -> str:
    domain = name.replace("-", "_")
    lines = ["import json", "", "import nats", "from pydantic import BaseModel", "", f"from {pkg}.settings import "
             "settings", "", ""]
    for number in range(events):
        lines += [f"class Changed{number}(BaseModel):", '    """A row changed."""', "", "    item_id: int", "", ""]
    lines += ["async def publish_changed(item_id: int) -> None:", '    """Tell the platform a row changed."""',
              "    nc = await nats.connect(settings.nats_url)"]
    lines += [f'    await nc.publish("arrakis.{domain}.item{number}.changed", '
              f'json.dumps({{"item_id": item_id}}).encode())' for number in range(events)]
    lines += ["    await nc.close()", ""]
    return "\n".join(lines)


def _domain_module(pkg: str, number: int, sizes: Sizes) -> str:
    """Module ``number`` of the domain: its share of the classes, each deriving from and pointing at earlier ones."""
    share = [c for c in range(sizes.classes) if c % max(sizes.modules, 1) == number]
    group = f"g{number // GROUP_SIZE:02d}"
    lines = ['"""Domain module."""', "", "from dataclasses import dataclass", ""]
    earlier = number - 1 if number else None
    if earlier is not None:
        lines.insert(3, f"from {pkg}.domain.g{earlier // GROUP_SIZE:02d} import m{earlier:03d}")
    if number >= GROUP_SIZE:  # a second import across groups, so package graphs have edges between packages
        lines.insert(3, f"from {pkg}.domain.g00 import m{number % GROUP_SIZE:03d} as first")
    lines.append("")
    for c in share:
        lines += ["@dataclass", f"class C{c:04d}:", f'    """Class {c} of module {group}.m{number:03d}."""', "",
                  "    key: int", "    label: str = \"\""]
        if c >= sizes.modules:  # an association with the class of the same position one round earlier
            lines.append(f"    previous: C{c - sizes.modules:04d} | None = None")
        lines += ["", f"    def describe_{c}(self) -> str:", "        return self.label", "", ""]
    return "\n".join(lines).rstrip() + "\n"


def openapi_document(routes: int) -> dict:
    """A valid OpenAPI 3.1 document with ``routes`` operations over shared component schemas."""
    paths: dict[str, dict] = {}
    for number in range(routes):
        path = f"/resources{number // 4}/{{item_id}}"
        method = ("get", "put", "delete", "patch")[number % 4]
        operation: dict = {
            "operationId": f"op_{number}", "summary": f"Operation {number}", "tags": [f"group{number % 20}"],
            "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "OK", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Item"}}}},
                "422": {"description": "Invalid", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}}},
        }
        if method in ("put", "patch"):
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Item"}}}}
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0", "info": {"title": "synthetic", "version": "1.0.0", "description": "Synthetic API."},
        "servers": [{"url": "https://api.example.com"}], "paths": paths,
        "components": {"schemas": {
            "Item": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}}},
            "Problem": {"type": "object", "properties": {"detail": {"type": "string"}}}}},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    for option, default in (("services", 1), ("modules", 4), ("classes", 8), ("routes", 6), ("events", 2),
                            ("tables", 2)):
        parser.add_argument(f"--{option}", type=int, default=default)
    parser.add_argument("--openapi-routes", type=int, default=0, help="write openapi.json with this many routes")
    parser.add_argument("--linked", action="store_true", help="services call and consume each other")
    args = parser.parse_args()
    if args.openapi_routes:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "openapi.json").write_text(json.dumps(openapi_document(args.openapi_routes), indent=1))
        return 0
    written = write_repo(args.out, args.services, args.modules, args.classes, args.routes, args.events, args.tables,
                         args.linked)
    print(f"{len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
