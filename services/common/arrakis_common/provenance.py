"""Event provenance: every service signs what it publishes, and a consumer believes a subject only from its owner.

Each service holds an Ed25519 key pair. It signs every envelope it puts in its outbox and every schema record it
registers; consumers verify with the public key only. Ed25519 rather than HMAC-SHA256: with a shared HMAC key every
consumer that can verify a service's events could also forge them, while a public key lets audit-service or
event-gateway check user-service's events without being able to write one.

Keys live in one directory (``ARRAKIS_EVENT_KEYS_DIR``, default ``<data_dir>/event-keys``): ``<service>.key`` is a
service's private key (mode 0600, created on first use), ``<service>.pub`` its public key. In production each
service gets its own private key and every public key, read-only; ``make up`` runs every service from one folder.

A subject's owner is the service whose signed record in the schema registry declares it (plus the other publishers
that record names, e.g. scheduler-service for ``arrakis.data.transform.requested``); ``arrakis.external.>`` belongs to
event-gateway, which publishes what authenticated callers send from outside. An event whose signature does not verify,
or whose signer does not own its subject, is refused before any handler sees it, logged and counted in
``arrakis_events_refused_total{reason}``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from prometheus_client import CollectorRegistry, Counter

from .db import owner_only_file

if TYPE_CHECKING:
    from .events import Envelope
    from .settings import ServiceSettings

log = logging.getLogger(__name__)

GATEWAY = "event-gateway"
# What event-gateway may publish for callers outside the platform; never a service's own domain subjects.
INBOUND_SUBJECTS = ("arrakis.external.>",)
# Payload fields that name who caused an event (audit-service reads them, most specific first). An inbound event
# may not carry them: its actor is the authenticated caller, stamped in the envelope.
ACTOR_FIELDS = ("requested_by", "actor", "user_id", "created_by", "updated_by")
SIGNATURE_SCHEME = "ed25519:"
SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
OWNER_CACHE_SECONDS = 30.0


def canonical(data: dict[str, Any]) -> bytes:
    """The bytes a signature covers: sorted keys, no whitespace, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def is_inbound_subject(subject: str) -> bool:
    """True for subjects event-gateway publishes on behalf of outside callers."""
    from .events import subject_matches

    return any(subject_matches(pattern, subject) for pattern in INBOUND_SUBJECTS)


class KeyDirectory:
    """The Ed25519 keys of the platform's services, by service name, in one folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._public: dict[str, Ed25519PublicKey] = {}

    def _path(self, service: str, suffix: str) -> Path:
        if not SERVICE_NAME.fullmatch(service):
            raise ValueError(f"not a service name: {service[:100]!r}")
        return self.directory / f"{service}{suffix}"

    def private_key(self, service: str) -> Ed25519PrivateKey:
        """``service``'s signing key, created (private part 0600) with its public key on first use."""
        path = self._path(service, ".key")
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{path} is not an Ed25519 private key")
        else:
            key = Ed25519PrivateKey.generate()
            owner_only_file(path)
            path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        public = self._path(service, ".pub")
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        if not public.exists() or public.read_bytes() != pem:
            public.write_bytes(pem)
        return key

    def public_key(self, service: str) -> Ed25519PublicKey | None:
        """``service``'s public key, or None when the folder holds none (or the name is no service name)."""
        if service in self._public:
            return self._public[service]
        try:
            path = self._path(service, ".pub")
            key = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(key, Ed25519PublicKey):
            return None
        self._public[service] = key  # only keys that exist are cached: one written later is found then
        return key


def sign(data: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """The signature of ``data`` (without its ``signature`` field) as ``ed25519:<base64url>``."""
    content = {k: v for k, v in data.items() if k != "signature"}
    return SIGNATURE_SCHEME + base64.urlsafe_b64encode(key.sign(canonical(content))).decode()


def verifies(data: dict[str, Any], key: Ed25519PublicKey | None) -> bool:
    """True when ``data["signature"]`` is ``key``'s signature of the rest of ``data``."""
    signature = data.get("signature")
    if key is None or not isinstance(signature, str) or not signature.startswith(SIGNATURE_SCHEME):
        return False
    try:
        raw = base64.urlsafe_b64decode(signature[len(SIGNATURE_SCHEME):].encode())
        key.verify(raw, canonical({k: v for k, v in data.items() if k != "signature"}))
    except (InvalidSignature, ValueError):
        return False
    return True


class Provenance:
    """One service's side of provenance: sign what it publishes, check what it consumes."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.service = settings.service_name
        self.keys = KeyDirectory(settings.event_keys_dir or settings.data_dir / "event-keys")
        self.enforce = settings.verify_event_provenance
        self._signing_key: Ed25519PrivateKey | None = None
        self._owners: dict[str, tuple[float, frozenset[str]]] = {}
        self.refused: dict[str, int] = {}
        self._counter: Counter | None = None

    def install_metrics(self, registry: CollectorRegistry) -> None:
        """Count refused events in ``registry`` as ``arrakis_events_refused_total{reason}``."""
        self._counter = Counter("arrakis_events_refused_total", "Consumed events refused for their provenance "
                                "(unsigned, bad signature, or not published by the subject's owner)", ["reason"],
                                registry=registry)

    # -- publishing --------------------------------------------------------------------------------------------
    def signing_key(self) -> Ed25519PrivateKey:
        if self._signing_key is None:
            self._signing_key = self.keys.private_key(self.service)
        return self._signing_key

    def seal(self, envelope: Envelope) -> Envelope:
        """``envelope`` signed by this service (its ``source`` must be this service)."""
        if envelope.source != self.service:
            raise ValueError(f"{self.service} cannot sign an envelope whose source is {envelope.source}")
        data = envelope.model_dump(mode="json")
        return envelope.model_copy(update={"signature": sign(data, self.signing_key())})

    def seal_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A schema registry record signed by this service, which it names as ``source``."""
        record = {**record, "source": self.service}
        return {**record, "signature": sign(record, self.signing_key())}

    # -- consuming ---------------------------------------------------------------------------------------------
    async def publishers(self, js: Any, subject: str) -> frozenset[str]:
        """The services that may publish ``subject``: event-gateway for inbound subjects, else those its owner's
        signed registry record names (none when no verifiable record exists). Cached briefly."""
        if is_inbound_subject(subject):
            return frozenset({GATEWAY})
        cached = self._owners.get(subject)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        from nats.js.errors import InvalidKeyError

        from .events import lookup_schema

        try:
            record = await lookup_schema(js, subject)
        except InvalidKeyError:  # no service can declare a subject spelled like that
            return frozenset()
        if record is None:
            return frozenset()
        source = str(record.get("source", ""))
        if not verifies(record, self.keys.public_key(source)):
            log.warning("registry record of %s does not carry a valid signature of %s", subject, source)
            return frozenset()
        extra = record.get("publishers") or []
        allowed = frozenset({source, *(str(name) for name in extra if isinstance(name, str))})
        self._owners[subject] = (time.monotonic() + OWNER_CACHE_SECONDS, allowed)
        return allowed

    async def refusal(self, js: Any, wire_subject: str, envelope: Envelope) -> str | None:
        """Why ``envelope`` (received on ``wire_subject``) must not be handled, or None when its provenance holds."""
        if not self.enforce:
            return None
        if wire_subject != envelope.subject:
            return "subject-mismatch"
        if not envelope.signature:
            return "unsigned"
        if not verifies(envelope.model_dump(mode="json"), self.keys.public_key(envelope.source)):
            return "bad-signature"
        if envelope.source not in await self.publishers(js, envelope.subject):
            return "not-owner"
        return None

    def refuse(self, envelope: Envelope, reason: str, consumer: str) -> None:
        """Record a refused event: a warning in the log and one more in the counter."""
        self.refused[reason] = self.refused.get(reason, 0) + 1
        if self._counter is not None:
            self._counter.labels(reason).inc()
        log.warning("consumer %s refused event %s on %s claiming source %s: %s", consumer, envelope.id,
                    envelope.subject, envelope.source, reason)
