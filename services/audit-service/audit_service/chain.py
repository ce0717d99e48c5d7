"""The hash chain: appending consumed events and proving the whole log unchanged.

Each entry's ``hash`` is sha256(prev_hash + canonical JSON of its content), the first entry's ``prev_hash`` is
:data:`GENESIS`, so changing, removing or reordering any entry breaks every later link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.events import Envelope, utcnow
from arrakis_common.provenance import ACTOR_FIELDS

from .models import AuditEntry

GENESIS = "0" * 64


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a zone-less value (SQLite returns those) is taken as UTC already."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_text(moment: datetime) -> str:
    """A fixed-width UTC timestamp, identical whichever database the value went through."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_content(entry: AuditEntry) -> dict[str, Any]:
    """Everything the hash covers: all columns but ``prev_hash`` (chained separately) and ``hash`` itself.

    ``publisher`` and ``authenticated_actor`` are covered when set; entries recorded before they existed have
    neither, and keep the hashes they were given."""
    content = {"seq": entry.seq, "event_id": entry.event_id, "subject": entry.subject, "type": entry.event_type,
               "version": entry.event_version, "source": entry.source, "actor": entry.actor,
               "occurred_at": utc_text(entry.occurred_at), "recorded_at": utc_text(entry.recorded_at),
               "payload": entry.payload}
    for name in ("publisher", "authenticated_actor"):
        if getattr(entry, name) is not None:
            content[name] = getattr(entry, name)
    return content


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode()).hexdigest()


def actor_of(envelope: Envelope) -> str:
    """Who the event says caused it: a payload field such as ``requested_by`` or ``user_id``, else the actor its
    envelope names, else the publishing service."""
    for name in ACTOR_FIELDS:
        value = envelope.payload.get(name)
        if isinstance(value, str | int) and str(value):
            return str(value)[:255]
    return envelope.actor or envelope.source


def append_event(session: Session, envelope: Envelope) -> AuditEntry | None:
    """Append ``envelope`` to the log unless its event id is there already (redelivery); returns the new entry.

    Two writers racing for the same ``seq`` collide on its primary key; the loser's delivery is retried.
    """
    if session.scalar(select(AuditEntry.seq).where(AuditEntry.event_id == envelope.id)) is not None:
        return None
    head = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
    entry = AuditEntry(seq=seq, event_id=envelope.id, subject=envelope.subject, event_type=envelope.type,
                       event_version=envelope.version, source=envelope.source, actor=actor_of(envelope),
                       publisher=envelope.verified_publisher,
                       authenticated_actor=envelope.actor if envelope.verified_publisher else None,
                       occurred_at=as_utc(envelope.occurred_at), recorded_at=utcnow(), payload=envelope.payload,
                       prev_hash=prev_hash)
    entry.hash = chain_hash(prev_hash, entry_content(entry))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None


def verify_chain(session: Session, batch_size: int = 500) -> ChainReport:
    """Recompute every link in order; report the first entry whose sequence, link or content does not hold."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.seq >= expected_seq)
                               .order_by(AuditEntry.seq).limit(batch_size)).all()
        if not rows:
            return ChainReport(ok=True, count=count, head_hash=prev_hash)
        for entry in rows:
            if entry.seq != expected_seq:
                return ChainReport(False, count, prev_hash, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != prev_hash:
                return ChainReport(False, count, prev_hash, entry.seq, "prev_hash does not match the previous entry")
            if chain_hash(prev_hash, entry_content(entry)) != entry.hash:
                return ChainReport(False, count, prev_hash, entry.seq, "hash does not match the entry's content")
            prev_hash, expected_seq, count = entry.hash, expected_seq + 1, count + 1
        # Verified rows are not needed again: keep memory flat on long logs.
        session.expunge_all()
