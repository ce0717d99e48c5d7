"""``arrakis-docs generate``: scan, write every output atomically, or (``--check``) report drift."""

from __future__ import annotations

import hashlib
import json

import click

from arrakis_docs.commands.common import Target, report
from arrakis_docs.diagrams_output import diagram_renders
from arrakis_docs.extractors.service_scan import ExtractOptions
from arrakis_docs.infra_checkov import run_checkov
from arrakis_docs.infra_renders import infra_renders
from arrakis_docs.model.architecture import dumps
from arrakis_docs.output import OutputSet, differences, digests, matches, write_atomic
from arrakis_docs.progress import Progress
from arrakis_docs.render import render
from arrakis_docs.scan import TOOL_DIGEST, ContentCache


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


def run(target: Target, check: bool, static_only: bool, only: str, verbose: bool, from_url: tuple[str, ...],
        with_checkov: bool = False) -> int:
    """Generate (or check) the documentation of ``target``; returns the exit code."""
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
    report(model.diagnostics, verbose)
    # Unchanged model and toolkit, and the disk still holds what the last run wrote: nothing to render.
    cache = ContentCache(target.repo / config.cache_dir, enabled=not options.spec_urls)
    slot = "output-" + hashlib.sha256(str(target.out).encode()).hexdigest()[:8]
    render_key = hashlib.sha256(f"{TOOL_DIGEST};{dumps(config.__dict__)};{model.fingerprint()}".encode()).hexdigest()
    manifest = cache.get(slot, render_key)
    fresh = isinstance(manifest, dict) and "digests" in manifest
    if fresh and matches(target.out, manifest["owned_dirs"], manifest["digests"]):
        progress.line("output: up to date (unchanged model, files match the last run)")
        return 0
    with progress.step("render") as notes:
        output = render(model, target.repo, target.out, config)
        notes.append(f"{len(output.files)} files")
    if check:
        with progress.step("compare"):
            drift = differences(target.out, output)
        for line in drift:
            click.echo(line)
        if drift:
            click.echo("generated documentation is out of date: run `arrakis-docs generate`", err=True)
            return 1
        cache.put(slot, render_key, manifest_text(output))
        progress.line("up to date")
        return 0
    with progress.step("write") as notes:
        changed = write_atomic(target.out, output)
        notes.append(f"{len(changed)} changed" if changed else "nothing changed")
    cache.put(slot, render_key, manifest_text(output))
    for path in changed if verbose else []:
        click.echo(f"wrote {path}", err=True)
    with progress.step("renders"):  # SVGs: git-ignored, not drift-checked, so after the write and not in --check
        for problem in diagram_renders(model, target.repo, target.out):
            click.echo(f"warning: {problem}", err=True)
    with progress.step("infrastructure renders"):  # SVG with AWS icons: git-ignored, not in --check
        for problem in infra_renders(model, target.repo, target.out):
            click.echo(f"warning: {problem}", err=True)
    return 0


def manifest_text(output: OutputSet) -> str:
    """What a later no-op run checks the disk against: the owned folders and every file's hash."""
    return json.dumps({"owned_dirs": sorted(output.owned_dirs), "digests": digests(output)}, sort_keys=True)
