"""``arrakis-docs diff BASE HEAD``: the architecture and contract changes between two refs, folders or models."""

from __future__ import annotations

from pathlib import Path

import click

from arrakis_docs.diff.architecture_changes import compare_models
from arrakis_docs.diff.comment import as_json, as_markdown, as_text
from arrakis_docs.diff.findings import RANK, Finding, Level
from arrakis_docs.diff.schema_rules import Mode
from arrakis_docs.diff.sides import SideError, history, load_side
from arrakis_docs.extractors.source_tree import SourcePool
from arrakis_docs.progress import Progress

FAIL_ON = {"breaking": RANK[Level.BREAKING], "warning": RANK[Level.WARNING], "never": -1}


def run(repo: Path, base: str, head: str, output_format: str, fail_on: str, mode: str, static_only: bool,
        use_cache: bool, output: str | None, verbose: bool, history_limit: int = 20) -> int:
    """Compare both sides and print the findings; exit 1 when a finding reaches ``fail_on``, 2 on a bad side.
    A ``_TRANSITIVE`` mode also reads the last ``history_limit`` commits before BASE that changed a payload model."""
    progress = Progress(enabled=verbose)
    pool = SourcePool()  # both sides share it: a file unchanged between them is parsed once
    try:
        old = load_side(repo, base, "base", static_only, use_cache, progress, pool)
        new = load_side(repo, head, "head", static_only, use_cache, progress, pool)
        chosen = Mode(mode.upper())
        earlier = history(repo, base, old.model, history_limit, static_only, use_cache, progress, pool) \
            if chosen.transitive else []
    except SideError as error:
        click.echo(f"error: {error}", err=True)
        return 2
    comparison = compare_models(old, new, chosen, earlier)
    if chosen.transitive:  # say how far back the history went: the mode is only as transitive as that
        comparison.findings.append(Finding(
            "event-transitive-history", Level.INFO, "events", "payload history",
            f"{chosen}: {len(earlier)} earlier commit(s) before {base} that changed a payload model judged "
            f"(--history {history_limit}: at most that many)" + (f": {', '.join(label for label, _ in earlier)}"
                                                                    if earlier else "")))
    printer = {"markdown": as_markdown, "json": as_json, "text": as_text}[output_format]
    text = printer(comparison, base, head)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    threshold = FAIL_ON[fail_on]
    return 1 if any(RANK[f.level] <= threshold for f in comparison.findings) else 0
