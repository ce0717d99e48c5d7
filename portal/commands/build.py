"""``arrakis-docs build``: generate, pre-render what TechDocs needs, then ``mkdocs build --strict`` into ``site/``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from arrakis_docs.commands import generate as generate_command
from arrakis_docs.commands.common import Target
from arrakis_docs.progress import Progress
from arrakis_docs.site_build import mkdocs_config, techdocs_renders


def build_site(target: Target, site: Path, progress: Progress) -> int:
    """``mkdocs build --strict`` of the repository's portal into ``site``; returns the exit code."""
    config = mkdocs_config(target.repo, target.out)
    with progress.step("mkdocs build --strict"):
        done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(config),
                               "-d", str(site)], cwd=target.out, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                              check=False)
    return done.returncode


def run(target: Target, skip_generate: bool, static_only: bool, site: str | None, verbose: bool) -> int:
    """Build the portal of ``target``; returns the exit code."""
    progress = Progress()
    if not skip_generate:
        code = generate_command.run(target, False, static_only, "", verbose, ())
        if code:
            return code
    with progress.step("techdocs renders") as notes:
        copied = techdocs_renders(target.out)
        notes.append(f"{copied} diagram files")
    output = Path(site).resolve() if site else target.out / "site"
    code = build_site(target, output, progress)
    if code:
        click.echo("mkdocs build --strict failed", err=True)
    else:
        progress.line(f"site: {output}")
    return code
