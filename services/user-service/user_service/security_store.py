"""Refresh-token revocation and failed-login counting: one interface, kept in Redis or in this process."""

from __future__ import annotations

import hashlib
import threading
import time
from abc import ABC, abstractmethod

import redis
from opentelemetry.sdk.trace import TracerProvider


class SecurityStore(ABC):
    """Short-lived security state that must outlive a single request."""

    @abstractmethod
    def revoke(self, token_id: str, ttl_seconds: int) -> bool:
        """Mark ``token_id`` revoked for ``ttl_seconds``; True only for the call that revoked it first."""

    @abstractmethod
    def is_revoked(self, token_id: str) -> bool:
        """Whether ``token_id`` was revoked (and its entry has not expired)."""

    @abstractmethod
    def record_failure(self, key: str, window_seconds: int) -> int:
        """Count one failure for ``key`` in a window opened by its first failure; returns the count so far."""

    @abstractmethod
    def failures(self, key: str) -> int:
        """Failures of ``key`` in its current window (0 once the window is over)."""

    @abstractmethod
    def clear_failures(self, key: str) -> None:
        """Forget the failures of ``key``."""

    @abstractmethod
    def close(self) -> None:
        """Release connections, if any."""


class InProcessSecurityStore(SecurityStore):
    """For a single process (development, tests): dictionaries with expiry times behind a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revoked: dict[str, float] = {}
        self._failures: dict[str, tuple[int, float]] = {}

    def _purge(self, now: float) -> None:
        self._revoked = {k: exp for k, exp in self._revoked.items() if exp > now}
        self._failures = {k: v for k, v in self._failures.items() if v[1] > now}

    def revoke(self, token_id: str, ttl_seconds: int) -> bool:
        now = time.monotonic()
        with self._lock:
            self._purge(now)
            if token_id in self._revoked:
                return False
            self._revoked[token_id] = now + max(ttl_seconds, 1)
            return True

    def is_revoked(self, token_id: str) -> bool:
        with self._lock:
            return self._revoked.get(token_id, 0.0) > time.monotonic()

    def record_failure(self, key: str, window_seconds: int) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._failures.get(key, (0, now + window_seconds))
            if expires <= now:
                count, expires = 0, now + window_seconds
            self._failures[key] = (count + 1, expires)
            return count + 1

    def failures(self, key: str) -> int:
        with self._lock:
            count, expires = self._failures.get(key, (0, 0.0))
            return count if expires > time.monotonic() else 0

    def clear_failures(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def close(self) -> None:
        with self._lock:
            self._revoked.clear()
            self._failures.clear()


class RedisSecurityStore(SecurityStore):
    """Shared by every replica: ``SET NX EX`` for revocation, ``INCR`` on a key expiring with its window."""

    def __init__(self, url: str, prefix: str = "arrakis:user-service") -> None:
        # from_url connects lazily, on the first command.
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix

    def _key(self, kind: str, name: str) -> str:
        # Hash the name so emails never appear in Redis keys.
        return f"{self.prefix}:{kind}:{hashlib.sha256(name.encode()).hexdigest()}"

    def revoke(self, token_id: str, ttl_seconds: int) -> bool:
        return bool(self.client.set(self._key("revoked", token_id), b"1", nx=True, ex=max(ttl_seconds, 1)))

    def is_revoked(self, token_id: str) -> bool:
        return bool(self.client.exists(self._key("revoked", token_id)))

    def record_failure(self, key: str, window_seconds: int) -> int:
        name = self._key("login-failures", key)
        pipe = self.client.pipeline(transaction=True)
        pipe.set(name, 0, nx=True, ex=window_seconds)
        pipe.incr(name)
        return int(pipe.execute()[1])

    def failures(self, key: str) -> int:
        value = self.client.get(self._key("login-failures", key))
        return int(value) if value is not None else 0

    def clear_failures(self, key: str) -> None:
        self.client.delete(self._key("login-failures", key))

    def close(self) -> None:
        self.client.close()


def make_security_store(redis_url: str | None) -> SecurityStore:
    """Redis when a URL is configured, this process otherwise."""
    return RedisSecurityStore(redis_url) if redis_url else InProcessSecurityStore()


def instrument_security_store(store: SecurityStore, provider: TracerProvider | None, otlp_endpoint: str | None) -> None:
    """Trace every Redis command of ``store`` as a client span (``db.system=redis``), so the observed graph shows
    ``user-service -> redis``; only this store's client is patched, and only when spans leave the process."""
    if not isinstance(store, RedisSecurityStore) or provider is None or not otlp_endpoint:
        return
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    RedisInstrumentor.instrument_client(store.client, tracer_provider=provider)
