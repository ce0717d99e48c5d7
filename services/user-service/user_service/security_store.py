"""Refresh-token revocation and failed-login counting: one interface, kept in Redis or in the service's database."""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import redis
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from arrakis_common.db import Database

from .models import LoginFailure, RevokedToken


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


def hashed(name: str) -> str:
    """Keys are stored hashed, so e-mail addresses and token ids never appear in the store."""
    return hashlib.sha256(name.encode()).hexdigest()


class DatabaseSecurityStore(SecurityStore):
    """In the service's own database, when there is no Redis: a restart changes nothing, and every statement is
    atomic on SQLite and PostgreSQL alike (``INSERT ... ON CONFLICT`` with ``RETURNING``), so concurrent requests
    cannot both win a revocation or both read a stale failure count. Each call commits on its own, whatever the
    request that made it does afterwards."""

    def __init__(self, database: Callable[[], Database]) -> None:
        self.database = database

    @staticmethod
    def _insert(session: Session, table: type[Any]) -> Any:
        dialect = session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)

    def revoke(self, token_id: str, ttl_seconds: int) -> bool:
        now = time.time()
        with self.database().session() as session:
            session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= now))
            stmt = self._insert(session, RevokedToken).values(token_hash=hashed(token_id),
                                                               expires_at=now + max(ttl_seconds, 1))
            inserted = stmt.on_conflict_do_nothing().returning(RevokedToken.token_hash)
            return session.execute(inserted).scalar_one_or_none() is not None

    def is_revoked(self, token_id: str) -> bool:
        with self.database().session() as session:
            return session.scalar(select(RevokedToken.token_hash).where(
                RevokedToken.token_hash == hashed(token_id), RevokedToken.expires_at > time.time())) is not None

    def record_failure(self, key: str, window_seconds: int) -> int:
        now = time.time()
        over = LoginFailure.window_ends_at <= now
        with self.database().session() as session:
            stmt = self._insert(session, LoginFailure).values(key_hash=hashed(key), count=1,
                                                               window_ends_at=now + window_seconds)
            stmt = stmt.on_conflict_do_update(index_elements=[LoginFailure.key_hash], set_={
                "count": case((over, 1), else_=LoginFailure.count + 1),
                "window_ends_at": case((over, now + window_seconds), else_=LoginFailure.window_ends_at)})
            return int(session.execute(stmt.returning(LoginFailure.count)).scalar_one())

    def failures(self, key: str) -> int:
        with self.database().session() as session:
            count = session.scalar(select(LoginFailure.count).where(
                LoginFailure.key_hash == hashed(key), LoginFailure.window_ends_at > time.time()))
            return int(count or 0)

    def clear_failures(self, key: str) -> None:
        with self.database().session() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key_hash == hashed(key)))

    def close(self) -> None:
        """Nothing to release: the service's database is closed with the service."""


class RedisSecurityStore(SecurityStore):
    """Shared by every replica: ``SET NX EX`` for revocation, ``INCR`` on a key expiring with its window."""

    def __init__(self, url: str, prefix: str = "arrakis:user-service") -> None:
        # from_url connects lazily, on the first command.
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}:{kind}:{hashed(name)}"

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


def make_security_store(redis_url: str | None, database: Callable[[], Database]) -> SecurityStore:
    """Redis when a URL is configured (shared by replicas, entries expire by themselves), the database otherwise."""
    return RedisSecurityStore(redis_url) if redis_url else DatabaseSecurityStore(database)


def instrument_security_store(store: SecurityStore, provider: TracerProvider | None, otlp_endpoint: str | None) -> None:
    """Trace every Redis command of ``store`` as a client span (``db.system=redis``), so the observed graph shows
    ``user-service -> redis``; only this store's client is patched, and only when spans leave the process."""
    if not isinstance(store, RedisSecurityStore) or provider is None or not otlp_endpoint:
        return
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    RedisInstrumentor.instrument_client(store.client, tracer_provider=provider)
