"""A finding: one change between two architecture models, with a stable rule id, a severity and where it is."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from arrakis_docs.model.refs import SourceRef


class Level(enum.StrEnum):
    """How much a change matters to the people who depend on the thing that changed."""

    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"


# Ordering for sorting and for `--fail-on`: lower is worse.
RANK = {Level.BREAKING: 0, Level.WARNING: 1, Level.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One classified change.

    ``family`` groups findings into the comment's sections (http, events, architecture); ``direction`` says which
    side of a contract is hurt (request / response for HTTP, backward / forward for events, "" otherwise);
    ``subject`` names what changed (``GET /v1/items``, ``event OrderPlaced``, ``service:users``)."""

    id: str
    level: Level
    family: str
    subject: str
    message: str
    direction: str = ""
    base: SourceRef | None = None
    head: SourceRef | None = None
    detail: dict[str, str] = field(default_factory=dict)

    def sort_key(self) -> tuple[int, str, str, str, str]:
        """Worst first, then by family, subject, id and message: a stable order for every printer."""
        return RANK[self.level], self.family, self.subject, self.id, self.message

    def to_jsonable(self) -> dict[str, object]:
        """Plain JSON data with ``file:line`` strings for the two locations."""
        return {
            "id": self.id, "severity": self.level.value, "family": self.family, "subject": self.subject,
            "message": self.message, "direction": self.direction,
            "base": str(self.base) if self.base else None, "head": str(self.head) if self.head else None,
            **({"detail": dict(sorted(self.detail.items()))} if self.detail else {}),
        }


def ordered(findings: list[Finding]) -> list[Finding]:
    """Findings sorted worst first, exact duplicates dropped."""
    seen: dict[tuple, Finding] = {}
    for finding in findings:
        seen.setdefault((finding.sort_key(), finding.direction, str(finding.base), str(finding.head)), finding)
    return sorted(seen.values(), key=lambda f: (f.sort_key(), f.direction, str(f.base), str(f.head)))


def counts(findings: list[Finding]) -> dict[Level, int]:
    """How many findings of each level."""
    out = {level: 0 for level in Level}
    for finding in findings:
        out[finding.level] += 1
    return out
