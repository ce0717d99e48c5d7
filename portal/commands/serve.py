"""``arrakis-docs serve``: the built portal plus ``/status.json`` and the API proxy, with uvicorn."""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn

from arrakis_docs.commands.build import build_site
from arrakis_docs.commands.common import Target
from arrakis_docs.progress import Progress
from arrakis_docs.site_server import create_app


def run(target: Target, host: str, port: int, build: bool, traces: Path | None = None) -> int:
    """Serve the portal of ``target`` (building it first when asked or when no site exists yet); spans posted to
    ``/v1/traces`` go to ``traces``."""
    site = target.out / "site"
    if build or not (site / "index.html").is_file():
        code = build_site(target, site, Progress())
        if code:
            return code
    click.echo(f"portal: http://{host}:{port}/", err=True)
    if traces is not None:
        click.echo(f"traces: POST http://{host}:{port}/v1/traces -> {traces}", err=True)
    app = create_app(site, target.out / Path(target.config.catalog_dir), traces=traces)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0
