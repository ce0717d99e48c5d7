"""A service's Dockerfile, CI runs and coverage report: found in the repository's files and linked from its catalog
entity and its page. Fixtures are small repositories of our own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ARRAKIS_DOCS = Path(sys.executable).with_name("arrakis-docs")

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/items')\ndef items():\n    return []\n"
WORKFLOWS = {
    # every change: linked from every service
    "ci.yml": """
        name: ci
        on: [push, pull_request]
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: make test
              - uses: actions/upload-artifact@0000000000000000000000000000000000000000
                with:
                  name: coverage-report
                  path: htmlcov/
        """,
    # only changes under services/orders/**: linked from orders only
    "orders.yml": """
        name: orders image
        on:
          pull_request:
            paths: ["services/orders/**"]
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: docker build services/orders
        """,
    # Terraform only, by hand and called by others: no service's CI
    "infra.yml": "name: infra\non:\n  push:\n    paths: ['terraform/**']\njobs: {}\n",
    "manual.yml": "name: manual\non: workflow_dispatch\njobs: {}\n",
    "called.yml": "name: called\non:\n  workflow_call:\njobs: {}\n",
    "broken.yml": "name: broken\non: [push\n",
}


def make_repo(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\n\n[tool.arrakis-docs]\n'
                                         'project_slug = "example/shop"\n', encoding="utf-8")
    for name in ("orders", "billing"):
        folder = root / "services" / name
        (folder / name).mkdir(parents=True)
        (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1.0.0"\n', encoding="utf-8")
        (folder / name / "__init__.py").write_text("", encoding="utf-8")
        (folder / name / "main.py").write_text(APP, encoding="utf-8")
    (root / "services" / "orders" / "Dockerfile").write_text("FROM python:3.11-slim\n", encoding="utf-8")
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for name, text in WORKFLOWS.items():
        (workflows / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def model_of(repo: Path) -> dict:
    done = subprocess.run([str(ARRAKIS_DOCS), "model", "--json", "--static-only", "--repo", str(repo)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_workflows_and_dockerfiles_are_read(tmp_path: Path) -> None:
    model = model_of(make_repo(tmp_path))
    workflows = {w["path"].rsplit("/", 1)[-1]: w for w in model["repo"]["workflows"]}
    assert sorted(workflows) == ["ci.yml", "infra.yml", "orders.yml"]
    assert workflows["ci.yml"]["paths"] == [] and workflows["ci.yml"]["uploads_coverage"] is True
    assert workflows["orders.yml"]["paths"] == ["services/orders/**"]
    assert not workflows["orders.yml"]["uploads_coverage"]
    dockerfiles = {s["name"]: s["dockerfile"] for s in model["services"]}
    assert dockerfiles == {"orders": "services/orders/Dockerfile", "billing": ""}


def test_catalog_and_page_link_dockerfile_runs_and_coverage(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    make_repo(repo)
    done = subprocess.run([str(ARRAKIS_DOCS), "generate", "--static-only", "--repo", str(repo)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ".github/workflows/broken.yml:2: warning: workflow is not valid YAML" in done.stdout + done.stderr
    import yaml

    def links(name: str) -> dict[str, str]:
        entity = yaml.safe_load((repo / "catalog" / "components" / f"{name}.yaml").read_text(encoding="utf-8"))
        return {link["title"]: link["url"] for link in entity["metadata"].get("links", [])}

    base = "https://github.com/example/shop"
    assert links("orders") == {
        "Dockerfile": f"{base}/blob/main/services/orders/Dockerfile",
        "CI runs: ci": f"{base}/actions/workflows/ci.yml",
        "CI runs: orders image": f"{base}/actions/workflows/orders.yml",
        "Coverage report (ci artifacts on main)": f"{base}/actions/workflows/ci.yml?query=branch%3Amain",
    }
    assert links("billing") == {
        "CI runs: ci": f"{base}/actions/workflows/ci.yml",
        "Coverage report (ci artifacts on main)": f"{base}/actions/workflows/ci.yml?query=branch%3Amain",
    }
    page = (repo / "docs" / "services" / "orders.md").read_text(encoding="utf-8")
    assert f"| Dockerfile | <{base}/blob/main/services/orders/Dockerfile> |" in page
    assert f"| CI runs: orders image | <{base}/actions/workflows/orders.yml> |" in page
