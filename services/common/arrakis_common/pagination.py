"""Limit/offset pagination shared by every listing endpoint."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


# Past this an offset is no listing a client pages through (and beyond 2**63 no database can take it): 422, not 500.
MAX_OFFSET = 1_000_000_000


def page_params(limit: int = Query(50, ge=1, le=500),
                offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> PageParams:
    """Query parameters ``limit`` (1..500) and ``offset`` (0..1,000,000,000)."""
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, stmt: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    """Rows of ``stmt`` for the requested page, and the total count without paging."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.limit(params.limit).offset(params.offset)).scalars().all()
    return list(rows), int(total)
