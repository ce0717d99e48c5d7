"""``arrakis-docs serve``: the built portal plus ``/status.json`` and the API proxy, with uvicorn."""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn

from arrakis_docs.commands.build import build_site
from arrakis_docs.commands.common import Target
from arrakis_docs.progress import Progress
from arrakis_docs.site_server import create_app


def run(target: Target, host: str, port: int, build: bool) -> int:
    """Serve the portal of ``target`` (building it first when asked or when no site exists yet)."""
    site = target.out / "site"
    if build or not (site / "index.html").is_file():
        code = build_site(target, site, Progress())
        if code:
            return code
    click.echo(f"portal: http://{host}:{port}/", err=True)
    app = create_app(site, target.out / Path(target.config.catalog_dir))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0
