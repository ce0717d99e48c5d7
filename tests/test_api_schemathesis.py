"""schemathesis, all checks, against each of the seven services served on loopback: no server error, every response
matching its declared schema, every status declared. Bounded examples, so the whole run stays within minutes.
Each service has what it talks to: a real NATS server, and for embedding-service a real ontology-management-service."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from arrakis_common.auth import TokenIssuer, generate_private_key_pem
from arrakis_common.testing import SERVICE_MODULES, free_port, http_ready

MAX_EXAMPLES = int(os.environ.get("ARRAKIS_SCHEMATHESIS_EXAMPLES", "12"))
ST = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).resolve().parents[1] / "schemathesis.toml"


def _settings_type(service_module: str) -> type:
    return importlib.import_module(service_module.split(".")[0] + ".settings").Settings


def _serve(service: str, data_dir: Path, issuer: TokenIssuer, nats_url: str, **overrides: object) -> Iterator[str]:
    module, factory = SERVICE_MODULES[service].split(":")
    create_app = getattr(importlib.import_module(module), factory)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = _settings_type(module)(database_url=f"sqlite:///{(data_dir / 'service.db').as_posix()}",
                                      data_dir=data_dir, events_enabled=True, nats_url=nats_url, **overrides)
    app = create_app(settings)
    app.state.verifier = issuer
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not http_ready(url) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize("service", sorted(SERVICE_MODULES))
def test_schemathesis_all_checks(service: str, tmp_path: Path, nats_server) -> None:
    issuer = TokenIssuer(generate_private_key_pem())
    token = issuer.issue("schemathesis", ["admin"])
    upstream: list[Iterator[str]] = []
    overrides: dict[str, object] = {}
    if service == "embedding-service":  # it reads objects from ontology-management-service: serve that one too
        upstream.append(_serve("ontology-management-service", tmp_path / "ontology", issuer, nats_server.url))
        overrides["ontology_management_service_url"] = next(upstream[0])
    served = _serve(service, tmp_path / service, issuer, nats_server.url, **overrides)
    url = next(served)
    try:
        report = tmp_path / "report.json"
        result = subprocess.run(
            [str(ST), "--config-file", str(CONFIG), "run", f"{url}/openapi.json", "--checks", "all",
             "--max-examples", str(MAX_EXAMPLES),
             "--seed", "18", "--phases", "examples,coverage,fuzzing", "-H", f"Authorization: Bearer {token}",
             "--report", "ndjson", "--report-ndjson-path", str(report)],
            capture_output=True, text=True, timeout=240, cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
    finally:
        for server in (served, *upstream):
            next(server, None)
