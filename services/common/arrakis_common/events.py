"""Domain events on NATS JetStream: envelope, transactional outbox, relay, idempotent durable consumers.

A service declares its events as :class:`Event` subclasses (``subject`` and ``version`` class variables),
publishes them with :meth:`EventBus.publish` inside the transaction that changes its rows, and consumes with
:meth:`EventBus.subscribe`. The relay and consumers run in the service's event loop once :meth:`EventBus.start`
is awaited; everything keeps working (requests included) while NATS is unreachable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import nats
from nats.js.api import ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import KeyDeletedError, KeyNotFoundError
from opentelemetry import propagate, trace
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator
from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Database
from .event_tracing import mark_failed, process_span, publish_span
from .provenance import Provenance
from .settings import ServiceSettings

log = logging.getLogger(__name__)

STREAM_SUBJECTS = ["arrakis.>"]
SCHEMA_BUCKET = "ARRAKIS_SCHEMAS"
REGISTRY: dict[str, type[Event]] = {}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Payload of a domain event. Subclasses set ``subject`` (``arrakis.<domain>.<entity>.<verb>``) and ``version``."""

    model_config = ConfigDict(extra="ignore")
    subject: ClassVar[str] = ""
    version: ClassVar[int] = 1
    # Services besides the declaring one that consumers accept this subject from (e.g. a command others send).
    publishers: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("subject"):
            REGISTRY[cls.subject] = cls


class Envelope(BaseModel):
    """What travels on the wire: metadata around one event payload."""

    id: str
    subject: str
    type: str
    version: int = 1
    occurred_at: datetime
    source: str
    trace: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any] = Field(default_factory=dict)
    actor: str | None = Field(default=None, description="The authenticated user the publisher acted for, if any")
    signature: str | None = Field(default=None, description="The source service's Ed25519 signature")
    # Set by the consumer once the signature and the source's ownership of the subject are checked.
    _verified_publisher: str | None = PrivateAttr(default=None)

    @property
    def verified_publisher(self) -> str | None:
        """The service whose signature this consumer checked, or None when it checked none."""
        return self._verified_publisher

    @field_validator("trace", "payload", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        # Clients generated from the AsyncAPI documents send an unset optional object as null.
        return {} if value is None else value

    @classmethod
    def wrap(cls, event: Event, *, source: str, subject: str | None = None, actor: str | None = None) -> Envelope:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return cls(
            id=str(uuid.uuid4()),
            subject=subject or event.subject,
            type=type(event).__name__,
            version=type(event).version,
            occurred_at=utcnow(),
            source=source,
            trace=carrier,
            payload=event.model_dump(mode="json"),
            actor=actor,
        )


class OutboxMixin:
    """Columns of the outbox table; a service maps it on its own declarative base."""

    __tablename__ = "event_outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class InboxMixin:
    """Columns of the inbox table: one row per (consumer, event) already handled."""

    __tablename__ = "event_inbox"
    consumer: Mapped[str] = mapped_column(String(120), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255))
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


Handler = Callable[[Session, Envelope], None]


@dataclass(frozen=True)
class Subscription:
    """A durable pull consumer: ``handler`` runs in the transaction that records the event in the inbox."""

    subject: str
    durable: str
    handler: Handler


class EventBus:
    """Outbox publisher and durable consumers for one service."""

    def __init__(self, settings: ServiceSettings, outbox: type[OutboxMixin], inbox: type[InboxMixin]) -> None:
        self.settings = settings
        self.outbox = outbox
        self.inbox = inbox
        self.source = settings.service_name
        self.provenance = Provenance(settings)
        self.subscriptions: list[Subscription] = []
        self.declared_events: list[type[Event]] = []
        self.db: Database | None = None
        self.nc: nats.NATS | None = None
        self.js: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self.published = 0
        self.consumed = 0
        self._tracer = trace.get_tracer("arrakis.events")

    # -- declaration -------------------------------------------------------------------------------------------
    def declare(self, *events: type[Event]) -> None:
        """Events this service publishes; their JSON schemas go to the shared schema registry on connect."""
        self.declared_events.extend(events)

    def subscribe(self, subject: str, durable: str, handler: Handler) -> None:
        """Consume ``subject`` (wildcards allowed) with a durable consumer named ``durable``."""
        self.subscriptions.append(Subscription(subject=subject, durable=durable, handler=handler))

    # -- publishing --------------------------------------------------------------------------------------------
    def publish(self, session: Session, event: Event, *, subject: str | None = None) -> Envelope:
        """Add ``event`` to the outbox in ``session``: it is sent only if the caller's transaction commits."""
        envelope = self.provenance.seal(Envelope.wrap(event, source=self.source, subject=subject))
        session.add(self.outbox(event_id=envelope.id, subject=envelope.subject, body=envelope.model_dump_json()))
        return envelope

    def publish_envelope(self, session: Session, envelope: Envelope) -> Envelope:
        """Add a ready envelope of this service (for example one received from outside) to the outbox, signed."""
        envelope = self.provenance.seal(envelope)
        session.add(self.outbox(event_id=envelope.id, subject=envelope.subject, body=envelope.model_dump_json()))
        return envelope

    def wake(self) -> None:
        """Ask the relay to look at the outbox now rather than at its next poll (safe from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    # -- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def start(self, db: Database) -> None:
        """Start connecting, relaying and consuming in the background; returns at once."""
        self.db = db
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        if not self.settings.events_enabled:
            return
        self._tasks.append(asyncio.create_task(self._run(), name=f"{self.source}-bus"))

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.nc is not None:
            try:
                await self.nc.close()
            except Exception:  # closing a half-open connection must not fail shutdown
                log.debug("closing NATS failed", exc_info=True)
            self.nc = None

    async def _run(self) -> None:
        await self._connect()
        workers = [asyncio.create_task(self._relay(), name=f"{self.source}-relay")]
        workers += [asyncio.create_task(self._consume(sub), name=f"{self.source}-{sub.durable}") for sub in
                    self.subscriptions]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()

    async def _connect(self) -> None:
        delay = 0.2
        while not self._stopping.is_set():
            try:
                self.nc = await nats.connect(
                    self.settings.nats_url,
                    name=self.source,
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    error_cb=self._on_error,
                )
                self.js = self.nc.jetstream(timeout=5)
                await self._ensure_stream()
                await self._register_schemas()
                log.info("connected to NATS at %s", self.settings.nats_url)
                return
            except Exception as exc:
                log.warning("NATS not reachable (%s); retrying in %.1fs", exc, delay)
                if self.nc is not None:
                    await self.nc.close()
                    self.nc = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _on_error(self, exc: Exception) -> None:
        log.debug("NATS error: %s", exc)

    async def _ensure_stream(self) -> None:
        config = StreamConfig(name=self.settings.nats_stream, subjects=STREAM_SUBJECTS, storage=StorageType.FILE,
                              duplicate_window=120.0)
        try:
            await self.js.stream_info(self.settings.nats_stream)
        except nats.js.errors.NotFoundError:
            await self.js.add_stream(config)

    async def _register_schemas(self) -> None:
        if not self.declared_events:
            return
        kv = await schema_bucket(self.js)
        for event in self.declared_events:
            record = self.provenance.seal_record({
                "subject": event.subject, "version": event.version, "type": event.__name__,
                "schema": event.model_json_schema(), "publishers": sorted(event.publishers)})
            await kv.put(event.subject, json.dumps(record, sort_keys=True).encode())

    # -- relay -------------------------------------------------------------------------------------------------
    async def _relay(self) -> None:
        backoff = self.settings.outbox_poll_seconds
        while not self._stopping.is_set():
            try:
                sent = await self.relay_once()
                backoff = self.settings.outbox_poll_seconds
            except Exception as exc:
                log.warning("outbox relay failed (%s); retrying in %.1fs", exc, backoff)
                sent = 0
                backoff = min(backoff * 2, 5.0)
            if not sent:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=backoff)
                except TimeoutError:
                    pass

    async def relay_once(self, batch: int = 100) -> int:
        """Publish up to ``batch`` pending outbox rows in order; returns how many were sent."""
        if not self.connected or self.db is None:
            return 0
        rows = await asyncio.to_thread(self._pending, batch)
        for seq, event_id, subject, body in rows:
            envelope = json.loads(body)
            headers = {"Nats-Msg-Id": event_id}
            try:
                with publish_span(self._tracer, subject, event_id, envelope.get("trace") or {}, headers):
                    await self.js.publish(subject, body.encode(), headers=headers, timeout=2)
            except Exception:
                await asyncio.to_thread(self._count_attempt, seq)
                raise
            await asyncio.to_thread(self._mark_published, seq)
            self.published += 1
        return len(rows)

    def _pending(self, batch: int) -> list[tuple[int, str, str, str]]:
        assert self.db is not None
        with self.db.session() as session:
            stmt = (select(self.outbox.seq, self.outbox.event_id, self.outbox.subject, self.outbox.body)
                    .where(self.outbox.published_at.is_(None)).order_by(self.outbox.seq).limit(batch))
            return [tuple(row) for row in session.execute(stmt)]

    def _mark_published(self, seq: int) -> None:
        assert self.db is not None
        with self.db.session() as session:
            session.execute(update(self.outbox).where(self.outbox.seq == seq).values(published_at=utcnow()))

    def _count_attempt(self, seq: int) -> None:
        assert self.db is not None
        with self.db.session() as session:
            session.execute(update(self.outbox).where(self.outbox.seq == seq)
                            .values(attempts=self.outbox.attempts + 1))

    def pending_count(self) -> int:
        """How many outbox rows wait for the relay."""
        assert self.db is not None
        with self.db.session() as session:
            stmt = select(self.outbox.seq).where(self.outbox.published_at.is_(None))
            return len(session.execute(stmt).all())

    # -- consuming ---------------------------------------------------------------------------------------------
    async def _consume(self, sub: Subscription) -> None:
        durable = sub.durable.replace(".", "-")
        pull = None
        while not self._stopping.is_set():
            try:
                if pull is None:
                    config = ConsumerConfig(ack_wait=30, max_deliver=10)
                    pull = await self.js.pull_subscribe(sub.subject, durable=durable, stream=self.settings.nats_stream,
                                                        config=config)
                messages = await pull.fetch(batch=50, timeout=1)
            except TimeoutError:  # nats.errors.TimeoutError, or asyncio's own when the fetch deadline runs out
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("consumer %s waiting for NATS: %s", durable, exc)
                pull = None
                await asyncio.sleep(0.5)
                continue
            for msg in messages:
                await self._deliver(sub, durable, msg)

    async def _deliver(self, sub: Subscription, durable: str, msg: Any) -> None:
        try:
            envelope = Envelope.model_validate_json(msg.data)
        except Exception:
            log.error("dropping malformed message on %s", msg.subject)
            await msg.term()
            return
        try:
            refusal = await self.provenance.refusal(self.js, msg.subject, envelope)
        except Exception as exc:  # the registry could not be read: try again later rather than judge blind
            log.warning("consumer %s cannot check event %s yet (%s)", durable, envelope.id, exc)
            await msg.nak(delay=1)
            return
        if refusal is not None:
            self.provenance.refuse(envelope, refusal, durable)
            await msg.term()
            return
        if self.provenance.enforce:
            envelope._verified_publisher = envelope.source
        with process_span(self._tracer, msg.subject, envelope.id, msg.headers, envelope.trace, pattern=sub.subject,
                          consumer=durable) as span:
            try:
                await asyncio.to_thread(self.handle, sub, durable, envelope)
            except Exception as exc:
                mark_failed(span, exc)
                log.exception("handler %s failed for event %s", durable, envelope.id)
                await msg.nak(delay=1)
                return
        await msg.ack()

    def handle(self, sub: Subscription, consumer: str, envelope: Envelope) -> bool:
        """Run ``sub.handler`` once per event id: returns False when the inbox shows it was handled already."""
        assert self.db is not None
        with self.db.session() as session:
            seen = session.get(self.inbox, (consumer, envelope.id))
            if seen is not None:
                return False
            session.add(self.inbox(consumer=consumer, event_id=envelope.id, subject=envelope.subject))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                return False
            sub.handler(session, envelope)
        self.consumed += 1
        return True


async def schema_bucket(js: Any) -> Any:
    """The JetStream key-value bucket where services register their event schemas by subject."""
    try:
        return await js.key_value(SCHEMA_BUCKET)
    except Exception:
        return await js.create_key_value(bucket=SCHEMA_BUCKET, history=1)


async def schema_subjects(js: Any) -> list[str]:
    """Every subject with a record in the schema bucket, sorted, from one stream-info request.

    The client's ``kv.keys()`` runs an ordered-consumer watcher that can miss or repeat keys while other services put
    records at the same moment; the stream's own per-subject index cannot, and leaves no consumer behind.
    """
    await schema_bucket(js)
    prefix = f"$KV.{SCHEMA_BUCKET}."
    info = await js.stream_info(f"KV_{SCHEMA_BUCKET}", subjects_filter=f"{prefix}>")
    return sorted(name[len(prefix):] for name in (info.state.subjects or {}))


async def lookup_schema(js: Any, subject: str) -> dict[str, Any] | None:
    """The registered schema record of ``subject``, or None when no service declared it; raises when NATS fails."""
    kv = await schema_bucket(js)
    try:
        entry = await kv.get(subject)
    except (KeyNotFoundError, KeyDeletedError):
        return None
    return json.loads(entry.value) if entry.value else None


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` matches one token, a final ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":  # nosec B105
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):  # nosec B105
            return False
    return len(want) == len(have)
