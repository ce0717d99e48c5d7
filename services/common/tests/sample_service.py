"""A minimal service built on arrakis_common, used by the library's own tests."""

from __future__ import annotations

from typing import ClassVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from arrakis_common.app import ServiceRuntime, build_app, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.dead_letters import DeadLetterMixin
from arrakis_common.events import Envelope, Event, InboxMixin, OutboxMixin
from arrakis_common.idempotency import IdempotencyKeyMixin
from arrakis_common.settings import ServiceSettings


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


class Inbox(InboxMixin, Base):
    pass


class IdempotencyKey(IdempotencyKeyMixin, Base):
    pass


class DeadLetter(DeadLetterMixin, Base):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


class Seen(Base):
    __tablename__ = "seen"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class NoteCreated(Event):
    subject: ClassVar[str] = "arrakis.sample.note.created"
    id: int
    text: str


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=200)


router = APIRouter(prefix="/notes", tags=["notes"])


@router.post("", status_code=201)
def create_note(body: NoteIn, session: Session = db_session, runtime: ServiceRuntime = Depends(get_runtime),
                _: Principal = Depends(require_roles("writer"))) -> dict[str, object]:
    note = Note(text=body.text)
    session.add(note)
    session.flush()
    runtime.bus.publish(session, NoteCreated(id=note.id, text=note.text))
    return {"id": note.id, "text": note.text}


@router.get("/{note_id}")
def get_note(note_id: int, session: Session = db_session) -> dict[str, object]:
    note = session.get(Note, note_id)
    if note is None:
        raise HTTPException(404, "note not found")
    return {"id": note.id, "text": note.text}


def record_seen(session: Session, envelope: Envelope) -> None:
    note = NoteCreated.model_validate(envelope.payload)  # a payload that is no note fails validation
    if note.text == "boom":  # a handler that fails on every delivery
        raise RuntimeError("the handler cannot take this note")
    session.add(Seen(event_id=envelope.id))


def create_app(settings: ServiceSettings) -> FastAPI:
    app = build_app(settings, title="sample-service", description="test", outbox=Outbox, inbox=Inbox)
    runtime: ServiceRuntime = app.state.runtime
    runtime.startup.append(lambda rt: Base.metadata.create_all(rt.database().engine))
    runtime.bus.declare(NoteCreated)
    runtime.bus.subscribe("arrakis.sample.>", durable="sample-seen", handler=record_seen)
    app.include_router(router)
    return app
