"""Reading the platform's event schema registry (a NATS KV bucket) with a short cache, and validating payloads."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from nats.js.errors import InvalidKeyError, KeyDeletedError, KeyNotFoundError

from arrakis_common.events import EventBus, lookup_schema, schema_bucket, schema_subjects

# A concrete platform subject: "arrakis" then one or more tokens, none of them a wildcard.
CONCRETE_SUBJECT = re.compile(r"^arrakis(\.[A-Za-z0-9_\-]+)+$")


def is_concrete_subject(subject: str) -> bool:
    """True for ``arrakis.<token>...`` subjects without ``*``/``>`` wildcards or empty tokens."""
    return len(subject) <= 255 and CONCRETE_SUBJECT.fullmatch(subject) is not None


class RegistryUnavailable(Exception):
    """NATS (and so the schema registry) cannot be reached right now."""


class InvalidRegistration(Exception):
    """The record registered for a subject holds no usable JSON schema."""


@dataclass(frozen=True)
class SchemaRecord:
    """One registry entry: the subject's JSON schema plus the event type and version that produced it."""

    subject: str
    type: str
    version: int
    source: str
    schema: dict[str, Any]
    validator: Draft202012Validator = field(compare=False, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_registry(cls, subject: str, record: dict[str, Any]) -> SchemaRecord:
        schema = record.get("schema")
        if not isinstance(schema, dict):
            raise InvalidRegistration(f"no JSON schema registered for {subject}")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise InvalidRegistration(f"registered schema of {subject} is invalid: {exc.message}") from exc
        return cls(subject=subject, type=str(record.get("type") or subject), version=int(record.get("version", 1)),
                   source=str(record.get("source", "")), schema=schema, validator=Draft202012Validator(schema),
                   raw=record)

    def errors(self, payload: Any) -> list[dict[str, Any]]:
        """Every violation of the schema by ``payload``, in FastAPI's error shape plus the JSON path."""
        found = sorted(self.validator.iter_errors(payload), key=lambda e: (list(map(str, e.absolute_path)),
                                                                           e.message))
        return [{"loc": ["body", *error.absolute_path], "path": error.json_path, "msg": error.message,
                 "type": f"schema.{error.validator}"} for error in found]


class SchemaRegistry:
    """Cached reads of the ``ARRAKIS_SCHEMAS`` bucket through the service's own NATS connection."""

    def __init__(self, cache_seconds: float, timeout_seconds: float) -> None:
        self.cache_seconds = cache_seconds
        self.timeout_seconds = timeout_seconds
        self._cache: dict[str, tuple[float, SchemaRecord]] = {}

    def _jetstream(self, bus: EventBus) -> Any:
        if not bus.connected or bus.js is None:
            raise RegistryUnavailable("NATS is unreachable, so the event schema registry cannot be read; retry later")
        return bus.js

    async def _call(self, coro: Any) -> Any:
        try:
            return await asyncio.wait_for(coro, timeout=self.timeout_seconds)
        except (RegistryUnavailable, InvalidKeyError):
            raise
        except Exception as exc:
            raise RegistryUnavailable(f"the event schema registry did not answer: {type(exc).__name__}") from exc

    async def lookup(self, bus: EventBus, subject: str) -> SchemaRecord | None:
        """The schema registered for ``subject`` (cached briefly), or None when nobody declared it."""
        cached = self._cache.get(subject)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        js = self._jetstream(bus)
        try:
            record = await self._call(lookup_schema(js, subject))
        except InvalidKeyError:  # no subject a service can declare is spelled like that: nothing registered
            return None
        if record is None:
            return None
        parsed = SchemaRecord.from_registry(subject, record)
        self._cache[subject] = (time.monotonic() + self.cache_seconds, parsed)
        return parsed

    async def records(self, bus: EventBus) -> list[dict[str, Any]]:
        """Every registry record, sorted by subject (uncached: this is the discovery listing)."""
        js = self._jetstream(bus)

        async def read_all() -> list[dict[str, Any]]:
            keys = await schema_subjects(js)
            kv = await schema_bucket(js)
            entries = await asyncio.gather(*(kv.get(key) for key in keys), return_exceptions=True)
            for entry in entries:
                if isinstance(entry, BaseException) and not isinstance(entry, KeyNotFoundError | KeyDeletedError):
                    raise entry
            return [json.loads(entry.value) for entry in entries
                    if not isinstance(entry, BaseException) and entry is not None and entry.value]

        records = await self._call(read_all())
        return sorted(records, key=lambda record: str(record.get("subject", "")))
