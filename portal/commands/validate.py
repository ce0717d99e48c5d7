"""``arrakis-docs validate``: every check of the generated output; one line per problem, exit 1 if any."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from arrakis_docs.commands.common import Target
from arrakis_docs.progress import Progress
from arrakis_docs.validation import (
    ASYNCAPI,
    BACKSTAGE,
    DEFAULT_REDOCLY_CONFIG,
    REDOCLY,
    NodeCheck,
    Problem,
    asyncapi_problems,
    asyncapi_specs,
    backstage_problems,
    code_rule_problems,
    ensure_node_modules,
    event_orphan_warnings,
    find_node_modules,
    load_catalog,
    openapi_problems,
    redocly_problems,
    referential_problems,
    skip_line,
)


def run(target: Target, verbose: bool) -> int:
    """Validate the output under ``target.out``; returns the exit code."""
    progress = Progress(enabled=verbose)
    problems: list[Problem] = []
    with progress.step("read catalog") as notes:
        loaded = load_catalog(target.out, target.config.catalog_dir)
        problems += loaded.problems
        notes.append(f"{len(loaded.entities)} entities, {len(loaded.specs)} OpenAPI specs")
    with progress.step("references"):
        problems += referential_problems(loaded.entities)
    with progress.step("openapi-spec-validator"):
        problems += openapi_problems(loaded.specs, target.out)
    # The Node checks are optional: each one whose package is nowhere is skipped with one line, never a failure.
    npm_error = ensure_node_modules()  # `npm ci` in the toolkit's own checkout only
    if npm_error:
        click.echo(f"warning: {npm_error}", err=True)
    node_found = shutil.which("node") is not None

    def modules_for(check: NodeCheck) -> Path | None:
        modules = find_node_modules(check, target.repo) if node_found else None
        if modules is None:
            click.echo(skip_line(check, node_found))
        return modules

    if modules := modules_for(BACKSTAGE):
        with progress.step("backstage validators"):
            problems += backstage_problems(loaded.entities, modules)
    if modules := modules_for(REDOCLY):
        own = target.repo / "redocly.yaml"
        config = own if own.is_file() else DEFAULT_REDOCLY_CONFIG
        with progress.step("redocly lint"):
            problems += redocly_problems(loaded.specs, target.out, config, modules)
    if modules := modules_for(ASYNCAPI):
        with progress.step("asyncapi parser"):
            problems += asyncapi_problems(asyncapi_specs(target.out, target.config.catalog_dir), target.out,
                                          modules)
    # Orphan events are warnings: printed, never a failure.
    for warning in event_orphan_warnings(asyncapi_specs(target.out, target.config.catalog_dir), target.out):
        click.echo(str(warning), err=True)
    with progress.step("code rules"):
        errors, warnings = code_rule_problems(target.model(progress))
        problems += errors
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problems", err=True)
        return 1
    click.echo(f"ok: {len(loaded.entities)} entities and {len(loaded.specs)} OpenAPI specs pass every check", err=True)
    return 0
