"""Small pieces the routers share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

T = TypeVar("T")


def load(session: Session, model: type[T], key: str) -> T:
    """The row of ``model`` with primary key ``key``, or 404."""
    row = session.get(model, key)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{model.__name__.lower()} {key} not found")
    return row


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` as UTC-aware (SQLite returns naive datetimes that were stored as UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
