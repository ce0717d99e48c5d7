"""Code structure per service: module dependencies, classes and database tables.

Part of the architecture model (``ArchitectureModel.code``): plain dataclasses,
JSON-serialisable through ``extractors.model.to_jsonable``, sorted by ``normalise`` so output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CodeModel:
    """Empty until its extractor fills it."""

    def merge(self, other: CodeModel) -> None:
        """Add one service's findings to the platform-wide model."""

    def normalise(self) -> CodeModel:
        """Sort every list so the same input always serialises to the same bytes."""
        return self
