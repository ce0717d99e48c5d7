"""``Idempotency-Key`` for creating requests, once for every service.

A client that saw an error (a timeout, a dropped connection) after its create was committed retries with the same
key and gets the first answer instead of a second row:

- the key is reserved inside the endpoint's own transaction (``get_session`` inserts it), so it commits with the row
  it guards, or not at all;
- the answer is stored beside the key once it is sent; a retry with the same key and the same request replays it
  (with ``Idempotent-Replayed: true``);
- the same key with a different request (method, path, query or body) is 422; a retry while the first is still
  running (key reserved, no answer yet) is 409.

Keys are scoped to the caller (a digest of the ``Authorization`` header), so two clients cannot collide or read each
other's answers. The table lives in each service's own database, created by the service's Alembic chain (at
start-up for a service without migrations).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, LargeBinary, String, insert, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .request_body import answer, read_body, replaying

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
SCOPE_KEY = "arrakis.idempotency"
REPLAYED_HEADER = "Idempotent-Replayed"

class IdempotencyKeyMixin:
    """Columns of the key table; every service maps it on its own declarative base (and its Alembic chain)."""

    __tablename__ = "idempotency_keys"
    caller: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)  # MAX_KEY_LENGTH
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class _Base(DeclarativeBase):
    pass


class _IdempotencyKeyRow(IdempotencyKeyMixin, _Base):
    pass


# The table as the middleware reads and writes it, in whichever service's database it runs against.
idempotency_keys = _IdempotencyKeyRow.__table__
metadata = _Base.metadata


@dataclass(frozen=True)
class Reservation:
    caller: str
    key: str
    fingerprint: str


def create_table(engine: Any) -> None:
    """Create the key table in a service's database if it is not there yet."""
    metadata.create_all(engine, checkfirst=True)


def reserve(session: Session, scope: Scope) -> None:
    """Insert this request's key in ``session``'s transaction (a no-op when the request carries none).

    Called by ``get_session``; a concurrent request with the same key fails at commit with an integrity error (409).
    """
    reservation: Reservation | None = scope.get(SCOPE_KEY)
    if reservation is None:
        return
    session.execute(insert(idempotency_keys).values(
        caller=reservation.caller, key=reservation.key, fingerprint=reservation.fingerprint,
        created_at=datetime.now(UTC)))


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


class IdempotencyMiddleware:
    """ASGI middleware: replays the stored answer for a known key, else reserves it and stores the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        raw_key = headers.get(HEADER.lower().encode())
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            await answer(scope, receive, send, 422, [{
                "type": "value_error", "loc": ["header", HEADER], "input": None,
                "msg": f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters"}])
            return
        body, rest = await read_body(receive)
        caller = _digest(headers.get(b"authorization", b""))
        fingerprint = _digest(scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body)
        db = scope["app"].state.runtime.database()
        stored = await asyncio.to_thread(_lookup, db, caller, key)
        if stored is not None:
            if stored["fingerprint"] != fingerprint:
                await answer(scope, receive, send, 422, [{
                    "type": "value_error", "loc": ["header", HEADER], "input": key,
                    "msg": f"this {HEADER} was used for a different request; use a new key for a new request"}])
                return
            if stored["status_code"] is None:
                await answer(scope, receive, send, 409,
                                  f"a request with this {HEADER} is still being processed; retry later")
                return
            await self._replay(scope, receive, send, stored)
            return
        reservation = Reservation(caller, key, fingerprint)
        scope = {**scope, SCOPE_KEY: reservation}
        status: int | None = None
        content_type = b""
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replaying(body, rest, receive), capture)
        if status is not None and 200 <= status < 300:
            await asyncio.to_thread(_store, db, reservation, status, content_type.decode("latin-1"), b"".join(chunks))

    async def _replay(self, scope: Scope, receive: Receive, send: Send, stored: dict[str, Any]) -> None:
        await send({"type": "http.response.start", "status": stored["status_code"], "headers": [
            (b"content-type", (stored["content_type"] or "application/json").encode("latin-1")),
            (b"content-length", str(len(stored["body"] or b"")).encode()),
            (REPLAYED_HEADER.lower().encode(), b"true")]})
        await send({"type": "http.response.body", "body": stored["body"] or b""})

def _lookup(db: Any, caller: str, key: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(idempotency_keys).where(
            idempotency_keys.c.caller == caller, idempotency_keys.c.key == key)).mappings().first()
    return dict(row) if row is not None else None


def _store(db: Any, reservation: Reservation, status: int, content_type: str, body: bytes) -> None:
    """Keep the answer beside the reserved key; a route that took no session reserved nothing, so insert it then."""
    t = idempotency_keys
    with db.engine.begin() as conn:
        done = conn.execute(update(t).where(
            t.c.caller == reservation.caller, t.c.key == reservation.key, t.c.status_code.is_(None)).values(
            status_code=status, content_type=content_type, body=body)).rowcount
        if not done:
            exists = conn.execute(select(t.c.key).where(
                t.c.caller == reservation.caller, t.c.key == reservation.key)).first()
            if exists is None:
                conn.execute(insert(t).values(
                    caller=reservation.caller, key=reservation.key, fingerprint=reservation.fingerprint,
                    status_code=status, content_type=content_type, body=body, created_at=datetime.now(UTC)))
