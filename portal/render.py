"""Every writer in one place: the model in, the complete set of generated files out (nothing written yet)."""

from __future__ import annotations

from pathlib import Path

from extractors.config import RepoConfig
from extractors.model import ArchitectureModel
from portal.catalog import catalog_files
from portal.diagrams_output import diagram_outputs
from portal.events_output import event_outputs
from portal.infra_output import infra_outputs
from portal.openapi_specs import spec_files
from portal.output import OutputSet
from portal.site_output import site_outputs


def render(model: ArchitectureModel, repo: Path, out_root: Path, config: RepoConfig) -> OutputSet:
    """The files every writer produces for ``model``; ``out_root`` is where they will live."""
    output = OutputSet(owned_dirs=[config.catalog_dir])
    for path, text in sorted({**catalog_files(model, config.catalog_dir),
                              **spec_files(model, config.catalog_dir)}.items()):
        output.add(path, text)
    for writers in (event_outputs, diagram_outputs, infra_outputs, site_outputs):
        part = writers(model, repo, config)
        output.owned_dirs.extend(d for d in part.owned_dirs if d not in output.owned_dirs)
        for path, text in sorted(part.files.items()):
            output.add(path, text)
    return output
