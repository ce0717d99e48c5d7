"""Events: NATS channels (subjects), messages (payload schemas), who sends and who receives them.

Part of the architecture model (``ArchitectureModel.events``): plain dataclasses,
JSON-serialisable through ``extractors.model.to_jsonable``, sorted by ``normalise`` so output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EventModel:
    """Empty until its extractor fills it."""

    def merge(self, other: EventModel) -> None:
        """Add one service's findings to the platform-wide model."""

    def link(self, model: object) -> None:
        """Once every service is merged: join producers and consumers across services."""

    def normalise(self) -> EventModel:
        """Sort every list so the same input always serialises to the same bytes."""
        return self
