"""Event documentation: AsyncAPI documents (beside the Backstage API entities) and event catalog pages."""

from __future__ import annotations

from pathlib import Path

from arrakis_docs.asyncapi_specs import asyncapi_documents, spec_filename, spec_text
from arrakis_docs.event_pages import EVENTS_DIR, event_pages
from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.openapi_specs import SPEC_DIR
from arrakis_docs.output import Rendered


def event_outputs(model: ArchitectureModel, repo: Path, config: RepoConfig) -> Rendered:
    """Generated text files by repo-relative path, and the folders these writers own entirely."""
    files = {
        f"{config.catalog_dir}/{SPEC_DIR}/{spec_filename(name)}": spec_text(document)
        for name, document in asyncapi_documents(model).items()
    }
    files.update(event_pages(model))
    return Rendered(files=files, owned_dirs=[EVENTS_DIR] if model.events.usages else [])
