"""Infrastructure from Terraform: resources, module instances, variables, outputs and their edges.

Part of the architecture model (``ArchitectureModel.infra``): plain dataclasses,
JSON-serialisable through ``extractors.model.to_jsonable``, sorted by ``normalise`` so output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class InfraModel:
    """Empty until its extractor fills it."""

    def normalise(self) -> InfraModel:
        """Sort every list so the same input always serialises to the same bytes."""
        return self
