"""Terraform to the infrastructure part of the model (``extractors.infra_model``), from HCL alone."""

from __future__ import annotations

from pathlib import Path

from extractors.config import RepoConfig
from extractors.infra_model import InfraModel
from extractors.refs import Diagnostic
from extractors.source_tree import SourceTree


def infrastructure(repo: Path, tree: SourceTree, config: RepoConfig, diagnostics: list[Diagnostic],
                   notes: list[str]) -> InfraModel:
    """Every Terraform root and module under ``repo``; parse problems go to ``diagnostics``, a summary to ``notes``."""
    return InfraModel()
