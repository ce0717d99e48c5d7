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
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import nats
from nats.js.api import ConsumerConfig, DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import KeyDeletedError, KeyNotFoundError
from opentelemetry import propagate, trace
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from sqlalchemy import DateTime, Integer, String, Text, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Database
from .dead_letters import DeadLetter
from .dead_letters import record as record_dead_letter
from .event_tracing import mark_failed, process_span, publish_span
from .provenance import Provenance
from .settings import ServiceSettings

log = logging.getLogger(__name__)

STREAM_SUBJECTS = ["arrakis.>"]
SCHEMA_BUCKET = "ARRAKIS_SCHEMAS"
DUPLICATE_WINDOW_SECONDS = 120.0  # a row the relay sends twice within it is stored once
JS_INFO_SUBJECT = "$JS.API.INFO"  # JetStream's account info: the broker probe's round trip
REGISTRY: dict[str, type[Event]] = {}
T = TypeVar("T")


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
        self.dead_lettered = 0
        self._broker_answered: float | None = None
        self.dead_letter_hooks: list[Callable[[DeadLetter], None]] = []
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

    def run_on_loop(self, factory: Callable[[], Awaitable[T]], timeout: float) -> T:
        """Run ``factory()`` on the bus's event loop (where its NATS connection lives) from a worker thread, such
        as a sync endpoint's, and wait up to ``timeout`` seconds for the result."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the event bus is not running")

        async def run() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

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

    def broker_state(self) -> str:
        """``ok`` when NATS answered a ping within ``broker_degraded_seconds``, ``degraded`` when it did not (down,
        reconnecting or frozen: writes still go to the outbox), ``disabled`` when this service runs without events."""
        if not self.settings.events_enabled:
            return "disabled"
        fresh = (self._broker_answered is not None
                 and time.monotonic() - self._broker_answered <= self.settings.broker_degraded_seconds)
        return "ok" if self.connected and fresh else "degraded"

    async def _probe_broker(self) -> None:
        """Ask JetStream for its account info every ``broker_probe_interval_seconds``: a frozen server keeps its TCP
        connection open, so only an unanswered request shows it (the client's own pings would take minutes).

        A request, not ``flush``: a flush that times out cancels its PONG future, and the late PONG then breaks the
        client's read loop; a late reply to a request is simply dropped."""
        interval = self.settings.broker_probe_interval_seconds
        while not self._stopping.is_set():
            started = time.monotonic()
            nc = self.nc
            if nc is not None and nc.is_connected:
                try:
                    await nc.request(JS_INFO_SUBJECT, b"",
                                     timeout=max(interval, self.settings.broker_degraded_seconds))
                    self._broker_answered = time.monotonic()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.debug("NATS ping unanswered: %s", exc)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    async def _run(self) -> None:
        await self._connect()
        self._broker_answered = time.monotonic()
        workers = [asyncio.create_task(self._relay(), name=f"{self.source}-relay"),
                   asyncio.create_task(self._probe_broker(), name=f"{self.source}-broker-probe")]
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
                              **stream_limits(self.settings))
        try:
            info = await self.js.stream_info(self.settings.nats_stream)
        except nats.js.errors.NotFoundError:
            await self.js.add_stream(config)
            return
        await apply_stream_limits(self.js, info.config, self.settings)

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
            self._wake.clear()  # before reading: a commit from here on wakes the wait below
            try:
                sent = await self.relay_once()
                backoff = self.settings.outbox_poll_seconds
            except Exception as exc:
                log.warning("outbox relay failed (%s); retrying in %.1fs", exc, backoff)
                sent = 0
                backoff = min(backoff * 2, 5.0)
            if sent >= self.settings.outbox_batch_size:
                continue  # a full batch: more are likely waiting
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            except TimeoutError:
                continue
            # Woken by a commit: let the commits of concurrent requests join it, one batch instead of one each.
            await asyncio.sleep(self.settings.outbox_linger_seconds)

    async def relay_once(self, batch: int | None = None) -> int:
        """Publish up to ``batch`` pending outbox rows, in order, as one pipelined batch; returns how many were sent.

        Every message of the batch is sent before any ack is awaited, and the acks are gathered together, so a batch
        costs one round trip to JetStream and two database statements, not one of each per event. Rows whose ack
        came back are marked published; the others stay pending (their attempts counted) and the batch raises, so
        the relay backs off. A row sent twice is dropped by the stream's duplicate window (``Nats-Msg-Id``).
        """
        if not self.connected or self.db is None:
            return 0
        rows = await asyncio.to_thread(self._pending, batch or self.settings.outbox_batch_size)
        if not rows:
            return 0
        acked, failed, error = await self._publish_batch(rows)
        if acked:
            await asyncio.to_thread(self._mark_published_many, acked)
            self.published += len(acked)
        if failed:
            await asyncio.to_thread(self._count_attempts, failed)
            raise RuntimeError(f"{len(failed)} of {len(rows)} events not acknowledged: {error}")
        return len(acked)

    async def _publish_batch(self, rows: list[tuple[int, str, str, str]]) -> tuple[list[int], list[int], str]:
        """Send ``rows`` without waiting in between, then collect their acks; returns (acked, failed, first error)."""
        publish_async = getattr(self.js, "publish_async", None)
        pending: list[tuple[int, asyncio.Future[Any]]] = []
        error = ""
        for seq, event_id, subject, body in rows:
            origin = json.loads(body).get("trace") or {}
            headers = {"Nats-Msg-Id": event_id}
            try:
                with publish_span(self._tracer, subject, event_id, origin, headers):
                    if publish_async is not None:
                        future = await publish_async(subject, body.encode(), headers=headers,
                                                     wait_stall=self.settings.outbox_ack_timeout_seconds)
                    else:  # an older nats-py: one request each, still all in flight together
                        future = asyncio.ensure_future(self.js.publish(
                            subject, body.encode(), headers=headers, timeout=self.settings.outbox_ack_timeout_seconds))
            except Exception as exc:  # the connection broke mid-batch: what was sent may still be acked
                error = error or repr(exc)
                break
            pending.append((seq, future))
        futures = [future for _, future in pending]
        if futures:
            _, late = await asyncio.wait(futures, timeout=self.settings.outbox_ack_timeout_seconds)
            for future in late:
                future.cancel()  # frees its slot in the client's pending-ack window
        acked, failed = [], []
        for seq, future in pending:
            if future.done() and not future.cancelled() and future.exception() is None:
                acked.append(seq)
            else:
                failed.append(seq)
                if not error:
                    error = "ack timeout" if future.cancelled() else repr(future.exception())
        sent = {seq for seq, _ in pending}
        failed += [seq for seq, *_ in rows if seq not in sent]
        return acked, failed, error

    def _pending(self, batch: int) -> list[tuple[int, str, str, str]]:
        assert self.db is not None
        with self.db.session() as session:
            stmt = (select(self.outbox.seq, self.outbox.event_id, self.outbox.subject, self.outbox.body)
                    .where(self.outbox.published_at.is_(None)).order_by(self.outbox.seq).limit(batch))
            return [tuple(row) for row in session.execute(stmt)]

    def _mark_published(self, seq: int) -> None:
        self._mark_published_many([seq])

    def _mark_published_many(self, seqs: list[int]) -> None:
        assert self.db is not None
        with self.db.session() as session:
            session.execute(update(self.outbox).where(self.outbox.seq.in_(seqs)).values(published_at=utcnow()))

    def _count_attempt(self, seq: int) -> None:
        self._count_attempts([seq])

    def _count_attempts(self, seqs: list[int]) -> None:
        assert self.db is not None
        with self.db.session() as session:
            session.execute(update(self.outbox).where(self.outbox.seq.in_(seqs))
                            .values(attempts=self.outbox.attempts + 1))

    def pending_count(self) -> int:
        """How many outbox rows wait for the relay."""
        return self.backlog()[0]

    def backlog(self) -> tuple[int, float]:
        """The outbox backlog: unsent rows, and the age in seconds of the oldest one (0 when none waits)."""
        assert self.db is not None
        with self.db.session() as session:
            stmt = (select(func.count(), func.min(self.outbox.created_at))
                    .where(self.outbox.published_at.is_(None)))
            waiting, oldest = session.execute(stmt).one()
        if not waiting or oldest is None:
            return 0, 0.0
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)  # SQLite returns zone-less values
        return int(waiting), max(0.0, (utcnow() - oldest).total_seconds())

    # -- consuming ---------------------------------------------------------------------------------------------
    async def _consume(self, sub: Subscription) -> None:
        durable = sub.durable.replace(".", "-")
        pull = None
        while not self._stopping.is_set():
            try:
                if pull is None:
                    # Unlimited here: _deliver dead-letters after consumer_max_deliveries, never silently.
                    config = ConsumerConfig(ack_wait=30, max_deliver=-1)
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
        except Exception as exc:
            await self._dead_letter(durable, msg, "malformed", exc)
            return
        try:
            refusal = await self.provenance.refusal(self.js, msg.subject, envelope)
        except Exception as exc:  # the registry could not be read: try again later rather than judge blind
            log.warning("consumer %s cannot check event %s yet (%s)", durable, envelope.id, exc)
            await msg.nak(delay=1)
            return
        if refusal is not None:  # kept out of the handler, and kept: a row says what came and why it was refused
            self.provenance.refuse(envelope, refusal, durable)
            await self._dead_letter(durable, msg, "refused", PermissionError(refusal), event_id=envelope.id)
            return
        if self.provenance.enforce:
            envelope._verified_publisher = envelope.source
        with process_span(self._tracer, msg.subject, envelope.id, msg.headers, envelope.trace, pattern=sub.subject,
                          consumer=durable) as span:
            try:
                await asyncio.to_thread(self.handle, sub, durable, envelope)
            except ValidationError as exc:  # the payload cannot become the handler's event: retrying cannot help
                mark_failed(span, exc)
                await self._dead_letter(durable, msg, "invalid_payload", exc, event_id=envelope.id)
                return
            except Exception as exc:
                mark_failed(span, exc)
                if deliveries(msg) >= self.settings.consumer_max_deliveries:
                    await self._dead_letter(durable, msg, "handler_failed", exc, event_id=envelope.id)
                    return
                log.exception("handler %s failed for event %s", durable, envelope.id)
                await msg.nak(delay=1)
                return
        await msg.ack()

    async def _dead_letter(self, durable: str, msg: Any, reason: str, error: BaseException,
                           event_id: str | None = None) -> None:
        """Keep ``msg`` in the dead-letter table with ``reason``, count it, then terminate it on the stream.

        If the row cannot be written (the database is away), the message is redelivered later instead: nothing a
        consumer gives up on leaves the stream without a row saying why.
        """
        meta = getattr(msg, "metadata", None)
        stream_seq = getattr(getattr(meta, "sequence", None), "stream", None)
        letter = DeadLetter(consumer=durable, subject=msg.subject or "", stream_seq=stream_seq,
                            event_id=event_id or (msg.headers or {}).get("Nats-Msg-Id"), deliveries=deliveries(msg),
                            reason=reason, detail=f"{type(error).__name__}: {error}",
                            body=bytes(msg.data or b"").decode("utf-8", errors="replace"))
        try:
            assert self.db is not None
            await asyncio.to_thread(record_dead_letter, self.db.engine, letter)
        except Exception:
            log.exception("could not dead-letter message %s on %s; it will be redelivered", stream_seq, msg.subject)
            await msg.nak(delay=5)
            return
        log.error("dead-lettered message %s on %s for %s (%s): %s", stream_seq, msg.subject, durable, reason,
                  letter.detail[:200])
        self.dead_lettered += 1
        for hook in self.dead_letter_hooks:
            hook(letter)
        await msg.term()

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


def stream_limits(settings: ServiceSettings) -> dict[str, Any]:
    """The stream's retention limits from settings: oldest age and total size kept (oldest messages go first)."""
    age = settings.nats_stream_max_age_seconds
    size = settings.nats_stream_max_bytes
    # The server refuses a duplicate window longer than the stream keeps messages.
    window = min(DUPLICATE_WINDOW_SECONDS, float(age)) if age > 0 else DUPLICATE_WINDOW_SECONDS
    return {"max_age": float(age) if age > 0 else None, "max_bytes": size if size > 0 else -1,
            "discard": DiscardPolicy.OLD, "duplicate_window": window}


async def apply_stream_limits(js: Any, current: StreamConfig, settings: ServiceSettings) -> bool:
    """Bring an existing stream's limits to the settings' values; True when the stream was updated."""
    want = stream_limits(settings)
    have_age = current.max_age or None  # the server reports 0 for "no limit"
    have_bytes = current.max_bytes if current.max_bytes and current.max_bytes > 0 else -1
    if (have_age, have_bytes, current.duplicate_window) == (want["max_age"], want["max_bytes"],
                                                            want["duplicate_window"]):
        return False
    current.max_age, current.max_bytes = want["max_age"] or 0, want["max_bytes"]
    current.duplicate_window = want["duplicate_window"]
    await js.update_stream(current)
    log.info("stream %s limits set: max_age=%ss max_bytes=%s", current.name, want["max_age"], want["max_bytes"])
    return True


def deliveries(msg: Any) -> int:
    """How many times JetStream has delivered ``msg`` (1 on the first delivery)."""
    meta = getattr(msg, "metadata", None)
    return int(getattr(meta, "num_delivered", None) or 1)


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
