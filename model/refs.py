"""Places, problems and relations in a scanned repository: the vocabulary every part of the model shares.

Kept apart from ``arrakis_docs.model.architecture`` so that the model's sub-parts (events, code, infrastructure)
can use it without importing the model that contains them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    """How bad a diagnostic is; only ``error`` can fail a strict run."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class SourceRef:
    """A place in the scanned repository: repo-relative POSIX path and 1-based line."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem found while reading the repository. Errors are data: the run goes on."""

    path: str
    line: int
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True, order=True)
class Edge:
    """A directed relation between two entity ids, with where in the code it was seen."""

    source: str
    target: str
    kind: str
    evidence: tuple[SourceRef, ...] = ()


def entity_id(kind: str, name: str) -> str:
    """Stable id of an entity: ``<kind>:<name>``."""
    return f"{kind}:{name}"
