"""``arrakis-docs generate``: scan, write every output atomically, or (``--check``) report drift.

Exit codes: 0 done; 1 drift (``--check``); 2 an error diagnostic was raised under ``--strict`` or ``--check``."""

from __future__ import annotations

import hashlib
import json

import click

from arrakis_docs.commands.common import Target
from arrakis_docs.diagrams_output import diagram_renders
from arrakis_docs.extractors.service_scan import ExtractOptions
from arrakis_docs.infra_checkov import run_checkov
from arrakis_docs.infra_renders import infra_renders
from arrakis_docs.model.architecture import Diagnostic, Severity, dumps
from arrakis_docs.output import OutputSet, differences, digests, matches, write_atomic
from arrakis_docs.progress import Progress
from arrakis_docs.render import render
from arrakis_docs.scan import TOOL_DIGEST, ContentCache

DRIFT = 1
STRICT_FAILURE = 2
# Without -v at most this many diagnostic lines, then a count: enough to act on, short enough to read in CI logs.
SHOWN_DIAGNOSTICS = 50


def parse_spec_urls(values: tuple[str, ...], only: str) -> dict[str, str]:
    """``NAME=URL`` pairs; a bare URL belongs to the ``--only`` service."""
    urls = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or "://" in name:
            if not only:
                raise click.UsageError("--from-url without NAME= needs --only NAME")
            name, url = only, value
        urls[name] = url
    return urls


def show_diagnostics(diagnostics: list[Diagnostic], verbose: bool) -> None:
    """Print every diagnostic that loses information (errors and warnings; info only with ``verbose``) to stderr,
    one ``path:line: severity: message`` line each; without ``verbose`` at most ``SHOWN_DIAGNOSTICS``, then a count."""
    shown = [d for d in diagnostics if verbose or d.severity != Severity.INFO]
    for diagnostic in shown if verbose else shown[:SHOWN_DIAGNOSTICS]:
        # One line each, whatever the message holds (parser errors come with their own line breaks).
        click.echo(" ".join(part.strip() for part in str(diagnostic).splitlines() if part.strip()), err=True)
    errors = sum(d.severity == Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity == Severity.WARNING for d in diagnostics)
    hidden = 0 if verbose else max(0, len(shown) - SHOWN_DIAGNOSTICS)
    if errors or warnings:
        more = f"; {hidden} more not shown: run with -v to see every one" if hidden else ""
        click.echo(f"diagnostics: {errors} errors, {warnings} warnings{more}", err=True)


def strict_failure(diagnostics: list[Diagnostic]) -> int:
    """Exit code of a strict run (``--strict``, ``--check``): ``STRICT_FAILURE`` when an error was raised."""
    errors = sum(d.severity == Severity.ERROR for d in diagnostics)
    if errors:
        click.echo(f"{errors} error diagnostics: failing (--strict / --check); fix them or run without --strict",
                   err=True)
        return STRICT_FAILURE
    return 0


def run(target: Target, check: bool, static_only: bool, only: str, verbose: bool, from_url: tuple[str, ...],
        with_checkov: bool = False, strict: bool = False) -> int:
    """Generate (or check) the documentation of ``target``; returns the exit code (see the module docstring)."""
    progress = Progress()
    config = target.config
    options = ExtractOptions(static_only=static_only, python=config.python, import_timeout=config.import_timeout,
                             spec_urls=parse_spec_urls(from_url, only), streams=config.streams)
    if with_checkov and not check:  # refreshes the committed summary the scan then reads
        with progress.step("checkov") as notes:
            summary, problem = run_checkov(target.repo)
            notes.append(problem or str(summary.relative_to(target.repo) if summary else ""))
    model = target.model(progress, options, only)
    if only and model.service(only) is None:
        raise click.UsageError(f"no service named {only!r}")
    show_diagnostics(model.diagnostics, verbose)
    strict = strict or check
    # Unchanged model and toolkit, and the disk still holds what the last run wrote: nothing to render.
    cache = ContentCache(target.cache_root, enabled=not options.spec_urls)
    slot = "output-" + hashlib.sha256(str(target.out).encode()).hexdigest()[:8]
    render_key = hashlib.sha256(f"{TOOL_DIGEST};{dumps(config.__dict__)};{model.fingerprint()}".encode()).hexdigest()
    manifest = cache.get(slot, render_key)
    fresh = isinstance(manifest, dict) and "digests" in manifest
    if fresh and matches(target.out, manifest["owned_dirs"], manifest["digests"]):
        progress.line("output: up to date (unchanged model, files match the last run)")
        return strict_failure(model.diagnostics) if strict else 0
    with progress.step("render") as notes:
        output = render(model, target.repo, target.out, config)
        output.guard(target.out)  # nothing outside --out: refused paths become errors, never writes
        notes.append(f"{len(output.files)} files")
    if output.refused:
        show_diagnostics(output.refused, verbose)
    diagnostics = [*model.diagnostics, *output.refused]
    if check:
        with progress.step("compare"):
            drift = differences(target.out, output)
        for line in drift:
            click.echo(line)
        if drift:
            click.echo("generated documentation is out of date: run `arrakis-docs generate`", err=True)
            return DRIFT
        if not output.refused:
            cache.put(slot, render_key, manifest_text(output))
        progress.line("up to date")
        return strict_failure(diagnostics)
    with progress.step("write") as notes:
        changed = write_atomic(target.out, output)
        notes.append(f"{len(changed)} changed" if changed else "nothing changed")
    if not output.refused:  # a run that refused a path is never taken for a complete one
        cache.put(slot, render_key, manifest_text(output))
    for path in changed if verbose else []:
        click.echo(f"wrote {path}", err=True)
    with progress.step("renders"):  # SVGs: git-ignored, not drift-checked, so after the write and not in --check
        for problem in diagram_renders(model, target.repo, target.out):
            click.echo(f"warning: {problem}", err=True)
    with progress.step("infrastructure renders"):  # SVG with AWS icons: git-ignored, not in --check
        for problem in infra_renders(model, target.repo, target.out):
            click.echo(f"warning: {problem}", err=True)
    return strict_failure(diagnostics) if strict else 0


def manifest_text(output: OutputSet) -> str:
    """What a later no-op run checks the disk against: the owned folders and every file's hash."""
    return json.dumps({"owned_dirs": sorted(output.owned_dirs), "digests": digests(output)}, sort_keys=True)
