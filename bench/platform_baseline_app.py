"""The baseline of `make bench-platform`: a bare FastAPI + SQLAlchemy app doing what ontology-management-service's
create and get do at their core (insert an object row and its property rows, select it back), on the same SQLite
settings, with none of the platform around it (no auth, outbox, events, idempotency, metrics or tracing).

Run: ``uvicorn --app-dir bench platform_baseline_app:create_app --factory`` with BENCH_BASELINE_DB set to a file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import JSON, DateTime, ForeignKey, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "objects"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(100), index=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ItemValue(Base):
    __tablename__ = "object_property_values"
    object_id: Mapped[str] = mapped_column(ForeignKey("objects.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class ItemIn(BaseModel):
    object_type: str = Field(min_length=1, max_length=100)
    properties: dict[str, Any]


class ItemOut(BaseModel):
    id: str
    object_type: str
    properties: dict[str, Any]
    title: str
    created_at: datetime


def create_app() -> FastAPI:
    engine = create_engine(f"sqlite:///{os.environ['BENCH_BASELINE_DB']}",
                           connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - the same pragmas as arrakis_common.db
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    Base.metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)

    def session() -> Iterator[Session]:
        with sessions() as s:
            yield s
            s.commit()

    app = FastAPI(title="baseline")

    def out(item: Item) -> ItemOut:
        return ItemOut(id=item.id, object_type=item.object_type, properties=item.properties, title=item.title,
                       created_at=item.created_at)

    @app.post("/objects", status_code=201)
    def create(body: ItemIn, s: Session = Depends(session, scope="function")) -> ItemOut:
        item = Item(id=str(uuid.uuid4()), object_type=body.object_type, properties=body.properties,
                    title=str(body.properties.get("name", "")), created_at=datetime.now(UTC))
        s.add(item)
        s.flush()
        s.add_all([ItemValue(object_id=item.id, name=k, value=str(v)) for k, v in body.properties.items()])
        return out(item)

    @app.get("/objects/{item_id}")
    def get(item_id: str, s: Session = Depends(session, scope="function")) -> ItemOut:
        item = s.get(Item, item_id)
        if item is None:
            raise HTTPException(404, "not found")
        return out(item)

    return app
