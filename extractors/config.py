"""Settings of a scanned repository, from ``[tool.arrakis-docs]`` in its pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from arrakis_docs.model.architecture import Diagnostic, Severity

# Directories never worth scanning for application code.
DEFAULT_EXCLUDE = (
    ".git",
    ".venv*",
    "venv",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    "site",
    "var",
    ".arrakis-cache",
    "tests",
    "test",
    "test_*.py",
    "*_test.py",
    "conftest.py",
)


@dataclass
class RepoConfig:
    """What ``[tool.arrakis-docs]`` may set; every field has a default so any repository works unconfigured."""

    exclude: list[str] = field(default_factory=list)  # extra glob patterns, matched against path parts
    system: str = ""  # default Backstage system for services whose metadata names none
    domain: str = ""
    default_owner: str = "unknown"
    project_slug: str = ""  # github.com/project-slug; read from the git remote when empty
    source_url: str = ""  # base of backstage.io/source-location; derived from project_slug when empty
    python: str = ""  # interpreter that imports the apps; the running one when empty
    import_timeout: float = 60.0
    catalog_dir: str = "catalog"
    site_url: str = ""  # where the portal is published (absolute runbook links); mkdocs.yml's site_url when empty
    cache_dir: str = ".arrakis-cache"
    # Message streams the platform uses, e.g. [{name = "ARRAKIS", subjects = "arrakis.>"}]; found in code when empty.
    streams: list[dict[str, Any]] = field(default_factory=list)
    # Past these sizes a diagram is drawn per package group beside an overview of the groups (readers, dot, Mermaid).
    diagram_max_classes: int = 60
    diagram_max_modules: int = 60
    render_timeout: float = 60.0  # seconds one external render (dot, pyreverse, diagrams) may take before it is cut

    @property
    def exclude_patterns(self) -> tuple[str, ...]:
        """Built-in exclusions plus the configured ones."""
        return DEFAULT_EXCLUDE + tuple(self.exclude)


def load_config(repo: Path) -> tuple[RepoConfig, list[Diagnostic]]:
    """Read the repository's settings; unknown keys and a broken pyproject become diagnostics, not failures."""
    path = repo / "pyproject.toml"
    if not path.is_file():
        return RepoConfig(), []
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return RepoConfig(), [Diagnostic("pyproject.toml", _toml_line(exc), f"cannot read: {exc}")]
    section = data.get("tool", {}).get("arrakis-docs", {})
    known = {f.name for f in fields(RepoConfig)}
    spelled = {key.replace("-", "_"): key for key in section}
    values = {key.replace("-", "_"): value for key, value in section.items()}
    diagnostics = [
        Diagnostic("pyproject.toml", _setting_line(text, spelled[key]), f"unknown setting [tool.arrakis-docs] "
                   f"{key} ignored; known settings: {', '.join(sorted(known))}", Severity.WARNING)
        for key in sorted(set(values) - known)
    ]
    return RepoConfig(**{k: v for k, v in values.items() if k in known}), diagnostics


def _toml_line(exc: Exception) -> int:
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    # Python 3.11's tomllib names the place only in its message: "... (at line 3, column 7)".
    found = re.search(r"at line (\d+)", str(exc))
    return int(found.group(1)) if found else 1


def _setting_line(text: str, key: str) -> int:
    """The line that sets ``key`` in [tool.arrakis-docs] (the section header when not found, else 1)."""
    lines = text.splitlines()
    header = next((n for n, line in enumerate(lines, 1) if line.strip() == "[tool.arrakis-docs]"), 0)
    setting = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    return next((n for n, line in enumerate(lines[header:], header + 1) if setting.match(line)), header or 1)
