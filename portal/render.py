"""Every writer in one place: the model in, the complete set of generated files out (nothing written yet)."""

from __future__ import annotations

from pathlib import Path

from arrakis_docs.catalog import catalog_files
from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.openapi_specs import spec_files
from arrakis_docs.output import OutputSet
from arrakis_docs.site_output import SIBLINGS, site_outputs


def render(model: ArchitectureModel, repo: Path, out_root: Path, config: RepoConfig) -> OutputSet:
    """The files every writer produces for ``model``; ``out_root`` is where they will live. Each writer runs once:
    the site writer is handed the catalog and the other writers' pages instead of rendering them again."""
    output = OutputSet(owned_dirs=[config.catalog_dir])
    catalog = catalog_files(model, config.catalog_dir)
    for path, text in sorted({**catalog, **spec_files(model, config.catalog_dir)}.items()):
        output.add(path, text)
    siblings = [writers(model, repo, config) for writers in SIBLINGS]
    for part in [*siblings, site_outputs(model, repo, config, siblings=siblings, catalog=catalog)]:
        output.owned_dirs.extend(d for d in part.owned_dirs if d not in output.owned_dirs)
        for path, text in sorted(part.files.items()):
            output.add(path, text)
    return output
