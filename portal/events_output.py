"""Event documentation: AsyncAPI documents and event catalog pages."""

from __future__ import annotations

from pathlib import Path

from extractors.config import RepoConfig
from extractors.model import ArchitectureModel
from portal.output import Rendered


def event_outputs(model: ArchitectureModel, repo: Path, config: RepoConfig) -> Rendered:
    """Generated text files by repo-relative path, and the folders these writers own entirely."""
    return Rendered()
