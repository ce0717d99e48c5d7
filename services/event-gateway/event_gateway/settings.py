"""event-gateway settings (env prefix ``ARRAKIS_``)."""

from __future__ import annotations

from pydantic import Field, IPvAnyNetwork

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Shared service settings plus webhook delivery and schema-registry tuning."""

    service_name: str = "event-gateway"
    webhook_timeout_seconds: float = Field(default=10.0, gt=0,
                                           description="Deadline of one whole webhook attempt, the answer included")
    webhook_concurrency_per_subscription: int = Field(
        default=4, ge=1, description="Attempts in flight per subscription: a slow receiver holds only these")
    retry_base_seconds: float = Field(default=2.0, ge=0, description="Backoff after the first failed attempt")
    retry_max_seconds: float = Field(default=600.0, ge=0, description="Cap of the exponential backoff")
    default_max_attempts: int = Field(default=6, ge=1, le=50, description="Attempts before a delivery is dead")
    delivery_poll_seconds: float = Field(default=0.5, gt=0, description="How often the worker looks for due work")
    delivery_batch_size: int = Field(default=20, ge=1, description="Attempts in flight at once, over all subscriptions")
    schema_cache_seconds: float = Field(default=30.0, ge=0, description="How long a registry schema is reused")
    schema_lookup_timeout_seconds: float = Field(default=3.0, gt=0, description="Timeout of a registry read")
    webhook_allowed_networks: list[IPvAnyNetwork] = Field(
        default_factory=list, description="Non-public networks webhooks may reach anyway, as a JSON list of CIDRs "
                                          "(only public addresses otherwise)")
