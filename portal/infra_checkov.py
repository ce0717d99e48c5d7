"""``generate --with-checkov``: run checkov over the Terraform and record a per-module summary.

The summary is a committed input (``checkov-summary.json`` beside the Terraform), not a generated page: checkov is
slow, needs its own venv and its results change with its version, so running it inside every ``generate --check``
would make the drift check slow and non-deterministic. The extractor reads the committed summary and the portal
page is generated from it, so ``--check`` stays fast and byte-stable; ``--with-checkov`` refreshes it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

from arrakis_docs.extractors.hcl_graph import CHECKOV_SUMMARY

CHECKOV_VENV = ".venv-checkov"


def checkov_binary(repo: Path) -> Path | None:
    """checkov from the venv ``make checkov`` installs (in the scanned repository or the toolkit's)."""
    for base in (repo, Path(__file__).resolve().parents[1]):
        candidate = base / CHECKOV_VENV / "bin" / "checkov"
        if candidate.is_file():
            return candidate
    return None


def summarise(document: Any, prefix: str) -> dict[str, Any]:
    """Per-module passed/failed/skipped counts of a checkov JSON report; module folders get ``prefix``."""
    reports = document if isinstance(document, list) else [document]
    modules: dict[str, dict[str, Any]] = {}
    for report in (r for r in reports if isinstance(r, dict)):
        results = report.get("results", {})
        for outcome in ("passed", "failed", "skipped"):
            for check in results.get(f"{outcome}_checks", []):
                folder = PurePosixPath(str(check.get("file_path", "")).lstrip("/")).parent.as_posix()
                directory = (PurePosixPath(prefix) / folder).as_posix() if folder != "." else prefix
                entry = modules.setdefault(directory, {"passed": 0, "failed": 0, "skipped": 0, "failed_checks": []})
                entry[outcome] += 1
                if outcome == "failed":
                    entry["failed_checks"].append(f"{check.get('check_id')} {check.get('resource')}")
    for entry in modules.values():
        entry["failed_checks"] = sorted(set(entry["failed_checks"]))
    return {"tool": "checkov", "modules": dict(sorted(modules.items()))}


def run_checkov(repo: Path, timeout: float = 900.0) -> tuple[Path | None, str]:
    """Run checkov offline over ``terraform/`` (or the repository) and write the summary; (path, problem)."""
    binary = checkov_binary(repo)
    if binary is None:
        return None, f"checkov not found in {CHECKOV_VENV}/ (run `make checkov` once to install it)"
    folder = repo / "terraform" if (repo / "terraform").is_dir() else repo
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    command = [str(binary), "-d", str(folder), "--framework", "terraform", "--compact", "--skip-download",
               "--download-external-modules", "false", "-o", "json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        document = json.loads(done.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return None, f"checkov failed: {type(exc).__name__}: {exc}"
    prefix = folder.relative_to(repo).as_posix() if folder != repo else "."
    target = folder / CHECKOV_SUMMARY
    target.write_text(json.dumps(summarise(document, prefix), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target, ""
