"""Service settings read from ``ARRAKIS_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it to add its own."""

    model_config = SettingsConfigDict(env_prefix="ARRAKIS_", extra="ignore")

    service_name: str = "arrakis-service"
    service_version: str = "0.1.0"
    environment: str = "development"
    data_dir: Path = Path("var/data")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite file in data_dir when unset")
    run_migrations: bool = True
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "ARRAKIS"
    events_enabled: bool = True
    outbox_poll_seconds: float = 0.2
    event_keys_dir: Path | None = Field(default=None, description="Ed25519 keys of the services' events (see "
                                                                  "arrakis_common.provenance); data_dir/event-keys "
                                                                  "when unset")
    verify_event_provenance: bool = Field(default=True, description="Refuse consumed events that are unsigned or "
                                                                    "not published by their subject's owner")
    redis_url: str | None = None
    user_service_url: str = "http://127.0.0.1:8001"
    jwks_cache_seconds: int = 300
    otlp_endpoint: str | None = None
    max_body_bytes: int = 1_048_576
    # The outbox relay: rows read and published per batch (acks gathered), and how long one batch waits for its acks.
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_ack_timeout_seconds: float = Field(default=5.0, gt=0)
    # After a commit wakes the relay it waits this long, so concurrent commits go out in one batch.
    outbox_linger_seconds: float = Field(default=0.02, ge=0)
    # Limits of the JetStream stream, applied whenever a service declares it (0 = unlimited).
    nats_stream_max_age_seconds: float = Field(default=7 * 24 * 3600, ge=0, description="Oldest event kept")
    nats_stream_max_bytes: int = Field(default=1024**3, ge=-1, description="Stream size kept, in bytes")
    # Consumers: deliveries of one event before a failing handler dead-letters it.
    consumer_max_deliveries: int = Field(default=10, ge=1)
    # Readiness: the broker is pinged this often; without an answer for broker_degraded_seconds it is degraded.
    broker_probe_interval_seconds: float = Field(default=1.0, gt=0)
    broker_degraded_seconds: float = Field(default=3.0, gt=0)
    # Set by arrakis-docs when it imports an app to read its OpenAPI: never connect anywhere.
    docs_import: bool = False

    def resolved_database_url(self) -> str:
        """The configured database URL, or a SQLite file named after the service."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / self.service_name).as_posix()}.db"

    @property
    def jwks_url(self) -> str:
        """user-service's JWKS endpoint, which every service verifies tokens against."""
        return self.user_service_url.rstrip("/") + "/.well-known/jwks.json"
