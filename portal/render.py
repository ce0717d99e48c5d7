"""Every writer in one place: the model in, the complete set of generated files out (nothing written yet)."""

from __future__ import annotations

from pathlib import Path

from extractors.config import RepoConfig
from extractors.model import ArchitectureModel
from portal.catalog import catalog_files
from portal.openapi_specs import spec_files
from portal.output import OutputSet


def render(model: ArchitectureModel, repo: Path, out_root: Path, config: RepoConfig) -> OutputSet:
    """The files every writer produces for ``model``; ``out_root`` is where they will live."""
    output = OutputSet(owned_dirs=[config.catalog_dir])
    for path, text in sorted({**catalog_files(model, config.catalog_dir),
                              **spec_files(model, config.catalog_dir)}.items()):
        output.add(path, text)
    return output
