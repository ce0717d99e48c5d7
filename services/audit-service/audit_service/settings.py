"""audit-service settings (env prefix ``ARRAKIS_``)."""

from __future__ import annotations

from pydantic import Field

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "audit-service"
    audit_subjects: str = Field(default="arrakis.>", description="Subjects recorded in the log (NATS wildcards)")
    audit_batch_size: int = Field(default=500, ge=1, le=10_000, description="Rows read per batch by verify/export")
