"""Field types every service's response models share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def assume_utc(moment: datetime) -> datetime:
    """``moment`` with its zone: every stored time is UTC, and SQLite hands datetimes back without one."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# A date-time that is always shown with its zone (``...+00:00``), whatever the database gave back.
UtcDatetime = Annotated[datetime, AfterValidator(assume_utc)]
