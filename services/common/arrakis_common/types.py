"""Field types every service's response models share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator


def assume_utc(moment: datetime) -> datetime:
    """``moment`` with its zone: every stored time is UTC, and SQLite hands datetimes back without one."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# A date-time that is always shown with its zone (``...+00:00``), whatever the database gave back.
UtcDatetime = Annotated[datetime, AfterValidator(assume_utc)]


def parse_iso_datetime(value: object) -> datetime:
    """An ISO 8601 date-time (no Unix timestamps), in UTC (a value without a zone is taken as UTC).

    Refused with a ValueError (422): anything else, and moments so near year 1 or 9999 that moving them to UTC
    leaves the calendar (``0001-01-01T00:00-01:00``), which would otherwise overflow later in a comparison.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("expected an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z") from exc
    else:
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z")
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError as exc:
        raise ValueError("date-time out of range") from exc


# An input date-time: ISO 8601 text only, returned in UTC.
IsoDatetime = Annotated[datetime, BeforeValidator(parse_iso_datetime)]
