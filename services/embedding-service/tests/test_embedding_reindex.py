"""POST /collections/ontology-objects/reindex against the real ontology-management-service, run by uvicorn."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import func, select

from arrakis_common.testing import free_port, wait_for_port, wait_until
from embedding_service.models import Outbox

CREATURE = {"api_name": "Creature", "display_name": "Creature", "title_property": "name",
            "properties": [{"name": "name", "type": "string", "required": True},
                           {"name": "description", "type": "string"}, {"name": "legs", "type": "integer"}]}
CREATURES = [
    ("Shai-Hulud", "sand worms of Arrakis"),
    ("Accountant", "quarterly tax report and ledgers"),
    ("Cook", "recipe for lemon cake with vanilla frosting"),
    ("Sysadmin", "configures the office network router"),
    ("Fisher", "ocean fishing villages on Caladan"),
]


def serve_jwks(jwks: dict) -> HTTPServer:
    """user-service's JWKS endpoint, which the ontology service verifies the forwarded token against."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = json.dumps(jwks).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture()
def start_ontology(token_issuer, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Starts ontology-management-service with uvicorn on a free port (a process: services never import each
    other); returns its URL."""
    if importlib.util.find_spec("ontology_management_service") is None:
        pytest.skip("ontology-management-service is not installed")
    jwks = serve_jwks(token_issuer.jwks())
    running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(**env: str) -> str:
        port = free_port()
        environment = {**os.environ, "ARRAKIS_DATABASE_URL": f"sqlite:///{(tmp_path / 'ontology.db').as_posix()}",
                       "ARRAKIS_EVENTS_ENABLED": "false", "ARRAKIS_DATA_DIR": str(tmp_path),
                       "ARRAKIS_USER_SERVICE_URL": f"http://127.0.0.1:{jwks.server_port}", **env}
        log = (tmp_path / "ontology.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "ontology_management_service.app:create_app",
                                 "--factory", "--host", "127.0.0.1", "--port", str(port)], env=environment,
                                stdout=log, stderr=subprocess.STDOUT)
        running.append((proc, log))
        url = f"http://127.0.0.1:{port}"
        wait_for_port(port, proc=proc)
        wait_until(lambda: httpx.get(f"{url}/health/ready").status_code == 200)
        return url

    yield start
    for proc, log in running:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    jwks.shutdown()


@pytest.fixture()
def ontology_url(start_ontology) -> str:
    return start_ontology()


def create_creatures(ontology_url: str, headers: dict[str, str]) -> dict[str, str]:
    """The Creature type and its objects in the ontology; returns object ids by name."""
    with httpx.Client(base_url=ontology_url, headers=headers) as ontology:
        assert ontology.post("/object-types", json=CREATURE).status_code == 201
        ids = {}
        for name, description in CREATURES:
            created = ontology.post("/objects", json={"object_type": "Creature",
                                                      "properties": {"name": name, "description": description}})
            assert created.status_code == 201, created.text
            ids[name] = created.json()["id"]
    return ids


def test_reindex_pages_through_the_ontology(make_client, database_url, ontology_url, editor, viewer):
    ids = create_creatures(ontology_url, editor)

    settings = {"events_enabled": False, "ontology_management_service_url": ontology_url, "reindex_page_size": 2}
    with make_client(database_url, **settings) as client:
        client.post("/collections", json={"name": "ontology-objects"}, headers=editor)
        client.put("/collections/ontology-objects/items", json={"items": [{"id": "gone", "text": "old object"}]},
                   headers=editor)
        assert client.post("/collections/ontology-objects/reindex", headers=viewer).status_code == 403
        assert client.post("/collections/ontology-objects/reindex").status_code == 401
        response = client.post("/collections/ontology-objects/reindex", headers=editor)
        assert response.status_code == 200, response.text
        assert response.json() == {"collection": "ontology-objects", "indexed": 5, "removed": 1}
        items = client.get("/collections/ontology-objects/items", headers=viewer).json()
        assert sorted(i["id"] for i in items["items"]) == sorted(ids.values())
        worm = client.get(f"/collections/ontology-objects/items/{ids['Shai-Hulud']}", headers=viewer).json()
        assert worm["text"] == "Creature Shai-Hulud sand worms of Arrakis"
        assert worm["metadata"] == {"object_type": "Creature", "version": 1, "title": "Shai-Hulud"}
        hits = client.post("/collections/ontology-objects/search", json={"text": "giant sandworm", "k": 5},
                           headers=viewer).json()["hits"]
        assert hits[0]["id"] == ids["Shai-Hulud"]
        with client.app.state.runtime.database().session() as session:
            announced = session.execute(select(func.count()).where(
                Outbox.subject == "arrakis.embedding.object.indexed")).scalar_one()
        assert announced == 5
        # Reindexing again is a no-op in content.
        assert client.post("/collections/ontology-objects/reindex", headers=editor).json()["removed"] == 0


def test_reindex_reports_an_unreachable_ontology_as_502(make_client, tmp_path, editor):
    settings = {"events_enabled": False, "ontology_management_service_url": f"http://127.0.0.1:{free_port()}"}
    with make_client(f"sqlite:///{(tmp_path / 'e.db').as_posix()}", **settings) as client:
        response = client.post("/collections/ontology-objects/reindex", headers=editor)
        assert response.status_code == 502 and "ontology-management-service" in response.json()["detail"]


def test_events_of_the_real_ontology_service_are_indexed(make_client, tmp_path, start_ontology, nats_server, editor,
                                                         viewer):
    url = start_ontology(ARRAKIS_EVENTS_ENABLED="true", ARRAKIS_NATS_URL=nats_server.url)
    with make_client(f"sqlite:///{(tmp_path / 'e.db').as_posix()}", nats_url=nats_server.url) as client:
        ids = create_creatures(url, editor)
        worm = f"/collections/ontology-objects/items/{ids['Shai-Hulud']}"
        wait_until(lambda: client.get(worm, headers=viewer).status_code == 200)
        assert client.get(worm, headers=viewer).json()["metadata"]["version"] == 1
        with httpx.Client(base_url=url, headers=editor) as ontology:
            ontology.put(f"/objects/{ids['Shai-Hulud']}", json={"properties": {"name": "Shai-Hulud",
                                                                               "description": "old man desert"}})
            wait_until(lambda: client.get(worm, headers=viewer).json()["metadata"]["version"] == 2)
            assert client.get(worm, headers=viewer).json()["text"] == "Creature Shai-Hulud old man desert"
            ontology.delete(f"/objects/{ids['Shai-Hulud']}")
        wait_until(lambda: client.get(worm, headers=viewer).status_code == 404)
