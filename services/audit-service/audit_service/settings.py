"""audit-service settings (env prefix ``ARRAKIS_``)."""

from __future__ import annotations

from pydantic import Field

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "audit-service"
    audit_subjects: str = Field(default="arrakis.>", description="Subjects recorded in the log (NATS wildcards)")
    audit_batch_size: int = Field(default=500, ge=1, le=10_000, description="Rows read per batch by verify/export")
    audit_verify_interval_seconds: float = Field(default=300.0, gt=0, description="How often the hash chain is "
                                                 "verified for the arrakis_audit_chain_ok metric")
