"""Places and problems in a scanned repository: the vocabulary every part of the model shares.

Kept apart from ``extractors.model`` so that the model's sub-parts (events, code, infrastructure) can use it without
importing the model that contains them.
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
