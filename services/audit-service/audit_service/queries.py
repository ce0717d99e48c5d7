"""Filters of audit queries, translated to SQL so pagination counts only matching rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func

from .chain import as_utc
from .models import AuditEntry


def subject_pattern_error(pattern: str) -> str | None:
    """Why ``pattern`` is not a NATS subject pattern (None when it is one)."""
    tokens = pattern.split(".")
    if any(not token or any(c.isspace() for c in token) for token in tokens):
        return "subject tokens must be non-empty and contain no whitespace"
    if any(token == ">" for token in tokens[:-1]):  # nosec B105
        return "'>' may only be the last token"
    if any(token not in ("*", ">") and ("*" in token or ">" in token) for token in tokens):
        return "'*' and '>' must be whole tokens"
    return None


def _like_literal(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def subject_condition(pattern: str, column: Any = AuditEntry.subject) -> ColumnElement[bool]:
    """SQL for NATS matching: ``*`` one token, final ``>`` one or more tokens.

    LIKE's ``%`` would cross dots, so the number of dots is pinned too: with exactly as many dots as the pattern's
    literal separators, no wildcard can swallow one.
    """
    tokens = pattern.split(".")
    tail = tokens[-1] == ">"
    like = ".".join("_%" if token in ("*", ">") else _like_literal(token) for token in tokens)
    dots = func.length(column) - func.length(func.replace(column, ".", ""))
    dots_ok = dots >= len(tokens) - 1 if tail else dots == len(tokens) - 1
    return and_(column.like(like, escape="\\"), dots_ok)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    subject: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        """``stmt`` narrowed to entries by ``actor``, matching ``subject``, in [from, to)."""
        if self.actor:
            stmt = stmt.where(AuditEntry.actor == self.actor)
        if self.subject:
            stmt = stmt.where(subject_condition(self.subject))
        if self.occurred_from:
            stmt = stmt.where(AuditEntry.occurred_at >= as_utc(self.occurred_from))
        if self.occurred_to:
            stmt = stmt.where(AuditEntry.occurred_at < as_utc(self.occurred_to))
        return stmt
