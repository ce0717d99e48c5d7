"""Broker-only programs (no FastAPI app) are components of their own, of type worker: their broker calls are read,
and nothing that assumes an HTTP API (OpenAPI specs, the status page) is made for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "foreign_workers"
BIN = Path(sys.executable).parent  # the console script installed beside this interpreter


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "arrakis-docs"), *args], capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("model")
    done = _cli("model", "--json", "--static-only", "--repo", str(FIXTURE), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_broker_only_programs_are_workers(model: dict) -> None:
    kinds = {s["name"]: (s["type"], s["app"]["kind"], s["root"]) for s in model["services"]}
    assert kinds == {
        "orders": ("service", "instance", "services/orders"),
        "notifier": ("worker", "worker", "services/notifier"),
        "audit-consumer": ("worker", "worker", "workers/audit-consumer"),
    }  # scripts/ has a requirements.txt but makes no broker call: not a worker
    notifier = next(s for s in model["services"] if s["name"] == "notifier")
    assert notifier["app"]["module"] == "main"
    assert notifier["app"]["location"] == {"path": "services/notifier/main.py", "line": 19}
    consumer = next(s for s in model["services"] if s["name"] == "audit-consumer")
    assert (consumer["app"]["module"], consumer["app"]["attribute"]) == ("audit.app", "app")


def test_worker_usages_are_read(model: dict) -> None:
    usages = {(u["service"], u["action"], u["address"], u["location"]["path"], u["location"]["line"])
              for u in model["events"]["usages"]}
    assert ("notifier", "receive", "orders.created", "services/notifier/main.py", 14) in usages
    assert ("notifier", "send", "notifications.sent", "services/notifier/main.py", 15) in usages
    assert ("audit-consumer", "receive", "orders.>", "workers/audit-consumer/audit/app.py", 8) in usages


def test_workers_have_no_openapi_api(model: dict) -> None:
    openapi = {a["service"] for a in model["apis"] if a["kind"] == "openapi"}
    assert openapi == {"orders"}


def test_generate_and_validate_with_workers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _cli("generate", "--static-only", "--repo", str(FIXTURE), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (out / "catalog" / "apis").glob("*.openapi.json")) == ["orders.openapi.json"]
    component = yaml.safe_load((out / "catalog" / "components" / "notifier.yaml").read_text())
    assert component["spec"]["type"] == "worker"
    assert component["spec"]["providesApis"] == ["notifier-events"]
    page = (out / "docs" / "services" / "notifier.md").read_text()
    assert "| Entry point | `main` (worker) |" in page
    assert "serves no HTTP API" in page
    status = (out / "docs" / "status.md").read_text()
    assert "orders" in status and "notifier" not in status
    checked = _cli("validate", "--repo", str(FIXTURE), "--out", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 OpenAPI specs pass" in checked.stdout + checked.stderr
