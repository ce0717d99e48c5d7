"""Backstage's own catalog backend ingests the generated catalog: registered as a ``url`` location (served over
loopback HTTP, as a Git host serves it) and as a ``file`` location, every entity we generate is present, none has
processing errors, no relation dangles, every API carries its spec text, nothing is orphaned.

The backend is tests/backstage/catalog-backend.mjs (@backstage/backend-defaults with @backstage/plugin-catalog-backend,
on the suite's throwaway PostgreSQL server: each start gets its own database name prefix, so runs never see each
other's catalog, and its databases are dropped when it stops), installed by ``make backstage-install``
(mk/backstage.mk) from its own lock file.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from arrakis_common.testing import PostgresServer

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "catalog"
BACKSTAGE = Path(__file__).resolve().parent / "backstage"
BACKEND_SCRIPT = BACKSTAGE / "catalog-backend.mjs"
START_TIMEOUT = 120.0  # seconds until the catalog REST API answers
SETTLE_TIMEOUT = 300.0  # seconds until processing settles (a busy 2-core machine processes ~1-2 entities a second)
STABLE_POLLS = 3  # consecutive identical snapshots that count as settled
POLL_INTERVAL = 2.0
DEFINITION_FILE = "arrakis-docs/definition-file"
# Relation types whose target must exist (the ones spec fields produce, and their reverses).
CHECKED_RELATIONS = {"ownedBy", "ownerOf", "dependsOn", "dependencyOf", "providesApi", "apiProvidedBy",
                     "consumesApi", "apiConsumedBy", "partOf", "hasPart", "parentOf", "childOf"}

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (BACKSTAGE / "node_modules" / "@backstage" / "plugin-catalog-backend").is_dir(),
    reason="the Backstage backend is not installed: run `make backstage-install` (npm ci in tests/backstage)",
)


# ---------------------------------------------------------------- what we generate


def entity_ref(entity: dict[str, Any]) -> str:
    """``kind:namespace/name`` in lowercase, as the catalog writes relation targets."""
    metadata = entity["metadata"]
    return f"{entity['kind']}:{metadata.get('namespace', 'default')}/{metadata['name']}".lower()


def generated_entities(catalog: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every entity reachable from ``catalog-info.yaml`` (read with PyYAML, following Location targets), by ref."""
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    queue, seen = [catalog / "catalog-info.yaml"], set()
    while queue:
        path = queue.pop(0).resolve()
        if path in seen:
            continue
        seen.add(path)
        for entity in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[entity_ref(entity)] = (path, entity)
            if entity["kind"] == "Location":
                queue.extend(path.parent / target for target in entity["spec"]["targets"])
    return found


# ---------------------------------------------------------------- the backend


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str, timeout: float = 30.0) -> Any:
    """The JSON body of a GET."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URLs we built
        return json.loads(response.read())


@contextmanager
def served(directory: Path) -> Iterator[str]:
    """``directory`` over loopback HTTP, as a Git host's raw files; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        pass


def pg_connection(server: PostgresServer) -> dict[str, Any]:
    """Backstage's ``backend.database.connection`` for ``server`` (host, port, user, password of its URL)."""
    url = urllib.parse.urlsplit(server.server_url)
    return {"host": url.hostname or "127.0.0.1", "port": url.port or 5432,
            "user": urllib.parse.unquote(url.username or "postgres"),
            "password": urllib.parse.unquote(url.password or "")}


def drop_databases(server: PostgresServer, prefix: str) -> None:
    """Drop every database whose name starts with ``prefix`` (the ones a backend created, one per plugin)."""
    import psycopg

    dsn = server.server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
        for name in names:
            if name.startswith(prefix):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def catalog_backend(tmp: Path, postgres: PostgresServer, location_type: str, target: str,
                    allow_host: str = "") -> Iterator[str]:
    """A running Backstage catalog backend whose one ``catalog.locations`` entry is ``location_type: target``, its
    data in fresh databases on ``postgres``; yields its base URL. Killed, and its databases dropped, on exit, however
    the test went."""
    port = free_port()
    # Backstage creates one database per plugin, named prefix + plugin id; a new prefix per start keeps runs apart.
    prefix = f"arrakis_backstage_{uuid.uuid4().hex[:12]}_"
    config = {
        "app": {"baseUrl": f"http://127.0.0.1:{port}"},
        "backend": {
            "baseUrl": f"http://127.0.0.1:{port}",
            "listen": {"host": "127.0.0.1", "port": port},
            "database": {"client": "pg", "connection": pg_connection(postgres), "prefix": prefix,
                         "pluginDivisionMode": "database"},
            # The REST API answers without a token: this backend has no auth provider, and only the test calls it.
            "auth": {"dangerouslyDisableDefaultAuthPolicy": True},
            **({"reading": {"allow": [{"host": allow_host}]}} if allow_host else {}),
        },
        "catalog": {
            "processingInterval": {"seconds": 5},
            "rules": [{"allow": ["Component", "System", "API", "Resource", "Location", "Domain", "Group", "User"]}],
            "locations": [{"type": location_type, "target": target}],
        },
    }
    config_file = tmp / f"app-config.{location_type}.yaml"
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    log = (tmp / f"backend.{location_type}.log").open("w", encoding="utf-8")
    env = {**os.environ, "LOG_LEVEL": "warn", "NODE_ENV": "development", "NO_COLOR": "1"}
    process = subprocess.Popen(["node", str(BACKEND_SCRIPT), "--config", str(config_file)], cwd=BACKSTAGE,
                               stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"backend exited with {process.returncode}: {_tail(tmp, location_type)}")
            try:
                get_json(f"{base}/api/catalog/entities?limit=1", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                if time.monotonic() > deadline:
                    pytest.fail(f"catalog API not up after {START_TIMEOUT:.0f}s: {_tail(tmp, location_type)}")
                time.sleep(1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()
        drop_databases(postgres, prefix)


def _tail(tmp: Path, location_type: str) -> str:
    return (tmp / f"backend.{location_type}.log").read_text(encoding="utf-8", errors="replace")[-2000:]


def settled_entities(base: str, expected: int) -> list[dict[str, Any]]:
    """The catalog's entities once processing has settled: the same refs, etags and relations over
    ``STABLE_POLLS`` polls with at least ``expected`` entities (or whatever is there at ``SETTLE_TIMEOUT``)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    previous, stable = None, 0
    while True:
        entities = get_json(f"{base}/api/catalog/entities")
        snapshot = sorted((entity_ref(e), e["metadata"].get("etag"), len(e.get("relations", []))) for e in entities)
        stable = stable + 1 if snapshot == previous else 0
        previous = snapshot
        if (stable >= STABLE_POLLS and len(entities) >= expected) or time.monotonic() > deadline:
            return entities
        time.sleep(POLL_INTERVAL)


# ---------------------------------------------------------------- the check


def ingestion_problems(base: str, catalog: Path) -> list[str]:
    """What is wrong with the catalog at ``catalog`` as the backend at ``base`` ingested it (empty: nothing)."""
    generated = generated_entities(catalog)
    entities = settled_entities(base, len(generated))
    by_ref = {entity_ref(e): e for e in entities}
    problems = [f"missing: {ref}" for ref in sorted(set(generated) - set(by_ref))]
    for ref, entity in sorted(by_ref.items()):
        for item in entity.get("status", {}).get("items", []):
            problems.append(f"{ref}: {item.get('type')}: {item.get('error', {}).get('message', item)}")
        for relation in entity.get("relations", []):
            if relation["type"] in CHECKED_RELATIONS and relation["targetRef"] not in by_ref:
                problems.append(f"dangling: {ref} {relation['type']} {relation['targetRef']}")
        if "backstage.io/orphan" in entity["metadata"].get("annotations", {}):
            problems.append(f"orphaned: {ref}")
    for ref, (path, entity) in sorted(generated.items()):
        if entity["kind"] != "API" or ref not in by_ref:
            continue
        name = entity["metadata"]["name"]
        served_entity = get_json(f"{base}/api/catalog/entities/by-name/api/default/{name}")
        spec_file = path.parent / served_entity["metadata"]["annotations"].get(DEFINITION_FILE, "")
        if not spec_file.is_file():
            problems.append(f"{ref}: no spec file named by {DEFINITION_FILE}")
        elif served_entity["spec"].get("definition") != spec_file.read_text(encoding="utf-8"):
            problems.append(f"{ref}: spec.definition is not the text of {spec_file.name}")
    return problems


def domain_problems(entities: list[dict[str, Any]]) -> list[str]:
    """Components that belong to no Domain (a Component reaches one only through its System's ``partOf``)."""
    by_ref = {entity_ref(e): e for e in entities}

    def part_of(entity: dict[str, Any], kind: str) -> list[str]:
        return [r["targetRef"] for r in entity.get("relations", [])
                if r["type"] == "partOf" and r["targetRef"].startswith(f"{kind}:") and r["targetRef"] in by_ref]

    problems = []
    for ref, entity in sorted(by_ref.items()):
        if entity["kind"] == "Component":
            systems = part_of(entity, "system")
            if not systems or not any(part_of(by_ref[s], "domain") for s in systems):
                problems.append(f"{ref}: in no Domain (systems: {systems})")
    return problems


def origin_of(base: str, catalog: Path) -> str:
    """The origin location Backstage recorded for our Location entity."""
    location = next(e for _, e in generated_entities(catalog).values() if e["kind"] == "Location")
    served_location = get_json(f"{base}/api/catalog/entities/by-name/location/default/{location['metadata']['name']}")
    return served_location["metadata"]["annotations"]["backstage.io/managed-by-origin-location"]


# ---------------------------------------------------------------- the tests


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A copy of the committed catalog, so a test can change it."""
    copy = tmp_path / "repo" / "catalog"
    shutil.copytree(CATALOG, copy)
    return copy


def test_url_registration_ingests_every_entity(tmp_path: Path, catalog_copy: Path,
                                               postgres_server: PostgresServer) -> None:
    with served(catalog_copy) as host:
        target = f"{host}/catalog-info.yaml"
        with catalog_backend(tmp_path, postgres_server, "url", target, allow_host=host.removeprefix("http://")) as base:
            assert ingestion_problems(base, catalog_copy) == []
            entities = get_json(f"{base}/api/catalog/entities")
            assert domain_problems(entities) == []
            assert len(entities) == len(generated_entities(catalog_copy)) + 1  # + the config's own Location
            assert origin_of(base, catalog_copy) == f"url:{target}"
            assert get_json(f"{base}/api/catalog/locations") == []  # config locations are not registered ones


def test_file_registration_ingests_every_entity(tmp_path: Path, catalog_copy: Path,
                                                postgres_server: PostgresServer) -> None:
    target = str(catalog_copy / "catalog-info.yaml")
    with catalog_backend(tmp_path, postgres_server, "file", target) as base:
        assert ingestion_problems(base, catalog_copy) == []
        entities = get_json(f"{base}/api/catalog/entities")
        assert domain_problems(entities) == []
        assert origin_of(base, catalog_copy) == f"file:{target}"


def test_a_misspelt_owner_fails_the_check(tmp_path: Path, catalog_copy: Path,
                                          postgres_server: PostgresServer) -> None:
    component = catalog_copy / "components" / "audit-service.yaml"
    entity = yaml.safe_load(component.read_text(encoding="utf-8"))
    owner = entity["spec"]["owner"]
    component.write_text(component.read_text(encoding="utf-8").replace(f"owner: {owner}", f"owner: {owner}x"),
                         encoding="utf-8")
    with catalog_backend(tmp_path, postgres_server, "file", str(catalog_copy / "catalog-info.yaml")) as base:
        problems = ingestion_problems(base, catalog_copy)
    kind, name = owner.split(":", 1)
    assert f"dangling: component:default/audit-service ownedBy {kind}:default/{name}x" in problems
