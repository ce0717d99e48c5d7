"""``arrakis-docs model``: the extracted architecture model, as JSON or as a short summary."""

from __future__ import annotations

import click

from arrakis_docs.commands.common import Target, report
from arrakis_docs.progress import Progress


def run(target: Target, as_json: bool, static_only: bool, verbose: bool) -> int:
    """Print the model of ``target``."""
    from arrakis_docs.extractors.service_scan import ExtractOptions

    config = target.config
    options = ExtractOptions(static_only=static_only, python=config.python, import_timeout=config.import_timeout,
                             streams=config.streams)
    model = target.model(Progress(enabled=verbose), options)
    if as_json:
        click.echo(model.to_json(), nl=False)
        return 0
    report(model.diagnostics, verbose)
    for service in model.services:
        api = model.api_of(service)
        paths = len(api.document.get("paths", {})) if api else 0
        click.echo(f"{service.name}: {service.app.module}:{service.app.attribute} ({service.app.kind}), "
                   f"{paths} paths ({api.mode if api else 'no api'}), owner {service.owner}")
    for store in model.datastores:
        click.echo(f"{store.name}: {store.kind} ({store.technology})")
    for edge in model.edges:
        click.echo(f"{edge.source} -{edge.kind}-> {edge.target}")
    return 0
