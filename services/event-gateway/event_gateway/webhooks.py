"""Webhook delivery: the consumer that turns events into deliveries, and the worker that sends them.

The consumer runs in the transaction that records the event in the inbox, so a delivery row exists exactly when the
event was consumed; the unique (subscription, event id) pair keeps it idempotent even without the inbox. The worker
claims due rows with a compare-and-set lease, so several replicas never send the same attempt twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from opentelemetry import trace
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime
from arrakis_common.event_tracing import follow_up_span
from arrakis_common.events import Envelope, subject_matches, utcnow

from .audience import FieldPath, hears, without_personal
from .egress import BlockedDestination, Destination, pin
from .events import DeliveryDeadLettered
from .models import Delivery, DeliveryStatus, WebhookSubscription
from .settings import Settings
from .signing import sign

log = logging.getLogger(__name__)

USER_AGENT = "arrakis-event-gateway/0.1"
# Extra time a claimed delivery stays invisible to other workers beyond the HTTP timeout.
LEASE_MARGIN_SECONDS = 30.0
MAX_ERROR_CHARS = 1000


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything this service stores is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def is_own_dead_letter(envelope: Envelope, subscription: WebhookSubscription) -> bool:
    """A subscription never receives the dead-letter notice of its own deliveries: that would loop forever."""
    return (envelope.subject == DeliveryDeadLettered.subject
            and envelope.payload.get("subscription_id") == subscription.id)


def no_personal_fields() -> list[FieldPath]:
    return []


def redacted_body(envelope: Envelope, paths: list[FieldPath]) -> str:
    """The envelope without the payload fields at ``paths``; the source's signature covered them, so it goes too."""
    if not paths:
        return envelope.model_dump_json()
    payload = without_personal(envelope.payload, paths)
    return envelope.model_copy(update={"payload": payload, "signature": None}).model_dump_json()


def enqueue_deliveries(session: Session, envelope: Envelope,
                       personal: Callable[[], list[FieldPath]] = no_personal_fields) -> int:
    """Consumer of ``arrakis.>``: one pending delivery per matching active subscription that may hear the event's
    domain; ``personal`` gives where the subject's schema marks fields personal (asked only when a subscription
    without include_personal matches). Returns how many deliveries were added."""
    subscriptions = session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))).all()
    matching = [s for s in subscriptions
                if subject_matches(s.subject_filter, envelope.subject) and hears(s.domains, envelope.subject)
                and not is_own_dead_letter(envelope, s)]
    if not matching:
        return 0
    existing = set(session.scalars(select(Delivery.subscription_id).where(
        Delivery.event_id == envelope.id, Delivery.subscription_id.in_([s.id for s in matching]))))
    full = envelope.model_dump_json()
    redacted: str | None = None
    added = 0
    for subscription in matching:
        if subscription.id in existing:
            continue
        if subscription.include_personal:
            body = full
        else:
            redacted = redacted if redacted is not None else redacted_body(envelope, personal())
            body = redacted
        session.add(Delivery(subscription_id=subscription.id, event_id=envelope.id, subject=envelope.subject,
                             body=body, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=utcnow()))
        added += 1
    return added


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Delay before the next try after ``attempts`` failed ones: base * 2^(attempts-1), capped."""
    return min(settings.retry_max_seconds, settings.retry_base_seconds * (2 ** max(attempts - 1, 0)))


@dataclass(frozen=True)
class Attempt:
    """One claimed delivery, detached from the session so it can be sent outside any transaction."""

    delivery_id: str
    subscription_id: str
    url: str
    secret: str
    event_id: str
    subject: str
    body: str
    number: int


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None


_tracer = trace.get_tracer("arrakis.webhooks")


def _origin(body: str) -> dict[str, str]:
    """The trace context the delivered envelope carries (the request that caused the event), if any."""
    try:
        carried = json.loads(body).get("trace")
    except (ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in carried.items()} if isinstance(carried, dict) else {}


class DeliveryWorker:
    """Sends due deliveries, records the outcome, retries with backoff and dead-letters exhausted ones."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.settings: Settings = runtime.settings  # type: ignore[assignment]

    async def run(self) -> None:
        """Loop until cancelled: keep up to ``delivery_batch_size`` attempts in flight, each on its own, so a slow
        receiver holds only its own subscription's slots (``webhook_concurrency_per_subscription``), never another
        subscriber's events; a failing round is logged and retried at the next poll."""
        in_flight: set[asyncio.Task[None]] = set()
        busy: Counter[str] = Counter()
        async with httpx.AsyncClient(timeout=self.settings.webhook_timeout_seconds, follow_redirects=False,
                                     headers={"User-Agent": USER_AGENT}) as client:
            try:
                while True:
                    try:
                        started = await self.start_due(client, in_flight, busy)
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("delivery round failed")
                        started = 0
                    if not started:
                        await asyncio.sleep(self.settings.delivery_poll_seconds)
            finally:
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)

    async def start_due(self, client: httpx.AsyncClient, in_flight: set[asyncio.Task[None]],
                        busy: Counter[str]) -> int:
        """Claim what fits in the free slots and start each attempt; returns how many were started."""
        room = self.settings.delivery_batch_size - len(in_flight)
        if room <= 0:
            return 0
        attempts = await asyncio.to_thread(self.claim_due, room, dict(busy))
        for attempt in attempts:
            busy[attempt.subscription_id] += 1
            task = asyncio.create_task(self.attempt(client, attempt))
            in_flight.add(task)

            def done(finished: asyncio.Task[None], subscription: str = attempt.subscription_id) -> None:
                in_flight.discard(finished)
                busy[subscription] -= 1
                if busy[subscription] <= 0:
                    del busy[subscription]

            task.add_done_callback(done)
        return len(attempts)

    async def attempt(self, client: httpx.AsyncClient, attempt: Attempt) -> None:
        outcome = await self.send(client, attempt)
        await asyncio.to_thread(self.record, attempt, outcome)

    def claim_due(self, room: int, busy: dict[str, int]) -> list[Attempt]:
        """Lease up to ``room`` due deliveries, at most the free slots of each subscription (``busy`` holds the
        attempts already in flight per subscription)."""
        per_subscription = self.settings.webhook_concurrency_per_subscription
        full = [subscription for subscription, count in busy.items() if count >= per_subscription]
        now = utcnow()
        lease_until = now + timedelta(seconds=self.settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
        stmt = (select(Delivery, WebhookSubscription)
                .join(WebhookSubscription, WebhookSubscription.id == Delivery.subscription_id)
                .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now,
                       WebhookSubscription.active.is_(True), WebhookSubscription.id.not_in(full))
                .order_by(Delivery.next_attempt_at).limit(room * per_subscription))
        claimed: list[Attempt] = []
        taken = Counter(busy)
        with self.runtime.database().session() as session:
            for delivery, subscription in session.execute(stmt).all():
                if len(claimed) >= room or taken[subscription.id] >= per_subscription:
                    continue
                # Compare-and-set: only the worker whose update still sees the row due owns this attempt.
                result = session.execute(
                    update(Delivery)
                    .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.PENDING,
                           Delivery.attempts == delivery.attempts, Delivery.next_attempt_at <= now)
                    .values(next_attempt_at=lease_until)
                    .execution_options(synchronize_session=False))
                if result.rowcount == 1:
                    taken[subscription.id] += 1
                    claimed.append(Attempt(delivery_id=delivery.id, subscription_id=subscription.id,
                                           url=subscription.url, secret=subscription.secret,
                                           event_id=delivery.event_id, subject=delivery.subject, body=delivery.body,
                                           number=delivery.attempts + 1))
        return claimed

    async def send(self, client: httpx.AsyncClient, attempt: Attempt) -> Outcome:
        """POST the envelope JSON with the signature headers; any 2xx answer is a success."""
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Arrakis-Event-Id": attempt.event_id,
            "X-Arrakis-Subject": attempt.subject,
            "X-Arrakis-Timestamp": timestamp,
            "X-Arrakis-Signature": sign(attempt.secret, timestamp, attempt.body),
            "X-Arrakis-Delivery-Id": attempt.delivery_id,
            "X-Arrakis-Attempt": str(attempt.number),
        }
        try:
            about = {"messaging.destination.name": attempt.subject, "messaging.message.id": attempt.event_id}
            # One deadline for the whole attempt (resolving, connecting, sending, every read of the answer): a
            # receiver that drips its answer a byte at a time cannot hold the attempt past it.
            with follow_up_span(_tracer, "deliver webhook", _origin(attempt.body), about):
                async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                    response = await self.post(client, attempt, headers)
        except TimeoutError:
            return Outcome(ok=False, status_code=None,
                           error=f"no complete answer within {self.settings.webhook_timeout_seconds:g} s")
        except BlockedDestination as exc:
            return Outcome(ok=False, status_code=None, error=f"not sent: {exc}"[:MAX_ERROR_CHARS])
        except Exception as exc:  # connection refused, timeout, bad URL: all are a failed attempt
            return Outcome(ok=False, status_code=None, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
        if 200 <= response.status_code < 300:
            return Outcome(ok=True, status_code=response.status_code, error=None)
        return Outcome(ok=False, status_code=response.status_code,
                       error=f"HTTP {response.status_code}: {response.text[:200]}"[:MAX_ERROR_CHARS])

    async def post(self, client: httpx.AsyncClient, attempt: Attempt, headers: dict[str, str]) -> httpx.Response:
        """POST to the first checked address of the URL's host that accepts a connection."""
        *others, last = await pin(attempt.url, self.settings.webhook_allowed_networks)

        def post_to(target: Destination) -> Awaitable[httpx.Response]:
            return client.post(target.url, content=attempt.body.encode(),
                               headers={**headers, "Host": target.host_header}, extensions=target.extensions)

        for target in others:
            with contextlib.suppress(httpx.ConnectError):
                return await post_to(target)
        return await post_to(last)

    def record(self, attempt: Attempt, outcome: Outcome) -> None:
        """Store the outcome: delivered, retry later, or dead-letter (with its event, in the same transaction)."""
        bus = self.runtime.bus
        dead = False
        with self.runtime.database().session() as session:
            delivery = session.get(Delivery, attempt.delivery_id)
            if delivery is None or delivery.status != DeliveryStatus.PENDING or delivery.attempts + 1 != attempt.number:
                return  # deleted or replayed meanwhile: this result is stale
            subscription = session.get(WebhookSubscription, delivery.subscription_id)
            max_attempts = subscription.max_attempts if subscription is not None else 1
            now = utcnow()
            delivery.attempts = attempt.number
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error
            if outcome.ok:
                delivery.status = DeliveryStatus.DELIVERED
                delivery.delivered_at = now
                delivery.next_attempt_at = now
            elif delivery.attempts >= max_attempts:
                delivery.status = DeliveryStatus.DEAD
                delivery.next_attempt_at = now
                bus.publish(session, DeliveryDeadLettered(
                    delivery_id=delivery.id, subscription_id=delivery.subscription_id, event_id=delivery.event_id,
                    event_subject=delivery.subject, attempts=delivery.attempts,
                    last_status_code=outcome.status_code, last_error=outcome.error))
                dead = True
            else:
                delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(self.settings, delivery.attempts))
        if dead:
            log.warning("delivery %s of event %s dead after %d attempts", attempt.delivery_id, attempt.event_id,
                        attempt.number)
            bus.wake()


async def run_delivery_worker(runtime: ServiceRuntime) -> None:
    """Background job registered with ``runtime.jobs``."""
    await DeliveryWorker(runtime).run()
