"""Infrastructure documentation: maps, module reference and Terraform-derived catalog resources."""

from __future__ import annotations

from pathlib import Path

from extractors.config import RepoConfig
from extractors.model import ArchitectureModel
from portal.output import Rendered


def infra_outputs(model: ArchitectureModel, repo: Path, config: RepoConfig) -> Rendered:
    """Generated text files by repo-relative path, and the folders these writers own entirely."""
    return Rendered()
