"""Per-service extraction into ``EventModel`` (see ``extractors.event_model``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from extractors.event_model import EventModel
from extractors.refs import Diagnostic

if TYPE_CHECKING:
    from extractors.model import Service
    from extractors.service_scan import ExtractOptions
    from extractors.source_tree import SourceFile


def service_events(repo: Path, service: Service, files: list[SourceFile], options: ExtractOptions,
         diagnostics: list[Diagnostic]) -> EventModel:
    """What this service's Python files (its own and its libraries') say; problems go to ``diagnostics``."""
    return EventModel()
