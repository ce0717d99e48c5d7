"""GitHub Actions workflows: which run on a push or pull request, on which paths, and which upload coverage.

Read from the source tree (``.github/workflows/*.yml``), never executed. A workflow that does not parse becomes a
diagnostic and is left out; one that only runs by hand, on a schedule or when another workflow calls it is not a
service's CI and is left out too.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import yaml

from arrakis_docs.extractors.source_tree import WORKFLOW_DIR, SourceTree
from arrakis_docs.model.architecture import Workflow
from arrakis_docs.model.refs import Diagnostic, Severity

CHANGE_EVENTS = ("push", "pull_request")


def _triggers(document: dict[str, Any]) -> dict[str, Any]:
    # PyYAML reads the bare key `on` as True (YAML 1.1), so both spellings are looked up
    raw = document.get("on", document.get(True))
    if isinstance(raw, str):
        return {raw: {}}
    if isinstance(raw, list):
        return {str(event): {} for event in raw}
    return raw if isinstance(raw, dict) else {}


def _uploads_coverage(document: dict[str, Any]) -> bool:
    for job in (document.get("jobs") or {}).values():
        for step in (job.get("steps") or []) if isinstance(job, dict) else []:
            if not isinstance(step, dict) or "upload-artifact" not in str(step.get("uses", "")):
                continue
            given = step.get("with") or {}
            if "coverage" in f"{given.get('name', '')} {given.get('path', '')}".lower():
                return True
    return False


def read_workflows(tree: SourceTree, diagnostics: list[Diagnostic]) -> list[Workflow]:
    """The workflows that run when code changes, sorted by path."""
    found: list[Workflow] = []
    for path, source in sorted(tree.files.items()):
        if not path.startswith(WORKFLOW_DIR) or path.count("/") != 2:
            continue
        try:
            document = yaml.safe_load(source.text)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)  # where the construct began
            line = getattr(mark, "line", 0) + 1
            diagnostics.append(Diagnostic(path, line, f"workflow is not valid YAML ({exc.__class__.__name__}): "
                                          "fix it so its runs can be linked", Severity.WARNING))
            continue
        if not isinstance(document, dict):
            continue
        triggers = _triggers(document)
        events = [triggers[e] for e in CHANGE_EVENTS if e in triggers]
        if not events:
            continue
        paths: set[str] = set()
        unfiltered = False
        for event in events:
            filters = event.get("paths") if isinstance(event, dict) else None
            if filters:
                paths.update(str(p) for p in filters)
            else:
                unfiltered = True
        name = str(document.get("name") or PurePosixPath(path).stem)
        found.append(Workflow(path=path, name=name, paths=() if unfiltered else tuple(sorted(paths)),
                              uploads_coverage=_uploads_coverage(document)))
    return found

