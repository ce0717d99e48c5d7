"""Does the log hold what the stream holds? The JetStream stream's sequence range, read message by message, against
the log and the dead-letter table, so an event the consumer never recorded shows as a gap instead of staying silent.

Every message of the stream under the recorded subjects, from its first sequence to its last, is one of:
``logged`` (its event id is in the log), ``dead_lettered`` (the log's consumer gave up on it, the row says why),
``pending`` (past the consumer's acknowledged floor: not handled yet), or ``missing`` (none of these: a gap).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, Field
from sqlalchemy import select

from arrakis_common.dead_letters import event_dead_letters

from .models import AuditEntry

BATCH = 500
log = logging.getLogger(__name__)
SAMPLE = 20  # sequence numbers listed per kind; the counts are complete


class StreamCoverage(BaseModel):
    """The stream's range against the log; ``checked`` is false (with ``error``) when NATS could not be read."""

    checked: bool
    stream: str
    subjects: str
    consumer: str
    first_seq: int = Field(0, description="First sequence number the stream still holds")
    last_seq: int = Field(0, description="Last sequence number when the check started")
    messages: int = Field(0, description="Messages in that range under the recorded subjects")
    logged: int = 0
    dead_lettered: int = Field(0, description="Given up on by the log's consumer, with the reason in "
                                              "event_dead_letters")
    refused: int = Field(0, description="Kept out by the consumer's provenance check (forged, unsigned or sent by a "
                                        "service that does not own the subject); recorded in event_dead_letters "
                                        "with reason refused, and no gap: the log is right not to hold them")
    pending: int = Field(0, description="Past the consumer's acknowledged floor: not handled yet")
    missing: int = Field(0, description="Acknowledged but in neither the log nor the dead letters: a gap")
    missing_seqs: list[int] = Field(default_factory=list, description=f"The first {SAMPLE} missing sequences")
    dead_lettered_seqs: list[int] = Field(default_factory=list, description=f"The first {SAMPLE} dead-lettered "
                                                                            "sequences")
    refused_seqs: list[int] = Field(default_factory=list, description=f"The first {SAMPLE} refused sequences")
    error: str | None = None

    @property
    def complete(self) -> bool:
        """Every handled message is in the log."""
        return self.checked and self.missing == 0 and self.dead_lettered == 0


REFUSED = "refused"  # the dead-letter reason of an event the provenance check kept out

# (event ids, stream sequences) of one batch -> (ids in the log, dead-lettered sequence -> the reason)
Lookup = Callable[[list[str], list[int]], tuple[set[str], dict[int, str]]]


def database_lookup(db: Any, consumer: str) -> Lookup:
    """Look a batch up in the log and in ``consumer``'s dead letters, in one short connection."""

    def lookup(event_ids: list[str], seqs: list[int]) -> tuple[set[str], dict[int, str]]:
        with db.engine.connect() as conn:
            logged = set(conn.scalars(select(AuditEntry.event_id).where(AuditEntry.event_id.in_(event_ids))))
            dead = {seq: reason for seq, reason in conn.execute(
                select(event_dead_letters.c.stream_seq, event_dead_letters.c.reason).where(
                    event_dead_letters.c.consumer == consumer, event_dead_letters.c.stream_seq.in_(seqs)))}
        return logged, dead

    return lookup


def event_id_of(msg: Any) -> str:
    """The envelope's id, or the message id header when the body is no envelope."""
    try:
        value = json.loads(msg.data).get("id")
        if isinstance(value, str) and value:
            return value
    except (ValueError, AttributeError, RecursionError):
        pass
    return (msg.headers or {}).get("Nats-Msg-Id", "")


async def stream_coverage(js: Any, stream: str, subjects: str, consumer: str, lookup: Lookup) -> StreamCoverage:
    """Read ``stream`` under ``subjects`` from its first sequence to its current last one with a throwaway
    consumer, and sort every message into logged / refused / dead-lettered / pending / missing."""
    report = StreamCoverage(checked=True, stream=stream, subjects=subjects, consumer=consumer)
    info = await js.stream_info(stream)
    report.first_seq, report.last_seq = info.state.first_seq, info.state.last_seq
    if not info.state.messages:
        return report
    try:
        floor = (await js.consumer_info(stream, consumer)).ack_floor.stream_seq or 0
    except Exception:  # the consumer was never created: nothing is handled yet
        floor = 0
    config = ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0,
                            mem_storage=True)
    sub = await js.pull_subscribe(subjects, stream=stream, config=config)
    try:
        done = False
        while not done:
            try:
                batch = await sub.fetch(batch=BATCH, timeout=2)
            except TimeoutError:  # nothing more under these subjects up to the end of the range
                break
            rows = []
            for msg in batch:
                seq = msg.metadata.sequence.stream
                if seq > report.last_seq:
                    done = True
                    break
                rows.append((seq, event_id_of(msg)))
                done = seq == report.last_seq
            if rows:
                logged, dead = await asyncio.to_thread(lookup, [eid for _, eid in rows], [seq for seq, _ in rows])
                for seq, event_id in rows:
                    report.messages += 1
                    if event_id in logged:
                        report.logged += 1
                    elif dead.get(seq) == REFUSED:
                        report.refused += 1
                        if len(report.refused_seqs) < SAMPLE:
                            report.refused_seqs.append(seq)
                    elif seq in dead:
                        report.dead_lettered += 1
                        if len(report.dead_lettered_seqs) < SAMPLE:
                            report.dead_lettered_seqs.append(seq)
                    elif seq > floor:
                        report.pending += 1
                    else:
                        report.missing += 1
                        if len(report.missing_seqs) < SAMPLE:
                            report.missing_seqs.append(seq)
    finally:
        try:
            await sub.unsubscribe()
        except Exception as exc:  # an ephemeral consumer also goes by itself after inactive_threshold
            log.debug("stream coverage consumer not removed (%s); it expires by itself", exc)
    return report


CHECK_TIMEOUT = 120.0  # a stream of a few hundred thousand events is read within it on loopback


def check_stream(runtime: Any) -> StreamCoverage | None:
    """The coverage report for a running audit-service (None when it runs without events), from a worker thread."""
    settings, bus = runtime.settings, runtime.bus
    if not settings.events_enabled or not bus.subscriptions:
        return None
    consumer = bus.subscriptions[0].durable.replace(".", "-")  # audit-service consumes once, into the log
    unchecked = StreamCoverage(checked=False, stream=settings.nats_stream, subjects=settings.audit_subjects,
                               consumer=consumer)
    if not bus.connected or bus.js is None:
        unchecked.error = "NATS is not connected"
        return unchecked
    lookup = database_lookup(runtime.database(), consumer)
    try:
        return bus.run_on_loop(lambda: stream_coverage(bus.js, settings.nats_stream, settings.audit_subjects,
                                                       consumer, lookup), CHECK_TIMEOUT)
    except Exception as exc:
        unchecked.error = f"{type(exc).__name__}: {exc}"
        return unchecked
