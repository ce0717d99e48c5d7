"""Cron expressions: 5 fields (minute precision) or 6 fields with seconds first; always evaluated in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from croniter import croniter

SUBJECT_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (SQLite hands back naive values that were stored as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a usable cron expression, or None when it is."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        return f"expected 5 fields (minute hour day month weekday) or 6 (second first), got {len(fields)}"
    try:
        valid = croniter.is_valid(expression, second_at_beginning=True)
    except Exception:  # croniter raises on a few malformed inputs instead of answering False
        valid = False
    if not valid:
        return f"not a valid cron expression: {expression!r}"
    try:  # valid field by field, yet maybe no date ever matches (30 or 31 February, 31 April)
        next_fire_time(expression, datetime.now(UTC))
    except Exception:  # croniter gives up (CroniterBadDateError) after searching years ahead
        return f"cron expression {expression!r} never fires: no date matches all its fields"
    return None


def next_fire_time(expression: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` at which ``expression`` is due, in UTC."""
    itr = croniter(expression, as_utc(after), second_at_beginning=True)
    return as_utc(itr.get_next(datetime))


def subject_problem(subject: str) -> str | None:
    """Why ``subject`` cannot be a job's target, or None: ``arrakis.<...>``, at least 4 tokens, no wildcards."""
    tokens = subject.split(".")
    if tokens[0] != "arrakis":
        return "must start with 'arrakis.'"
    if len(tokens) < 4:
        return "needs at least 4 tokens, e.g. arrakis.<domain>.<entity>.<verb>"
    if any(not SUBJECT_TOKEN.match(token) for token in tokens):
        return "tokens may hold only letters, digits, '_' and '-' (no wildcards or empty tokens)"
    return None
