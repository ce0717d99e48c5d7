"""``arrakis-docs export eventcatalog DIR``: the platform's events as an EventCatalog folder."""

from __future__ import annotations

from pathlib import Path

import click

from arrakis_docs.commands.common import Target, report
from arrakis_docs.eventcatalog import eventcatalog_files
from arrakis_docs.output import OutputSet, write_atomic
from arrakis_docs.progress import Progress

FOLDERS = ["channels", "domains", "events", "services", "teams"]


def run(target: Target, directory: str, static_only: bool, verbose: bool) -> int:
    """Scan ``target`` and write its EventCatalog into ``directory`` (its resource folders are replaced whole)."""
    from arrakis_docs.extractors.service_scan import ExtractOptions

    config = target.config
    options = ExtractOptions(static_only=static_only, python=config.python, import_timeout=config.import_timeout,
                             streams=config.streams)
    # No scan cache: the export folder holds EventCatalog's resources only, and nothing is written beside the code.
    model = target.model(Progress(enabled=verbose), options, use_cache=False)
    report(model.diagnostics, verbose)
    output = OutputSet(owned_dirs=list(FOLDERS))
    for path, text in sorted(eventcatalog_files(model).items()):
        output.add(path, text)
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    changed = write_atomic(root, output)
    report(output.refused, verbose)  # the containment guard's refusals: errors, never writes
    click.echo(f"eventcatalog: {len(output.files)} files in {directory} ({len(changed)} changed)", err=True)
    return 2 if output.refused else 0
